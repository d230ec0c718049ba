/* The work queue: de-duplication, re-add while processing, delays and
 * their order, per-key backoff, forget, shutdown waking blocked getters. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sc-util.h"
#include "lib/sc-workqueue.h"
#include "sc-test.h"

static char *must_get(struct sc_workqueue *q, long long *queued)
{
	char *k = NULL;
	if (!sc_workqueue_get(q, &k, queued))
		sc_test_fail(__FILE__, __LINE__, "get returned shutdown");
	return k;
}

SC_TEST(adds_are_deduplicated_in_fifo_order)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	sc_workqueue_add(q, "a");
	sc_workqueue_add(q, "b");
	sc_workqueue_add(q, "a");
	sc_workqueue_add(q, "c");
	sc_workqueue_add(q, "b");
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 3);
	const char *want[] = {"a", "b", "c"};
	for (size_t i = 0; i < 3; i++) {
		cleanup_free char *k = must_get(q, NULL);
		SC_ASSERT_STR_EQ(k, want[i]);
		sc_workqueue_done(q, k);
	}
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 0);
	struct sc_workqueue_stats st;
	sc_workqueue_get_stats(q, &st);
	SC_ASSERT_INT_EQ(st.adds, 3);
	SC_ASSERT_INT_EQ(st.processing, 0);
	sc_workqueue_shutdown(q);
	sc_workqueue_free(q);
}

SC_TEST(readd_while_processing_runs_again_after_done)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	sc_workqueue_add(q, "x");
	cleanup_free char *k = must_get(q, NULL);
	SC_ASSERT_STR_EQ(k, "x");
	sc_workqueue_add(q, "x");
	sc_workqueue_add(q, "x");
	/* not handed to a second worker while the first holds it */
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 0);
	struct sc_workqueue_stats st;
	sc_workqueue_get_stats(q, &st);
	SC_ASSERT_INT_EQ(st.processing, 1);
	sc_workqueue_done(q, k);
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 1);
	cleanup_free char *again = must_get(q, NULL);
	SC_ASSERT_STR_EQ(again, "x");
	sc_workqueue_done(q, again);
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 0);
	sc_workqueue_shutdown(q);
	sc_workqueue_free(q);
}

SC_TEST(backoff_grows_and_caps)
{
	SC_ASSERT_INT_EQ(sc_workqueue_backoff_delay(5, 300000, 0), 5);
	SC_ASSERT_INT_EQ(sc_workqueue_backoff_delay(5, 300000, 1), 10);
	SC_ASSERT_INT_EQ(sc_workqueue_backoff_delay(5, 300000, 10), 5120);
	SC_ASSERT_INT_EQ(sc_workqueue_backoff_delay(5, 300000, 16), 300000);
	SC_ASSERT_INT_EQ(sc_workqueue_backoff_delay(5, 300000, 4000000000u), 300000);
}

SC_TEST(rate_limited_counts_and_forget_resets)
{
	struct sc_workqueue_options o = {.base_delay_ms = 1, .max_delay_ms = 4};
	struct sc_workqueue *q = sc_workqueue_new(&o);
	for (unsigned i = 1; i <= 5; i++) {
		long long start = sc_now_ms();
		sc_workqueue_add_rate_limited(q, "k");
		SC_ASSERT_INT_EQ(sc_workqueue_num_requeues(q, "k"), i);
		cleanup_free char *k = must_get(q, NULL);
		SC_ASSERT_STR_EQ(k, "k");
		/* it came out no earlier than its backoff: 1, 2, 4, 4, 4 ms */
		long want = sc_workqueue_backoff_delay(1, 4, i - 1);
		SC_ASSERT(sc_now_ms() - start >= want);
		sc_workqueue_done(q, k);
	}
	sc_workqueue_add_rate_limited(q, "other");
	SC_ASSERT_INT_EQ(sc_workqueue_num_requeues(q, "other"), 1);
	sc_workqueue_forget(q, "k");
	SC_ASSERT_INT_EQ(sc_workqueue_num_requeues(q, "k"), 0);
	SC_ASSERT_INT_EQ(sc_workqueue_num_requeues(q, "other"), 1);
	struct sc_workqueue_stats st;
	sc_workqueue_get_stats(q, &st);
	SC_ASSERT_INT_EQ(st.retries, 6);
	sc_workqueue_shutdown(q);
	sc_workqueue_free(q);
}

SC_TEST(add_after_orders_by_time_and_earliest_wins)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	long long start = sc_now_ms();
	sc_workqueue_add_after(q, "late", 60);
	sc_workqueue_add_after(q, "soon", 20);
	sc_workqueue_add_after(q, "moved", 5000);
	sc_workqueue_add_after(q, "moved", 40);   /* earlier time wins */
	sc_workqueue_add_after(q, "soon", 10000); /* later time ignored */
	sc_workqueue_add(q, "now");
	struct sc_workqueue_stats st;
	sc_workqueue_get_stats(q, &st);
	SC_ASSERT_INT_EQ(st.depth, 1);
	SC_ASSERT_INT_EQ(st.delayed, 3);
	const char *want[] = {"now", "soon", "moved", "late"};
	const long at_least[] = {0, 20, 40, 60};
	for (size_t i = 0; i < 4; i++) {
		cleanup_free char *k = must_get(q, NULL);
		SC_ASSERT_STR_EQ(k, want[i]);
		SC_ASSERT(sc_now_ms() - start >= at_least[i]);
		sc_workqueue_done(q, k);
	}
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 0);
	sc_workqueue_get_stats(q, &st);
	SC_ASSERT_INT_EQ(st.delayed, 0);
	/* a delay of zero is a plain add */
	sc_workqueue_add_after(q, "zero", 0);
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 1);
	sc_workqueue_shutdown(q);
	sc_workqueue_free(q);
}

