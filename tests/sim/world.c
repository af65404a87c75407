/* The simulated world's machinery: the PRNG, the event queue, the clocks
 * the daemon reads (replacing src/io/clock.c at link time), the trace ring
 * and the log sink (replacing src/util/log.c at link time: the daemon's
 * log lines go into the trace, with the simulated time instead of the
 * wall clock, so that a seed's output is the same on every run). */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/io/clock.h"
#include "src/util/log.h"
#include "tests/sim/sim.h"

struct sim *g_sim;

/* ---- PRNG --------------------------------------------------------------*/

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	/* Lemire's multiply-shift; the tiny bias does not matter here. */
	return (uint64_t)(((unsigned __int128)sim_rng_next(r) * n) >> 64);
}

int64_t sim_rng_range(struct sim_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)sim_rng_below(r, (uint64_t)(hi - lo) + 1);
}

bool sim_rng_ppm(struct sim_rng *r, uint32_t ppm)
{
	return ppm && sim_rng_below(r, 1000000) < ppm;
}

/* ---- events --------------------------------------------------------------*/

static bool before(const struct sim_heap_item *a, const struct sim_heap_item *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void sim_at(struct sim *w, int64_t at, sim_event_fn fn, void *arg)
{
	size_t i;

	if (at < w->now)
		at = w->now;
	if (w->nheap == w->capheap) {
		w->capheap = w->capheap ? w->capheap * 2 : 256;
		w->heap = realloc(w->heap, w->capheap * sizeof(*w->heap));
		if (!w->heap)
			abort();
	}
	i = w->nheap++;
	w->heap[i] = (struct sim_heap_item){at, w->evseq++, fn, arg};
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct sim_heap_item t;

		if (!before(&w->heap[i], &w->heap[p]))
			break;
		t = w->heap[p];
		w->heap[p] = w->heap[i];
		w->heap[i] = t;
		i = p;
	}
}

static struct sim_heap_item pop(struct sim *w)
{
	struct sim_heap_item top = w->heap[0];
	size_t i = 0;

	w->heap[0] = w->heap[--w->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct sim_heap_item t;

		if (l < w->nheap && before(&w->heap[l], &w->heap[m]))
			m = l;
		if (r < w->nheap && before(&w->heap[r], &w->heap[m]))
			m = r;
		if (m == i)
			break;
		t = w->heap[m];
		w->heap[m] = w->heap[i];
		w->heap[i] = t;
		i = m;
	}
	return top;
}

void sim_run_until(struct sim *w, int64_t t)
{
	while (w->nheap && w->heap[0].at <= t && !w->failed) {
		struct sim_heap_item it = pop(w);

		if (it.at > w->now)
			w->now = it.at;
		it.fn(w, it.arg);
	}
	if (t > w->now)
		w->now = t;
}

void sim_heap_free(struct sim *w)
{
	/* Every event runs once more with w->ending set: it frees its
	 * argument and does nothing else. */
	w->ending = true;
	while (w->nheap) {
		struct sim_heap_item it = pop(w);

		it.fn(w, it.arg);
	}
	free(w->heap);
	w->heap = NULL;
	w->nheap = w->capheap = 0;
}

/* ---- clocks (src/io/clock.h) -------------------------------------------*/

struct sim_engine *sim_enter(struct sim_engine *e)
{
	struct sim_engine *prev = g_sim->cur;

	g_sim->cur = e;
	return prev;
}

void sim_leave(struct sim_engine *prev)
{
	g_sim->cur = prev;
}

int64_t eng_wall_ms(void)
{
	struct sim_engine *e = g_sim->cur;

	return g_sim->now + (e ? e->wall_skew : 0);
}

int64_t eng_mono_ms(void)
{
	struct sim_engine *e = g_sim->cur;

	if (!e)
		return g_sim->now - g_sim->t0;
	return e->mono_base + (g_sim->now - e->boot_ms);
}

int64_t eng_mono_us(void)
{
	return eng_mono_ms() * 1000;
}

