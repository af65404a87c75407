/* Background WAL checkpoint thread (see walckpt.h). */
#include "src/store/walckpt.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "src/store/db.h"
#include "src/util/log.h"

struct eng_walckpt {
	sqlite3 *db; /* the thread's own connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	uint32_t period_ms;
	int log_frames; /* WAL size seen by the last background checkpoint */
};

/* WAL frames (pages) above which the thread checkpoints again after
 * CATCHUP_GAP_MS, up to CATCHUP_PASSES times in a row, rather than after
 * its period: under constant writes a checkpoint rarely copies the last
 * frame before the loop's next commit adds one, and the WAL starts over
 * only after one did.  Each pass copies what the commits added during the
 * one before (a few frames), so one soon ends between two commits; the
 * loop then starts the WAL over at its next write, and never waits for a
 * checkpoint of its own. */
#define CATCHUP_FRAMES 2048
#define CATCHUP_GAP_MS 1
#define CATCHUP_PASSES 8

/* WAL frames above which the loop finishes the job itself (the catch-up
 * did not: a load that commits faster than the passes end). */
#define RESTART_FRAMES (4 * CATCHUP_FRAMES)

static void *run(void *arg)
{
	struct eng_walckpt *w = arg;
	struct timespec ts;
	int log_frames, ckpt_frames, rc, passes = 0, last_frames = 0;
	bool idle;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		uint32_t ms = passes ? CATCHUP_GAP_MS : w->period_ms;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		while (!w->stop &&
		       pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
			;
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		rc = sqlite3_wal_checkpoint_v2(w->db, NULL,
					       SQLITE_CHECKPOINT_PASSIVE,
					       &log_frames, &ckpt_frames);
		xu_trace("store", "checkpoint: %d of %d frames (rc %d)",
			 ckpt_frames, log_frames, rc);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			xu_unusual("store", "background checkpoint: %s",
				   sqlite3_errmsg(w->db));
		pthread_mutex_lock(&w->mu);
		w->log_frames = log_frames;
		/* All copied and nothing added since the last pass: the
		 * next write starts the WAL over, no pass is needed. */
		idle = passes > 0 && log_frames == last_frames &&
		       ckpt_frames == log_frames;
		last_frames = log_frames;
		if (rc == SQLITE_OK && log_frames > CATCHUP_FRAMES && !idle &&
		    passes < CATCHUP_PASSES)
			passes++;
		else
			passes = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum xu_code eng_walckpt_new(struct eng_walckpt **out, struct eng_store *s,
			     const char *path, uint32_t period_ms,
			     struct xu_err *err)
{
	struct eng_walckpt *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	w->period_ms = period_ms ? period_ms : 1000;
	rc = sqlite3_open_v2(path, &w->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		xu_fail(err, XU_ESTORE, rc, "checkpoint connection: %s",
			w->db ? sqlite3_errmsg(w->db) : "out of memory");
		sqlite3_close(w->db);
		free(w);
		return XU_ESTORE;
	}
	sqlite3_busy_timeout(w->db, 100);
	/* Read once so that this connection opens the WAL: until then a
	 * checkpoint sees a database "not in WAL mode" and does nothing. */
	rc = sqlite3_exec(w->db, "SELECT count(*) FROM sqlite_master", NULL,
			  NULL, NULL);
	if (rc != SQLITE_OK) {
		xu_fail(err, XU_ESTORE, rc, "checkpoint connection: %s",
			sqlite3_errmsg(w->db));
		sqlite3_close(w->db);
		free(w);
		return XU_ESTORE;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		sqlite3_close(w->db);
		free(w);
		return xu_fail(err, XU_EIO, errno, "cannot start a thread");
	}
	/* From now on only this thread checkpoints (and the last close). */
	sqlite3_wal_autocheckpoint(eng_store_db(s), 0);
	*out = w;
	return XU_OK;
}

void eng_walckpt_tick(struct eng_walckpt *w, struct eng_store *s)
{
	sqlite3 *main_db = eng_store_db(s);
	int frames, log_frames, ckpt_frames;

	pthread_mutex_lock(&w->mu);
	frames = w->log_frames;
	if (frames > RESTART_FRAMES)
		w->log_frames = 0;
	pthread_mutex_unlock(&w->mu);
	if (frames <= RESTART_FRAMES)
		return;
	/* Mostly copied already: this copies the newest frames and fsyncs
	 * the database; the next write then restarts the WAL from the top. */
	if (sqlite3_wal_checkpoint_v2(main_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				      &log_frames, &ckpt_frames) != SQLITE_OK)
		xu_unusual("store", "checkpoint: %s", sqlite3_errmsg(main_db));
}

void eng_walckpt_free(struct eng_walckpt *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	sqlite3_close(w->db);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