SC_TEST(time_in_queue_is_reported)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	sc_workqueue_add_after(q, "a", 30);
	long long queued = -1;
	cleanup_free char *k = must_get(q, &queued);
	/* it became ready at ~30 ms and was taken at once */
	SC_ASSERT(queued >= 0);
	sc_workqueue_add(q, "b");
	struct sc_workqueue_stats st;
	sc_workqueue_get_stats(q, &st);
	SC_ASSERT(st.oldest_queued_ms >= 0);
	SC_ASSERT_INT_EQ(st.depth, 1);
	SC_ASSERT_INT_EQ(st.processing, 1);
	sc_workqueue_done(q, k);
	sc_workqueue_shutdown(q);
	sc_workqueue_free(q);
}

struct getter {
	struct sc_workqueue *q;
	bool got;
	char *key;
};

static void *getter_thread(void *p)
{
	struct getter *g = p;
	g->got = sc_workqueue_get(g->q, &g->key, NULL);
	return NULL;
}

SC_TEST(shutdown_wakes_blocked_getters)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	struct getter g[3];
	pthread_t t[3];
	/* one of them waits on a delayed key an hour away */
	sc_workqueue_add_after(q, "far", 3600 * 1000);
	for (int i = 0; i < 3; i++) {
		g[i] = (struct getter){.q = q, .got = true};
		SC_ASSERT_INT_EQ(pthread_create(&t[i], NULL, getter_thread, &g[i]), 0);
	}
	sc_workqueue_shutdown(q);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		SC_ASSERT(!g[i].got);
		SC_ASSERT(g[i].key == NULL);
	}
	SC_ASSERT(sc_workqueue_shutting_down(q));
	/* adds after shutdown are ignored */
	sc_workqueue_add(q, "late");
	SC_ASSERT_INT_EQ(sc_workqueue_len(q), 0);
	sc_workqueue_free(q);
}

SC_TEST(queued_keys_drain_after_shutdown)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	sc_workqueue_add(q, "a");
	sc_workqueue_add(q, "b");
	sc_workqueue_shutdown(q);
	cleanup_free char *a = must_get(q, NULL);
	cleanup_free char *b = must_get(q, NULL);
	SC_ASSERT_STR_EQ(a, "a");
	SC_ASSERT_STR_EQ(b, "b");
	char *none = NULL;
	SC_ASSERT(!sc_workqueue_get(q, &none, NULL));
	sc_workqueue_done(q, a);
	sc_workqueue_done(q, b);
	sc_workqueue_free(q);
}

struct worker {
	struct sc_workqueue *q;
	pthread_mutex_t *lock;
	int *active; /* per key: workers holding it now */
	int *runs;
	int violations;
};

static void *worker_thread(void *p)
{
	struct worker *w = p;
	char *k;
	while (sc_workqueue_get(w->q, &k, NULL)) {
		int i = k[0] - 'a';
		pthread_mutex_lock(w->lock);
		if (w->active[i]++ != 0)
			w->violations++;
		w->runs[i]++;
		pthread_mutex_unlock(w->lock);
		sc_workqueue_add(w->q, k); /* re-add while processing */
		pthread_mutex_lock(w->lock);
		w->active[i]--;
		bool again = w->runs[i] < 50;
		pthread_mutex_unlock(w->lock);
		if (!again)
			sc_workqueue_forget(w->q, k);
		sc_workqueue_done(w->q, k);
		free(k);
		if (!again) {
			pthread_mutex_lock(w->lock);
			int total = 0;
			for (int j = 0; j < 4; j++)
				total += w->runs[j] >= 50;
			pthread_mutex_unlock(w->lock);
			if (total == 4)
				sc_workqueue_shutdown(w->q);
		}
	}
	return NULL;
}

/* Four workers, four keys, every run re-adds its key: never two workers on
 * one key at a time. */
SC_TEST(concurrent_workers_never_share_a_key)
{
	struct sc_workqueue *q = sc_workqueue_new(NULL);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int active[4] = {0}, runs[4] = {0};
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		w[i] = (struct worker){.q = q, .lock = &lock, .active = active, .runs = runs};
	sc_workqueue_add(q, "a");
	sc_workqueue_add(q, "b");
	sc_workqueue_add(q, "c");
	sc_workqueue_add(q, "d");
	for (int i = 0; i < 4; i++)
		SC_ASSERT_INT_EQ(pthread_create(&t[i], NULL, worker_thread, &w[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	int violations = 0;
	for (int i = 0; i < 4; i++) {
		violations += w[i].violations;
		SC_ASSERT(runs[i] >= 50);
	}
	SC_ASSERT_INT_EQ(violations, 0);
	sc_workqueue_free(q);
}

int main(void)
{
	return sc_test_run();
}