uint32_t sim_ledger_now(const struct sim *w)
{
	return (uint32_t)(w->now / 1000 - SIM_RIPPLE_EPOCH);
}

/* ---- trace ring ----------------------------------------------------------*/

#define RING_LINES 16384
#define LINE_MAX_BYTES 300

static struct {
	uint64_t step;
	uint16_t len;
	char text[LINE_MAX_BYTES];
} * ring;
static size_t ring_next, ring_count;

void sim_trace_reset(void)
{
	if (!ring) {
		ring = calloc(RING_LINES, sizeof(*ring));
		if (!ring)
			abort();
	}
	ring_next = ring_count = 0;
}

static void ring_put(const char *text, size_t n)
{
	if (n >= LINE_MAX_BYTES)
		n = LINE_MAX_BYTES - 1;
	ring[ring_next].step = g_sim ? g_sim->step : 0;
	memcpy(ring[ring_next].text, text, n);
	ring[ring_next].text[n] = '\n';
	ring[ring_next].len = (uint16_t)(n + 1);
	ring_next = (ring_next + 1) % RING_LINES;
	if (ring_count < RING_LINES)
		ring_count++;
	if (g_sim && g_sim->verbose > 1 && write(STDOUT_FILENO, text, n) >= 0)
		(void)!write(STDOUT_FILENO, "\n", 1);
}

static int stamp(char *buf, size_t cap)
{
	int64_t t = g_sim ? g_sim->now - g_sim->t0 : 0;

	return snprintf(buf, cap, "%6lld.%03lld ", (long long)(t / 1000),
			(long long)(t % 1000));
}

void sim_trace(const char *fmt, ...)
{
	char line[LINE_MAX_BYTES + 64];
	va_list ap;
	int n = stamp(line, sizeof(line)), m;

	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	ring_put(line, (size_t)n);
}

/* Async-signal-safe (write only): called from the abort handler too. */
void sim_trace_dump(int fd, uint64_t from_step)
{
	size_t first = (ring_next + RING_LINES - ring_count) % RING_LINES;
	bool cut = false;

	for (size_t i = 0; i < ring_count; i++) {
		size_t k = (first + i) % RING_LINES;

		if (ring[k].step < from_step)
			continue;
		if (!cut && i == 0 && ring_count == RING_LINES && from_step > 0)
			cut = true;
		if (write(fd, ring[k].text, ring[k].len) < 0)
			return;
	}
	(void)cut;
}

void sim_fail(const char *inv, const char *fmt, ...)
{
	va_list ap;

	if (g_sim->failed)
		return;
	g_sim->failed = true;
	g_sim->fail_ms = g_sim->now;
	g_sim->fail_step = g_sim->step;
	snprintf(g_sim->fail_inv, sizeof(g_sim->fail_inv), "%s", inv);
	va_start(ap, fmt);
	vsnprintf(g_sim->fail_msg, sizeof(g_sim->fail_msg), fmt, ap);
	va_end(ap);
	sim_trace("!!! INVARIANT %s: %s", g_sim->fail_inv, g_sim->fail_msg);
}

/* ---- reachability gaps -------------------------------------------------*/

static void gap_open(struct sim_engine *e, int64_t now)
{
	if (e->ngaps && e->gaps[e->ngaps - 1].to == INT64_MAX)
		return;
	if (e->ngaps == e->capgaps) {
		e->capgaps = e->capgaps ? e->capgaps * 2 : 16;
		e->gaps = realloc(e->gaps, e->capgaps * sizeof(*e->gaps));
		if (!e->gaps)
			abort();
	}
	e->gaps[e->ngaps++] = (struct sim_gap){now, INT64_MAX};
}

static void gap_close(struct sim_engine *e, int64_t now)
{
	if (e->ngaps && e->gaps[e->ngaps - 1].to == INT64_MAX)
		e->gaps[e->ngaps - 1].to = now;
}

void sim_unreach(struct sim_engine *e, unsigned bit, bool on)
{
	unsigned was = e->unreach;

	e->unreach = on ? was | bit : was & ~bit;
	if (!was && e->unreach)
		gap_open(e, g_sim->now);
	else if (was && !e->unreach)
		gap_close(e, g_sim->now);
}

