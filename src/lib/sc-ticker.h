/* A thread that calls fn(data) every period, until stopped: the periodic
 * resync of both daemons (every object in the informers' stores back into the
 * work queue, so an object converges whatever event was missed).
 *
 *   struct sc_ticker *t;
 *   sc_ticker_start(60000, resync, ctl, &t, err);
 *   ...
 *   sc_ticker_stop(t);   // joins the thread and frees it
 *
 * The first call comes one period after the start. fn runs on the ticker's
 * thread; keep it short (hand keys to a work queue). */
#ifndef SC_TICKER_H
#define SC_TICKER_H

#include "lib/sc-error.h"

struct sc_ticker;

int sc_ticker_start(long long period_ms, void (*fn)(void *data), void *data, struct sc_ticker **out,
		    sc_error_t *err);
/* Calls made so far. */
unsigned sc_ticker_ticks(struct sc_ticker *t);
/* Ends the thread (at once, not at the next tick), waits for it and frees
 * the ticker; NULL is fine. */
void sc_ticker_stop(struct sc_ticker *t);

#endif
