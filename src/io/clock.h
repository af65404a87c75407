/* The daemon's clocks, in one place: wall-clock time for what is
 * persisted or shown (outbox next-attempt times, logs of when), and the
 * monotonic clock for durations and timers, which a wall-clock step must
 * not disturb.  Only src/ reads clocks: channel/ gets time as an event. */
#ifndef XRPSE_SRC_CLOCK_H
#define XRPSE_SRC_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t eng_wall_ms(void);

/* Milliseconds and microseconds of CLOCK_MONOTONIC (an arbitrary
 * origin: only differences mean anything). */
int64_t eng_mono_ms(void);
int64_t eng_mono_us(void);

#endif /* XRPSE_SRC_CLOCK_H */
