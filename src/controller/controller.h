/* The controller's runtime: informers for StoppableContainers, instances and
 * our pods feed one de-duplicating work queue of StoppableContainer keys
 * ("namespace/name"); workers take a key, read the objects from the caches,
 * decide (decide.h) and execute (execute.h). Level-triggered: a key carries
 * no event, only "look at this one again". */
#ifndef SC_CONTROLLER_CONTROLLER_H
#define SC_CONTROLLER_CONTROLLER_H

#include <stdatomic.h>

#include "controller/pods.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-kubeconfig.h"
#include "lib/sc-metrics.h"

struct sc_controller_options {
	const char *namespace; /* NULL: all namespaces */
	int workers;
	struct sc_pod_options pods;
	struct sc_metrics *metrics;
	/* When set, consulted before each reconcile writes anything: false (we
	 * lost the leadership) skips the writes. */
	bool (*may_write)(void *data);
	void *may_write_data;
	/* Every resync_ms (0: SC_CONTROLLER_DEFAULT_RESYNC_MS; < 0: never),
	 * every StoppableContainer and instance in the caches goes back into
	 * the work queue: whatever event was missed (a watch that broke while
	 * the API server was frozen, a reconcile skipped while not leading),
	 * each object converges within one period. A resync of objects that
	 * need nothing writes nothing: it costs no API request. */
	long long resync_ms;
};

#define SC_CONTROLLER_DEFAULT_RESYNC_MS 60000LL

struct sc_controller;

int sc_controller_new(const struct sc_kube_config *cfg, const struct sc_kube_client_options *copts,
		      const struct sc_controller_options *opts, struct sc_controller **out,
		      sc_error_t *err);
/* Starts the informers and the workers; returns once they run. */
int sc_controller_start(struct sc_controller *c, sc_error_t *err);
/* Synced and every informer's list and watch work (for /readyz); else false
 * with *why set. */
bool sc_controller_healthy(struct sc_controller *c, const char **why);
/* Stops the workers and informers and frees everything. */
void sc_controller_free(struct sc_controller *c);

#endif
