/* The log-line rate limit (see rlimit.h): a fixed window. */
#include "src/util/rlimit.h"

bool xu_rlimit_allow(struct xu_rlimit *r, int64_t now_ms, uint32_t burst,
		     int64_t window_ms, uint32_t *suppressed)
{
	if (now_ms - r->window_start_ms >= window_ms ||
	    now_ms < r->window_start_ms) {
		r->window_start_ms = now_ms;
		r->in_window = 0;
	}
	if (r->in_window >= burst) {
		if (r->suppressed < UINT32_MAX)
			r->suppressed++;
		return false;
	}
	r->in_window++;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return true;
}

bool xu_rlimit_flush(struct xu_rlimit *r, int64_t now_ms, int64_t window_ms,
		     uint32_t *suppressed)
{
	if (!r->suppressed || (now_ms - r->window_start_ms < window_ms &&
			       now_ms >= r->window_start_ms))
		return false;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	r->window_start_ms = now_ms;
	r->in_window = 0;
	return true;
}
