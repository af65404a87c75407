/* The engine cron's period (engine.c): the configured period while
 * anything moves, a longer idle one once a cron found nothing to do.  Each
 * cron wake-up is a poll() over every socket; at 10 a second they were a
 * third of an idle engine's CPU (docs/design.md#threads).  Pure: the
 * engine passes what its cron saw, so the decision is tested alone
 * (tests/daemon/test_cron.c). */
#ifndef XRPSE_SRC_DAEMON_CRON_H
#define XRPSE_SRC_DAEMON_CRON_H

#include <stdbool.h>
#include <stdint.h>

/* The period while nothing moves: under the payment-channel tick's 1 s,
 * so that the tick keeps its pace. */
#define ENG_CRON_IDLE_MS 500

/* What one cron saw. */
struct eng_cron_seen {
	uint64_t batches;  /* API batches committed so far (a counter) */
	int sent;	   /* the outbox tick's rows handed out; nonzero also
			    * when the store was busy and the cron skipped */
	unsigned inflight; /* calls to the connector out */
	bool quiet;	   /* no poll answer or account change waiting in the
			    * payment-channel service (eng_paychan_quiet) */
};

/* Returns the milliseconds until the next cron: ms (the configured period)
 * when anything moved, ENG_CRON_IDLE_MS when nothing did (ms when that is
 * longer), and ms always when fixed (--dev-cron-ms).  *last_batches is the batch counter at the
 * previous cron, updated to s->batches: an API batch between two crons is
 * movement even when nothing is left of it. */
uint32_t eng_cron_next_ms(uint64_t *last_batches, const struct eng_cron_seen *s,
			  uint32_t ms, bool fixed);

#endif
