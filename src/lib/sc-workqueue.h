/* A de-duplicating work queue with per-key backoff, with client-go's
 * semantics (k8s.io/client-go/util/workqueue):
 *
 *  - a key is queued at most once, however often it is added;
 *  - a key handed out by get() is "processing" until done(); adding it
 *    meanwhile does not queue it twice in parallel: it is queued again
 *    when done() is called, so one key is never worked on by two workers;
 *  - add_after() queues a key once a delay has passed (the earliest
 *    pending time wins);
 *  - add_rate_limited() waits base * 2^failures (capped) for that key;
 *    forget() resets the key's failure count (call it on success);
 *  - get() blocks until a key is ready or the queue is shut down; it
 *    returns false only when shut down with nothing left to hand out.
 *
 *   while (sc_workqueue_get(q, &key, NULL)) {
 *           if (reconcile(key) < 0) sc_workqueue_add_rate_limited(q, key);
 *           else sc_workqueue_forget(q, key);
 *           sc_workqueue_done(q, key);
 *           free(key);
 *   }
 *
 * Thread-safe: one mutex and a condition variable; delayed keys are waited
 * for with a timed wait on the monotonic clock, never by polling. */
#ifndef SC_WORKQUEUE_H
#define SC_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>

#define SC_WORKQUEUE_DEFAULT_BASE_DELAY_MS 5L
#define SC_WORKQUEUE_DEFAULT_MAX_DELAY_MS  300000L

struct sc_workqueue_options {
	long base_delay_ms; /* 0: 5 ms */
	long max_delay_ms;  /* 0: 5 min */
};

struct sc_workqueue_stats {
	size_t depth;      /* keys ready and waiting for a worker */
	size_t processing; /* keys handed out and not yet done */
	size_t delayed;    /* keys waiting for their add_after time */
	unsigned long long adds;
	unsigned long long retries; /* add_rate_limited calls */
	long long oldest_queued_ms; /* how long the oldest ready key has waited */
};

struct sc_workqueue;

struct sc_workqueue *sc_workqueue_new(const struct sc_workqueue_options *opts);
/* After shutdown, once no thread uses the queue. */
void sc_workqueue_free(struct sc_workqueue *q);

void sc_workqueue_add(struct sc_workqueue *q, const char *key);
void sc_workqueue_add_after(struct sc_workqueue *q, const char *key, long delay_ms);
void sc_workqueue_add_rate_limited(struct sc_workqueue *q, const char *key);
void sc_workqueue_forget(struct sc_workqueue *q, const char *key);
unsigned sc_workqueue_num_requeues(struct sc_workqueue *q, const char *key);

/* Blocks. On true, *key is the caller's (free it after done()), and
 * *queued_ms (if not NULL) how long it waited in the queue. */
bool sc_workqueue_get(struct sc_workqueue *q, char **key, long long *queued_ms);
void sc_workqueue_done(struct sc_workqueue *q, const char *key);

/* Wakes every get(); later adds are ignored; keys already queued are still
 * handed out, delayed ones are dropped. */
void sc_workqueue_shutdown(struct sc_workqueue *q);
bool sc_workqueue_shutting_down(struct sc_workqueue *q);

size_t sc_workqueue_len(struct sc_workqueue *q);
void sc_workqueue_get_stats(struct sc_workqueue *q, struct sc_workqueue_stats *out);

/* base * 2^failures, capped at max (pure). */
long sc_workqueue_backoff_delay(long base_ms, long max_ms, unsigned failures);

#endif
