#include "lib/sc-workqueue.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "lib/sc-util.h"

/* A key waiting for its add_after time. Entries are never removed from the
 * middle of the heap: when a key's time moves earlier a new entry is pushed
 * and the old one is recognised as stale (its time no longer matches
 * delayed[key]) when it reaches the top. */
struct delayed_entry {
	long long ready_ms;
	unsigned long long seq; /* FIFO among equal times */
	char *key;
};

struct sc_workqueue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long base_delay_ms;
	long max_delay_ms;
	bool shutting_down;

	/* FIFO of ready keys: fifo[head..tail) */
	char **fifo;
	size_t head, tail, cap;

	/* jansson objects as string-keyed hash tables */
	json_t *dirty;      /* key -> time it was added (ms): needs processing */
	json_t *processing; /* key -> true */
	json_t *failures;   /* key -> count */
	json_t *delayed;    /* key -> earliest ready time (ms) */

	struct delayed_entry *heap;
	size_t heap_len, heap_cap;
	unsigned long long seq;

	unsigned long long adds, retries;
};

long sc_workqueue_backoff_delay(long base_ms, long max_ms, unsigned failures)
{
	long long d = base_ms > 0 ? base_ms : 1;
	for (unsigned i = 0; i < failures && d < max_ms; i++)
		d *= 2;
	return d > max_ms ? max_ms : (long)d;
}

struct sc_workqueue *sc_workqueue_new(const struct sc_workqueue_options *opts)
{
	struct sc_workqueue *q = sc_xzalloc(sizeof(*q));
	q->base_delay_ms = opts && opts->base_delay_ms > 0 ? opts->base_delay_ms
							   : SC_WORKQUEUE_DEFAULT_BASE_DELAY_MS;
	q->max_delay_ms =
	    opts && opts->max_delay_ms > 0 ? opts->max_delay_ms : SC_WORKQUEUE_DEFAULT_MAX_DELAY_MS;
	pthread_mutex_init(&q->lock, NULL);
	sc_cond_init_monotonic(&q->cond);
	q->dirty = json_object();
	q->processing = json_object();
	q->failures = json_object();
	q->delayed = json_object();
	return q;
}

void sc_workqueue_free(struct sc_workqueue *q)
{
	if (q == NULL)
		return;
	for (size_t i = q->head; i < q->tail; i++)
		free(q->fifo[i]);
	free(q->fifo);
	for (size_t i = 0; i < q->heap_len; i++)
		free(q->heap[i].key);
	free(q->heap);
	json_decref(q->dirty);
	json_decref(q->processing);
	json_decref(q->failures);
	json_decref(q->delayed);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static void fifo_push(struct sc_workqueue *q, const char *key)
{
	if (q->tail == q->cap) {
		if (q->head > 0) {
			/* reuse the consumed front before growing */
			memmove(q->fifo, q->fifo + q->head, (q->tail - q->head) * sizeof(char *));
			q->tail -= q->head;
			q->head = 0;
		}
		if (q->tail == q->cap) {
			q->cap = q->cap ? q->cap * 2 : 16;
			q->fifo = sc_xrealloc(q->fifo, q->cap * sizeof(char *));
		}
	}
	q->fifo[q->tail++] = sc_xstrdup(key);
}

static char *fifo_pop(struct sc_workqueue *q)
{
	char *k = q->fifo[q->head++];
	if (q->head == q->tail)
		q->head = q->tail = 0;
	return k;
}

static bool heap_less(const struct delayed_entry *a, const struct delayed_entry *b)
{
	return a->ready_ms < b->ready_ms || (a->ready_ms == b->ready_ms && a->seq < b->seq);
}

static void heap_push(struct sc_workqueue *q, long long ready_ms, const char *key)
{
	if (q->heap_len == q->heap_cap) {
		q->heap_cap = q->heap_cap ? q->heap_cap * 2 : 16;
		q->heap = sc_xrealloc(q->heap, q->heap_cap * sizeof(*q->heap));
	}
	size_t i = q->heap_len++;
	q->heap[i] = (struct delayed_entry){ready_ms, q->seq++, sc_xstrdup(key)};
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(&q->heap[i], &q->heap[parent]))
			break;
		struct delayed_entry t = q->heap[i];
		q->heap[i] = q->heap[parent];
		q->heap[parent] = t;
		i = parent;
	}
}

