/* Background WAL checkpoints.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * WAL size threshold, on the event-loop thread: it copies the WAL into the
 * database file and fsyncs it, which stalls every request of the loop for
 * milliseconds.  Instead the engine turns the automatic checkpoint off on
 * its connection and this thread, with a connection of its own, runs a
 * PASSIVE checkpoint every period (it never blocks the writer; the WAL is
 * reused from the start once a checkpoint caught up).  SQLite's own locks
 * make the two connections safe; the thread touches nothing else.  Under
 * constant load a WAL past a threshold is checkpointed again at once, a
 * few times, until a pass ends between two commits and the WAL can start
 * over; see eng_walckpt_tick for when even that does not happen. */
#ifndef XRPSE_SRC_WALCKPT_H
#define XRPSE_SRC_WALCKPT_H

#include <stdint.h>

#include "src/util/err.h"

struct eng_store;
struct eng_walckpt;

/* Disables automatic checkpoints on the connection of s (the engine's;
 * borrowed, must outlive the thread) and starts the thread on its own
 * connection to path, the database of s.  Returns XU_OK and *out (owned;
 * eng_walckpt_free), or XU_ESTORE / XU_ENOMEM / XU_EIO. */
enum xu_code eng_walckpt_new(struct eng_walckpt **out, struct eng_store *s,
			     const char *path, uint32_t period_ms,
			     struct xu_err *err) XU_WARN_UNUSED;

/* On the loop thread, outside any transaction (the engine's cron): under
 * sustained writes the background checkpoints never see the WAL fully
 * copied, so the WAL could not restart and would grow; once it passed a
 * threshold this runs a (cheap, mostly done) checkpoint on the connection
 * of s itself, after which the next write starts the WAL over. */
void eng_walckpt_tick(struct eng_walckpt *w, struct eng_store *s);

/* Stops and joins the thread, closes its connection.  Call before the
 * store closes.  NULL is a no-op. */
void eng_walckpt_free(struct eng_walckpt *w);

#endif /* XRPSE_SRC_WALCKPT_H */
