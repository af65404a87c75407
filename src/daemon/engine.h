/* The engine: the daemon's single event loop and everything it owns.
 *
 * One thread runs lws_service() and owns all state: the REST server
 * (src/io/http.c, src/api/), the store, the outbox, the cron timer, the
 * rippled client and the payment-channel service.  The curl worker thread (src/io/curlw.c) only
 * wakes the loop with lws_cancel_service(); its completions are drained on the
 * loop in LWS_CALLBACK_EVENT_WAIT_CANCELLED.
 *
 * Group commit: every mutating request becomes a job (struct eng_job) that
 * is queued with eng_engine_submit().  A zero-delay timer runs after the
 * loop iteration that queued the first job: it opens ONE store transaction,
 * applies every queued job (eng_api_apply), commits (fsync), and only then
 * answers all of them.  A failed commit rolls everything back and answers
 * 500 to every job of the batch; nothing is acknowledged before its commit.
 */
#ifndef XRPSE_SRC_ENGINE_H
#define XRPSE_SRC_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/api/api.h"
#include "src/daemon/config.h"
#include "src/util/err.h"

struct eng_engine;
struct eng_store;
struct eng_outbox;
struct eng_job; /* src/api/api.h */
struct cr_keypair;
struct cr_seed;
struct xl_rippled;

/* Opens the store (taking its lock), starts the curl worker and the
 * outbox, and binds the REST listener.  cfg, kp and seed (the seed kp
 * comes from, for the keys of adopted channels) are copied (the secrets
 * into locked memory, wiped by eng_engine_free).  Returns XU_OK and
 * *out (owned, free with eng_engine_free), or an error: XU_EBUSY when
 * another daemon holds the database, XU_EIO/XU_ESTORE for an unusable
 * database, XU_EIO when the address cannot be bound. */
enum xu_code eng_engine_new(struct eng_engine **out,
			    const struct eng_config *cfg,
			    const struct cr_keypair *kp,
			    const struct cr_seed *seed,
			    struct xu_err *err) XU_WARN_UNUSED;

/* Runs the loop until SIGTERM/SIGINT (installed here), then finishes the
 * pending batch and flushes answers briefly.  Returns the exit status: 0,
 * or 1 when rippled turned out to serve another network (refusing to
 * run). */
int eng_engine_run(struct eng_engine *e);

/* Stops everything and closes the store.  NULL is a no-op. */
void eng_engine_free(struct eng_engine *e);

/* Queues a job for the next group commit; the job (malloc'd) is taken. */
void eng_engine_submit(struct eng_engine *e, struct eng_job *job);

/* The daemon's XRP address ("r..."), borrowed. */
const char *eng_engine_address(struct eng_engine *e);

/* The TCP port the API listens on (useful with --listen HOST:0). */
int eng_engine_port(struct eng_engine *e);

/* Wall-clock seconds, shifted by the --dev-api clock offset. */
int64_t eng_engine_now(struct eng_engine *e);
/* Moves the engine clock (test-only, /dev/clock). */
void eng_engine_advance_clock(struct eng_engine *e, int64_t secs);
/* Makes the next n group commits fail (rolled back, answered 500) as if
 * the disk had failed (test-only, /dev/fail-commits). */
void eng_engine_fail_commits(struct eng_engine *e, unsigned n);
/* The next commit waits stall_ms first, as a stalled disk would
 * (test-only, /dev/fail-commits). */
void eng_engine_stall_commit(struct eng_engine *e, uint32_t stall_ms);

/* The counters shown by /health. */
void eng_engine_stats(struct eng_engine *e, struct eng_api_stats *s);

#endif /* XRPSE_SRC_ENGINE_H */
