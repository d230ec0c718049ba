/* The periodic ticker behind both daemons' resync: it calls at the period,
 * not before; stop ends it at once, between ticks. */
#include <stdatomic.h>
#include <time.h>

#include "lib/sc-ticker.h"
#include "lib/sc-util.h"
#include "sc-test.h"

static atomic_int calls;

static void count(void *data)
{
	(void)data;
	atomic_fetch_add(&calls, 1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

SC_TEST(ticks_at_the_period)
{
	atomic_store(&calls, 0);
	struct sc_ticker *t = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_ticker_start(50, count, NULL, &t, &err), 0);
	long long deadline = sc_now_ms() + 5000;
	while (sc_ticker_ticks(t) < 3 && sc_now_ms() < deadline)
		sleep_ms(5);
	SC_ASSERT(sc_ticker_ticks(t) >= 3);
	sc_ticker_stop(t);
	SC_ASSERT(atomic_load(&calls) >= 3);
}

SC_TEST(stop_does_not_wait_for_the_next_tick)
{
	atomic_store(&calls, 0);
	struct sc_ticker *t = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_ticker_start(3600 * 1000LL, count, NULL, &t, &err), 0);
	long long start = sc_now_ms();
	sc_ticker_stop(t);
	SC_ASSERT(sc_now_ms() - start < 2000);
	SC_ASSERT_INT_EQ(atomic_load(&calls), 0);
}

SC_TEST(a_period_must_be_positive)
{
	struct sc_ticker *t = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_ticker_start(0, count, NULL, &t, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "positive period");
	sc_ticker_stop(NULL);
}

int main(void)
{
	return sc_test_run();
}
