/* Fixtures for the channel tests (see chfix.h). */
#include "tests/channel/chfix.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/claim.h"
#include "crypto/keys.h"
#include "crypto/sign.h"

struct cr_account_id fx_self, fx_peer, fx_other;
uint8_t fx_out_id[CR_CHANNEL_ID_BYTES], fx_in_id[CR_CHANNEL_ID_BYTES],
    fx_other_id[CR_CHANNEL_ID_BYTES];
struct pc_cfg fx_cfg;
struct cr_keypair fx_keys[2];
static bool ready;

void fx_setup(void)
{
	struct xu_err e;

	pc_cfg_default(&fx_cfg);
	if (ready)
		return;
	assert_int_equal(cr_init(&e), XU_OK);
	assert_int_equal(
	    cr_keypair_from_seed_text(&fx_keys[0],
				      "sEdSuqBPSQaood2DmNYVkwWTn1oQTj2", 0, &e),
	    XU_OK);
	assert_int_equal(
	    cr_keypair_from_seed_text(&fx_keys[1],
				      "snGHNrPbHrdUcszeuDEigMdC1Lyyd", 0, &e),
	    XU_OK);
	assert_int_equal(fx_keys[0].type, CR_KEY_ED25519);
	assert_int_equal(fx_keys[1].type, CR_KEY_SECP256K1);
	/* We sign with key 0: our account is its account (the channel key
	 * check of outgoing views). */
	cr_account_id_of(&fx_self, &fx_keys[0].pub);
	memset(&fx_peer, 0x22, sizeof(fx_peer));
	memset(&fx_other, 0x33, sizeof(fx_other));
	cr_channel_id(fx_out_id, &fx_self, &fx_peer, 7);
	cr_channel_id(fx_in_id, &fx_peer, &fx_self, 9);
	cr_channel_id(fx_other_id, &fx_peer, &fx_self, 10);
	ready = true;
}

struct xl_drops D(uint64_t v) {
	struct xl_drops d;

	assert_true(xl_drops_from_u64(&d, v));
	return d;
}

struct pc_event
ev_make(enum pc_ev_kind k)
{
	struct pc_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = k;
	ev.clk.now = T_NOW;
	ev.clk.ledger_time = T_LEDGER;
	return ev;
}

struct pc_view view_in(int k, uint64_t amount, uint64_t balance)
{
	struct pc_view v;

	memset(&v, 0, sizeof(v));
	memcpy(v.id, fx_in_id, sizeof(v.id));
	v.source = fx_peer;
	v.dest = fx_self;
	v.amount = D(amount);
	v.balance = D(balance);
	v.settle_delay = 518400;
	memcpy(v.pubkey, fx_keys[k].pub.b, CR_PUBKEY_BYTES);
	return v;
}

struct pc_view view_out(uint64_t amount, uint64_t balance)
{
	struct pc_view v;

	memset(&v, 0, sizeof(v));
	memcpy(v.id, fx_out_id, sizeof(v.id));
	v.source = fx_self;
	v.dest = fx_peer;
	v.amount = D(amount);
	v.balance = D(balance);
	v.settle_delay = 518400;
	memcpy(v.pubkey, fx_keys[0].pub.b, CR_PUBKEY_BYTES);
	return v;
}

struct pc_claim claim_make(int k, const uint8_t *ch, uint64_t amount)
{
	struct pc_claim c;
	struct xu_err e;

	memset(&c, 0, sizeof(c));
	memcpy(c.channel, ch, CR_CHANNEL_ID_BYTES);
	c.amount = D(amount);
	assert_int_equal(
	    cr_claim_sign(c.sig, &c.siglen, &fx_keys[k], ch, amount, &e),
	    XU_OK);
	return c;
}

void fx_expect(const struct pc_effects *fx, size_t n,
	       const enum pc_fx_kind *kinds)
{
	char got[512] = "", want[512] = "";

	for (size_t i = 0; i < fx->n; i++) {
		strncat(got, pc_fx_name(fx->v[i].kind),
			sizeof(got) - strlen(got) - 2);
		strncat(got, " ", sizeof(got) - strlen(got) - 1);
	}
	for (size_t i = 0; i < n; i++) {
		strncat(want, pc_fx_name(kinds[i]),
			sizeof(want) - strlen(want) - 2);
		strncat(want, " ", sizeof(want) - strlen(want) - 1);
	}
	if (strcmp(got, want) != 0)
		fail_msg("effects: got [%s], want [%s]", got, want);
}

bool fx_aborts(void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 2);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}
