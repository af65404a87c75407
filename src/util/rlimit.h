/* A log-line rate limit: at most `burst` events per window, the rest
 * counted as suppressed and reported with the next event let through.
 * For lines a peer can cause at will (one per message it sends): the
 * operator still sees that they happen and how often, never a flood
 * (docs/risks.md#log-floods).  Pure: time comes from the caller. */
#ifndef XRPSE_UTIL_RLIMIT_H
#define XRPSE_UTIL_RLIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct xu_rlimit {
	int64_t window_start_ms;
	uint32_t in_window; /* events let through in this window */
	uint32_t
	    suppressed; /* events held back since the last one let through */
};

/* Counts an event at now_ms.  Returns true when it may be logged: then
 * *suppressed gets how many were held back before it (to say so in the
 * line) and the count restarts.  Returns false when it must be held back.
 * A zeroed struct is a fresh limit. */
bool xu_rlimit_allow(struct xu_rlimit *r, int64_t now_ms, uint32_t burst,
		     int64_t window_ms, uint32_t *suppressed);

/* When the limit has lifted (the window of the last event let through is
 * over) and events were held back since: returns true with *suppressed
 * set to their count, and the count restarts, so the caller can say how
 * many went unlogged even when no further event comes.  Else false. */
bool xu_rlimit_flush(struct xu_rlimit *r, int64_t now_ms, int64_t window_ms,
		     uint32_t *suppressed);

#endif /* XRPSE_UTIL_RLIMIT_H */