bool sim_gap_overlaps(const struct sim_engine *e, int64_t from, int64_t to)
{
	for (size_t i = 0; i < e->ngaps; i++)
		if (e->gaps[i].from < to && e->gaps[i].to > from)
			return true;
	return false;
}

/* ---- the log sink (src/util/log.h) ---------------------------------------*/

static enum xu_log_level min_level = XU_LOG_INFO;

void xu_log_set_level(enum xu_log_level level)
{
	min_level = level;
}

enum xu_log_level xu_log_get_level(void)
{
	return min_level;
}

bool xu_log_level_parse(enum xu_log_level *level, const char *name)
{
	static const struct {
		const char *name;
		enum xu_log_level level;
	} names[] = {
	    {"trace", XU_LOG_TRACE},  {"debug", XU_LOG_DEBUG},
	    {"info", XU_LOG_INFO},    {"unusual", XU_LOG_UNUSUAL},
	    {"warn", XU_LOG_UNUSUAL}, {"broken", XU_LOG_BROKEN},
	    {"error", XU_LOG_BROKEN},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*level = names[i].level;
			return true;
		}
	return false;
}

bool xu_log_enabled(enum xu_log_level level)
{
	return level >= min_level;
}

/* Consecutive identical lines of one engine are kept once, with a count. */
static struct {
	char text[LINE_MAX_BYTES];
	unsigned repeats;
	int64_t last;
} memo[SIM_NENG];

static void memo_flush(int i)
{
	char line[LINE_MAX_BYTES];
	int64_t t;
	int n;

	if (!memo[i].repeats)
		return;
	t = memo[i].last - (g_sim ? g_sim->t0 : 0);
	n = snprintf(line, sizeof(line),
		     "%6lld.%03lld   %-5s (the same line %u more times, the "
		     "last at %lld.%03lld)",
		     (long long)(t / 1000), (long long)(t % 1000),
		     g_sim->e[i].name, memo[i].repeats, (long long)(t / 1000),
		     (long long)(t % 1000));
	memo[i].repeats = 0;
	ring_put(line, (size_t)n);
}

void sim_log_flush(void)
{
	for (int i = 0; i < SIM_NENG; i++)
		memo_flush(i);
	memset(memo, 0, sizeof(memo));
}

static void vlog(enum xu_log_level level, const char *subsystem,
		 const char *fmt, va_list ap)
{
	static const char *const names[] = {"TRACE", "DEBUG", "INFO", "UNUSUAL",
					    "**BROKEN**"};
	char line[LINE_MAX_BYTES + 64];
	struct sim_engine *e = g_sim ? g_sim->cur : NULL;
	int n, m;

	if (e && level == XU_LOG_BROKEN)
		e->brokens++;
	if (!xu_log_enabled(level))
		return;
	n = stamp(line, sizeof(line));
	int body = n;

	m = snprintf(line + n, sizeof(line) - (size_t)n, "  %-5s %s [%s] ",
		     e ? e->name : "-", names[level], subsystem);
	n += m > 0 ? m : 0;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	n += m > 0 ? m : 0;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (e) {
		int i = e->idx;

		if (!strncmp(memo[i].text, line + body, LINE_MAX_BYTES - 1)) {
			memo[i].repeats++;
			memo[i].last = g_sim->now;
			return;
		}
		memo_flush(i);
		snprintf(memo[i].text, sizeof(memo[i].text), "%.*s", n - body,
			 line + body);
	}
	ring_put(line, (size_t)n);
}

void xu_log(enum xu_log_level level, const char *subsystem, const char *fmt,
	    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, subsystem, fmt, ap);
	va_end(ap);
}

/* The structured fields only matter to the JSON format: the simulator
 * keeps its text lines. */
void xu_logf(enum xu_log_level level, const char *subsystem,
	     const struct xu_log_fields *f, const char *fmt, ...)
{
	va_list ap;

	(void)f;
	va_start(ap, fmt);
	vlog(level, subsystem, fmt, ap);
	va_end(ap);
}