static struct delayed_entry heap_pop(struct sc_workqueue *q)
{
	struct delayed_entry top = q->heap[0];
	q->heap[0] = q->heap[--q->heap_len];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->heap_len && heap_less(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->heap_len && heap_less(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			break;
		struct delayed_entry t = q->heap[i];
		q->heap[i] = q->heap[m];
		q->heap[m] = t;
		i = m;
	}
	return top;
}

static void add_locked(struct sc_workqueue *q, const char *key, long long now)
{
	if (q->shutting_down)
		return;
	if (json_object_get(q->dirty, key) != NULL)
		return; /* already queued (or queued to run again after done) */
	q->adds++;
	json_object_set_new_nocheck(q->dirty, key, json_integer(now));
	if (json_object_get(q->processing, key) != NULL)
		return; /* done() will queue it */
	fifo_push(q, key);
	pthread_cond_signal(&q->cond);
}

/* Move delayed keys whose time has come into the queue. */
static void promote_ready(struct sc_workqueue *q, long long now)
{
	while (q->heap_len > 0 && q->heap[0].ready_ms <= now) {
		struct delayed_entry e = heap_pop(q);
		json_t *t = json_object_get(q->delayed, e.key);
		if (t != NULL && json_integer_value(t) == e.ready_ms) {
			json_object_del(q->delayed, e.key);
			add_locked(q, e.key, now);
		}
		free(e.key);
	}
}

void sc_workqueue_add(struct sc_workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	add_locked(q, key, sc_now_ms());
	pthread_mutex_unlock(&q->lock);
}

static void add_after_locked(struct sc_workqueue *q, const char *key, long delay_ms)
{
	long long now = sc_now_ms();
	if (q->shutting_down)
		return;
	if (delay_ms <= 0) {
		add_locked(q, key, now);
		return;
	}
	long long ready = now + delay_ms;
	json_t *cur = json_object_get(q->delayed, key);
	if (cur != NULL && json_integer_value(cur) <= ready)
		return; /* already due earlier */
	json_object_set_new_nocheck(q->delayed, key, json_integer(ready));
	heap_push(q, ready, key);
	/* A getter may be sleeping until a later time. */
	pthread_cond_broadcast(&q->cond);
}

void sc_workqueue_add_after(struct sc_workqueue *q, const char *key, long delay_ms)
{
	pthread_mutex_lock(&q->lock);
	add_after_locked(q, key, delay_ms);
	pthread_mutex_unlock(&q->lock);
}

void sc_workqueue_add_rate_limited(struct sc_workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	json_t *f = json_object_get(q->failures, key);
	long long n = f ? json_integer_value(f) : 0;
	json_object_set_new_nocheck(q->failures, key, json_integer(n + 1));
	q->retries++;
	long delay = sc_workqueue_backoff_delay(q->base_delay_ms, q->max_delay_ms,
						n > 64 ? 64u : (unsigned)n);
	add_after_locked(q, key, delay);
	pthread_mutex_unlock(&q->lock);
}

void sc_workqueue_forget(struct sc_workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	json_object_del(q->failures, key);
	pthread_mutex_unlock(&q->lock);
}

unsigned sc_workqueue_num_requeues(struct sc_workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	json_t *f = json_object_get(q->failures, key);
	unsigned n = f ? (unsigned)json_integer_value(f) : 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void deadline_for(long long ready_ms, struct timespec *ts)
{
	/* sc_now_ms() is CLOCK_MONOTONIC, the condvar's clock. */
	ts->tv_sec = ready_ms / 1000;
	ts->tv_nsec = (ready_ms % 1000) * 1000000L;
}

bool sc_workqueue_get(struct sc_workqueue *q, char **key, long long *queued_ms)
{
	pthread_mutex_lock(&q->lock);
	for (;;) {
		long long now = sc_now_ms();
		promote_ready(q, now);
		if (q->head < q->tail) {
			char *k = fifo_pop(q);
			json_t *t = json_object_get(q->dirty, k);
			if (queued_ms != NULL)
				*queued_ms = t ? now - json_integer_value(t) : 0;
			json_object_del(q->dirty, k);
			json_object_set_new_nocheck(q->processing, k, json_true());
			pthread_mutex_unlock(&q->lock);
			*key = k;
			return true;
		}
		if (q->shutting_down) {
			pthread_mutex_unlock(&q->lock);
			*key = NULL;
			return false;
		}
		if (q->heap_len > 0) {
			struct timespec ts;
			deadline_for(q->heap[0].ready_ms, &ts);
			pthread_cond_timedwait(&q->cond, &q->lock, &ts);
		} else {
			pthread_cond_wait(&q->cond, &q->lock);
		}
	}
}

void sc_workqueue_done(struct sc_workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	json_object_del(q->processing, key);
	if (json_object_get(q->dirty, key) != NULL) {
		/* re-added while it was processed: run it again */
		fifo_push(q, key);
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
}

void sc_workqueue_shutdown(struct sc_workqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->shutting_down = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

bool sc_workqueue_shutting_down(struct sc_workqueue *q)
{
	pthread_mutex_lock(&q->lock);
	bool s = q->shutting_down;
	pthread_mutex_unlock(&q->lock);
	return s;
}

size_t sc_workqueue_len(struct sc_workqueue *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->tail - q->head;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void sc_workqueue_get_stats(struct sc_workqueue *q, struct sc_workqueue_stats *out)
{
	pthread_mutex_lock(&q->lock);
	long long now = sc_now_ms();
	*out = (struct sc_workqueue_stats){
	    .depth = q->tail - q->head,
	    .processing = json_object_size(q->processing),
	    .delayed = json_object_size(q->delayed),
	    .adds = q->adds,
	    .retries = q->retries,
	};
	for (size_t i = q->head; i < q->tail; i++) {
		json_t *t = json_object_get(q->dirty, q->fifo[i]);
		if (t != NULL && now - json_integer_value(t) > out->oldest_queued_ms)
			out->oldest_queued_ms = now - json_integer_value(t);
	}
	pthread_mutex_unlock(&q->lock);
}
