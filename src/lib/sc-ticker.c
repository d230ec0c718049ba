#include "lib/sc-ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "lib/sc-util.h"

struct sc_ticker {
	long long period_ms;
	void (*fn)(void *data);
	void *data;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop; /* under lock */
	atomic_uint ticks;
};

static void *ticker_main(void *p)
{
	struct sc_ticker *t = p;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&t->lock);
	for (;;) {
		sc_timespec_add_ms(&next, t->period_ms);
		while (!t->stop && pthread_cond_timedwait(&t->cond, &t->lock, &next) != ETIMEDOUT)
			;
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->lock);
		t->fn(t->data);
		atomic_fetch_add(&t->ticks, 1);
		pthread_mutex_lock(&t->lock);
		/* after a long call (or a suspended process) the next tick is a
		 * period from now, not a burst of missed ones */
		clock_gettime(CLOCK_MONOTONIC, &next);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int sc_ticker_start(long long period_ms, void (*fn)(void *data), void *data, struct sc_ticker **out,
		    sc_error_t *err)
{
	if (period_ms <= 0 || fn == NULL)
		return sc_error_make(err, EINVAL, "ticker: a positive period and a function");
	struct sc_ticker *t = sc_xzalloc(sizeof(*t));
	t->period_ms = period_ms;
	t->fn = fn;
	t->data = data;
	atomic_init(&t->ticks, 0);
	pthread_mutex_init(&t->lock, NULL);
	sc_cond_init_monotonic(&t->cond);
	int r = pthread_create(&t->thread, NULL, ticker_main, t);
	if (r != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		errno = r;
		return sc_error_make_errno(err, "ticker: starting its thread");
	}
	*out = t;
	return 0;
}

unsigned sc_ticker_ticks(struct sc_ticker *t)
{
	return atomic_load(&t->ticks);
}

void sc_ticker_stop(struct sc_ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
