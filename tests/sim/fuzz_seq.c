/* A fuzz target for whole sequences of peer messages: the input is read
 * as a program of steps run against the simulated world (two real
 * payment-channel services on real stores, the simulated ledger and
 * connectors of tests/sim): honest settlements both ways, time passing,
 * and messages a hostile peer injects into alice as if bob's engine had
 * sent them (claims with forged signatures or on channels that are not
 * bob's to alice, channel_updates, hellos, close_requests and last_claims
 * naming random, known or alice's own channels, broken JSON).  After the
 * program and a quiet minute it checks what no message may change: no
 * engine aborted (an abort is the fuzzer's crash), alice's connector was
 * credited no more than bob's engine signed to her, and each engine's
 * settled drops are owed or signed (drops-conserved).
 *
 * ctest replays the committed corpus tests/sim/corpus/peer_seq through
 * tests/ledger/fuzz_replay.c (label fuzz); with -DXRPSE_FUZZ=ON and clang,
 * fuzz_peer_seq is the libFuzzer target (scripts/fuzz 60 peer_seq). */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel/msg.h"
#include "crypto/sign.h"
#include "src/store/chanstore.h"
#include "src/store/store.h"
#include "src/util/hex.h"
#include "tests/sim/sim.h"

#define MAX_STEPS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, read a byte at a time (zeros once it runs out). */
struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t next64(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | next(in);
	return v;
}

static void job(struct sim *w, struct sim_engine *e, enum sim_job_kind kind)
{
	struct sim_job *j = calloc(1, sizeof(*j));

	if (!j)
		abort();
	j->kind = kind;
	snprintf(j->account, sizeof(j->account), "%s", e->acct);
	sim_job_submit(w, e, j);
}

/* A settlement of `drops` by e's connector, driven like the
 * simulator's: retried by the connector until answered. */
static void settle(struct sim *w, struct sim_engine *e, uint64_t drops)
{
	struct sim_settle_req *r = calloc(1, sizeof(*r));
	struct xu_err err;
	char buf[32];

	if (!r)
		abort();
	r->engine = e->idx;
	snprintf(buf, sizeof(buf), "%" PRIu64, drops);
	if (eng_quantity_set(&r->q, buf, 6, &err) != XU_OK)
		abort();
	snprintf(r->key, sizeof(r->key), "f%" PRIu64, ++w->next_key);
	if (w->nsettles == w->capsettles) {
		w->capsettles = w->capsettles ? w->capsettles * 2 : 64;
		w->settles =
		    realloc(w->settles, w->capsettles * sizeof(*w->settles));
		if (!w->settles)
			abort();
	}
	w->settles[w->nsettles++] = r;
	sim_settle_request(w, r);
}

/* A channel id the hostile message names: random bytes, a channel bob
 * really pays alice through, or alice's own channel to bob. */
static void pick_channel(struct sim *w, struct input *in, char hex[65])
{
	uint8_t id[CR_CHANNEL_ID_BYTES];
	uint8_t how = next(in) % 3;

	for (size_t i = 0; i < w->L.nchans && how; i++) {
		const struct sim_chan *c = &w->L.chans[w->L.nchans - 1 - i];

		if ((how == 1 && c->src_eng == 1) ||
		    (how == 2 && c->src_eng == 0)) {
			memcpy(hex, c->hex, 65);
			return;
		}
	}
	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = next(in);
	xu_hex_encode(hex, 65, id, sizeof(id));
}

/* One message bob's engine never sent, into alice. */
static void hostile(struct sim *w, struct input *in)
{
	struct sim_engine *alice = &w->e[0];
	char body[1024], hex[65], sig[145], addr[CR_ADDRESS_STRLEN];
	uint8_t raw[72];
	struct cr_account_id id;

	pick_channel(w, in, hex);
	switch (next(in) % 7) {
	case 0: /* a claim whose signature is not the channel key's */
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = next(in);
		xu_hex_encode(sig, sizeof(sig), raw, sizeof(raw));
		snprintf(body, sizeof(body),
			 "{\"type\":\"claim\",\"version\":1,\"channel\":\"%s\","
			 "\"amount\":\"%" PRIu64 "\",\"signature\":\"%s\","
			 "\"acked\":\"%" PRIu64 "\"}",
			 hex, next64(in, 5), sig, next64(in, 4));
		break;
	case 1:
		snprintf(body, sizeof(body),
			 "{\"type\":\"channel_update\",\"version\":1,"
			 "\"channel\":\"%s\"}",
			 hex);
		break;
	case 2:
		for (size_t i = 0; i < sizeof(id.b); i++)
			id.b[i] = next(in);
		if (next(in) & 1)
			id = w->e[1].id; /* bob's own address */
		cr_address_encode(addr, &id);
		snprintf(body, sizeof(body),
			 "{\"type\":\"hello\",\"version\":1,\"address\":\"%s\","
			 "\"key_type\":\"%s\",\"min_settle_delay\":%u%s%s%s}",
			 addr, next(in) & 1 ? "ed25519" : "secp256k1",
			 (unsigned)next64(in, 4),
			 next(in) & 1 ? ",\"channel\":\"" : "",
			 next(in) & 1 ? hex : "", "");
		/* keep the JSON whole when the channel field was opened */
		if (strstr(body, ",\"channel\":\"") && !strstr(body, hex)) {
			size_t l = strlen(body);

			snprintf(body + l - 1, sizeof(body) - l + 1, "%s\"}",
				 hex);
		} else if (strstr(body, ",\"channel\":\"")) {
			size_t l = strlen(body);

			snprintf(body + l - 1, sizeof(body) - l + 1, "\"}");
		}
		break;
	case 3:
		snprintf(body, sizeof(body),
			 "{\"type\":\"close_request\",\"version\":1,"
			 "\"channel\":\"%s\"}",
			 hex);
		break;
	case 4:
		snprintf(body, sizeof(body),
			 "{\"type\":\"last_claim\",\"version\":1,"
			 "\"channel\":\"%s\"%s}",
			 hex, next(in) & 1 ? ",\"final\":true" : "");
		break;
	case 5: /* bytes of the input as they come */
	{
		size_t l = next(in) % 200;

		for (size_t i = 0; i < l; i++)
			body[i] = (char)(next(in) | 1);
		body[l] = '\0';
		break;
	}
	default: /* a claim_reply nobody asked for */
		snprintf(
		    body, sizeof(body),
		    "{\"type\":\"claim_reply\",\"version\":1,"
		    "\"channel\":\"%s\",\"accepted\":%s,\"amount\":\"%" PRIu64
		    "\"}",
		    hex, next(in) & 1 ? "true" : "false", next64(in, 5));
		break;
	}
	sim_trace("fuzz: bob's route carries %s", body);
	sim_inject_message(w, alice, body);
}

