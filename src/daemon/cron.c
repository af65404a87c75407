/* The engine cron's period (see cron.h). */
#include "src/daemon/cron.h"

uint32_t eng_cron_next_ms(uint64_t *last_batches, const struct eng_cron_seen *s,
			  uint32_t ms, bool fixed)
{
	bool moved = s->batches != *last_batches || s->sent != 0 ||
		     s->inflight > 0 || !s->quiet;

	*last_batches = s->batches;
	return moved || fixed || ms > ENG_CRON_IDLE_MS ? ms : ENG_CRON_IDLE_MS;
}
