/* The payment-channel service's settings: the pure core's struct pc_cfg
 * and the service's own timers.  Their own header so that the daemon's
 * configuration (src/daemon/config.h) can hold them without seeing the
 * service. */
#ifndef XRPSE_SRC_PAYCHAN_SETTINGS_H
#define XRPSE_SRC_PAYCHAN_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "channel/channel.h"

/* Service settings beyond the core's struct pc_cfg. */
struct eng_paychan_cfg {
	struct pc_cfg pc;
	uint32_t poll_ms;	   /* ledger_entry poll of every channel */
	uint32_t poll_channel_us;  /* each channel of the last poll walk
				      makes the next round this much longer
				      than poll_ms, up to 2.5 poll_ms
				      (src/paychan/tick.c poll_period) */
	uint32_t tick_ms;	   /* PC_EV_TIMER period */
	uint32_t tick_slice;	   /* records due of each table a tick
				      works on in one transaction; the
				      rest follow when the caller calls
				      again (src/paychan/tick.c) */
	uint32_t hello_retry_ms;   /* first hello retry; doubles to 60 s */
	uint32_t claim_resend_ms;  /* unacknowledged claim re-sent after */
	uint32_t lookup_fresh_ms;  /* a view younger than this is fresh */
	uint32_t recover_alert_ms; /* a recovery this old: BROKEN, once */
	uint32_t claim_stall_ms;   /* a claim unanswered this long: a newer
				      one goes beside it (the delivery's
				      stall_ms; the only such setting) */
	uint32_t closed_keep_s;	   /* a closed incoming record is pruned
				      this long after it closed */
	uint32_t owed_alert_ms;	   /* drops unpaid this long: BROKEN,
				      once (docs/design.md#the-owed-alert) */
	uint32_t tx_inflight;	   /* our transactions in flight at once
				      (the submission queue's
				      max_inflight; docs/design.md#scale) */
	bool allow_dangerous;	   /* min settle delay below 1 day */
	bool due_audit; /* every tick checks that the due index skipped
			   nothing (the simulator; costs a full read) */
};

/* Fills *cfg with the defaults: pc_cfg_default and the timers above
 * (poll 60 s, stretched by 7.5 ms a channel beyond 8,000, tick 1 s in
 * slices of 256 records, hello retry 1 s, claim resend 10 s, a view fresh
 * for 5 s, a recovery alert after 10 min, a claim stalled after 2 s,
 * closed incoming records kept 1 day, the owed alert after 5 min) and
 * XL_SUBMIT_INFLIGHT_DEFAULT (10) transactions in flight.  The
 * operator's settings come from `xrpse run` flags and their variables
 * (src/daemon/config.c). */
void eng_paychan_cfg_default(struct eng_paychan_cfg *cfg);

#endif /* XRPSE_SRC_PAYCHAN_SETTINGS_H */