static void check(struct sim *w)
{
	for (int i = 0; i < SIM_NENG; i++) {
		struct sim_engine *e = &w->e[i];
		struct eng_chan_out o;
		struct xl_drops owed = xl_drops_zero();
		struct xu_err err;
		uint64_t sum;
		bool have;

		if (eng_store_owed_get(e->store, e->acct, &owed, &err) != XU_OK)
			owed = xl_drops_zero();
		if (eng_chan_out_get(e->store, e->acct, &o, &have, &err) !=
		    XU_OK)
			abort();
		sum = sim_signed_total(e) + xl_drops_u64(owed);
		if (have)
			sum +=
			    xl_drops_u64(o.ch.owed) - xl_drops_u64(o.ch.reowed);
		if (sum != e->settled_drops) {
			fprintf(stderr,
				"fuzz_seq: %s settled %" PRIu64
				" drops, owed + signed make %" PRIu64 "\n",
				e->name, e->settled_drops, sum);
			abort();
		}
	}
	if (w->credited[0] > sim_signed_total(&w->e[1])) {
		fprintf(stderr,
			"fuzz_seq: alice was credited %" PRIu64
			" drops, bob signed %" PRIu64 "\n",
			w->credited[0], sim_signed_total(&w->e[1]));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim world;
	struct sim *w = &world;
	struct input in = {data, size};
	struct cr_account_id fid;
	char tmpl[] = "/dev/shm/xrpse-fuzzseq-XXXXXX";
	static bool ready;
	struct xu_err err;

	if (!ready) {
		if (cr_init(&err) != XU_OK)
			abort();
		ready = true;
	}
	if (access("/dev/shm", W_OK) != 0)
		memcpy(tmpl, "/tmp/", 5),
		    memmove(tmpl + 5, tmpl + 9, sizeof(tmpl) - 9);
	if (!mkdtemp(tmpl))
		abort();
	memset(w, 0, sizeof(*w));
	g_sim = w;
	w->seed = next64(&in, 2);
	sim_rng_seed(&w->rng, w->seed);
	sim_trace_reset();
	w->t0 = w->now = 1800000000000LL;
	snprintf(w->dir, sizeof(w->dir), "%s", tmpl);
	sim_ledger_init(w);
	for (size_t i = 0; i < sizeof(fid.b); i++)
		fid.b[i] = (uint8_t)(0xf0 + i);
	sim_account_add(w, &fid, 100000000 * SIM_XRP);
	for (int i = 0; i < SIM_NENG; i++)
		sim_engine_setup(w, &w->e[i], i);
	for (int i = 0; i < SIM_NENG; i++)
		sim_engine_start(w, &w->e[i]);
	sim_at(w, w->now + 1000, sim_ledger_close, NULL);
	for (int i = 0; i < SIM_NENG; i++)
		job(w, &w->e[i], SIM_JOB_ACCOUNT_CREATE);
	sim_run_until(w, w->now + 5000);
	for (int step = 0; step < MAX_STEPS && in.n; step++) {
		uint8_t op = next(&in) % 8;

		if (op < 3)
			hostile(w, &in);
		else if (op < 5)
			settle(w, &w->e[op - 3], 1 + next64(&in, 3));
		else
			sim_run_until(w, w->now + 50 * (int64_t)next(&in));
		for (size_t i = 0; i < w->nsettles; i++)
			sim_settle_request(w, w->settles[i]);
	}
	w->quiet = true;
	sim_run_until(w, w->now + 60000);
	check(w);
	/* XRPSE_FUZZ_TRACE=1: the whole run, as the simulator prints it. */
	if (getenv("XRPSE_FUZZ_TRACE"))
		sim_trace_dump(2, 0);
	w->ending = true;
	for (int i = 0; i < SIM_NENG; i++)
		sim_engine_destroy(w, &w->e[i]);
	sim_heap_free(w);
	sim_ledger_free(w);
	for (size_t i = 0; i < w->nsettles; i++)
		free(w->settles[i]);
	free(w->settles);
	for (int i = 0; i < SIM_NENG; i++)
		free(w->credits[i]);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			abort();
	}
	return 0;
}
