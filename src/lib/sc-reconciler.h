/* The reconciler skeleton both daemons run: informers feed one
 * de-duplicating work queue of "namespace/name" keys, workers take a key and
 * call the daemon's reconcile, a failed key is retried with per-key backoff,
 * and a periodic resync puts every cached object back into the queue.
 * Level-triggered: a key carries no event, only "look at this one again".
 * A daemon keeps only its handler (reconcile) and its options. */
#ifndef SC_RECONCILER_H
#define SC_RECONCILER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-error.h"
#include "lib/sc-informer.h"
#include "lib/sc-kubeconfig.h"
#include "lib/sc-metrics.h"

/* One informer and how its objects map to keys. */
struct sc_reconciler_source {
	struct sc_informer_options informer;
	/* NULL: the object's namespace/name; else namespace/<the value of this
	 * label> (a pod maps to its instance through SC_LABEL_INSTANCE). */
	const char *key_label;
	/* Whether the periodic resync queues this informer's objects. */
	bool resync;
};

/* Each may be NULL. */
struct sc_reconciler_metrics {
	struct sc_metric *results;  /* counter by "result": success, conflict, not_leader, error */
	struct sc_metric *errors;   /* counter: failed reconciles */
	struct sc_metric *duration; /* histogram: seconds per reconcile */
	struct sc_metric *queue_depth;   /* gauge: keys waiting */
	struct sc_metric *queue_latency; /* histogram: seconds a key waited */
};

struct sc_reconciler_options {
	const struct sc_reconciler_source *sources;
	size_t nsources;
	int workers;         /* at least 1 */
	long long resync_ms; /* <= 0: never */
	/* One reconcile of key: 0 when done, -1 with err to retry it later. */
	int (*reconcile)(void *data, const char *key, sc_error_t *err);
	void *data;
	/* The warning a failed reconcile logs. */
	const char *failed_message;
	/* Conflicts and EAGAIN (expected under concurrent writers, or while
	 * not leading) are logged at -v 1 instead of as warnings. */
	bool quiet_retries;
	struct sc_reconciler_metrics metrics;
};

struct sc_reconciler;

/* Creates the informers (not started yet). Copies opts and its sources. */
int sc_reconciler_new(const struct sc_kube_config *cfg, const struct sc_reconciler_options *opts,
		      struct sc_reconciler **out, sc_error_t *err);
/* The informer of sources[i], for the reconcile to read its cache. */
struct sc_informer *sc_reconciler_informer(struct sc_reconciler *r, size_t i);
/* Starts the informers, the workers and the resync; returns once they run. */
int sc_reconciler_start(struct sc_reconciler *r, sc_error_t *err);
/* Every informer synced and its list and watch working (for /readyz); else
 * false with *why set. */
bool sc_reconciler_healthy(struct sc_reconciler *r, const char **why);
/* Stops the resync and the workers, then frees the informers and the queue. */
void sc_reconciler_free(struct sc_reconciler *r);

#endif
