/* The controller's runtime: informers for StoppableContainers, instances and
 * our pods feed one de-duplicating work queue of StoppableContainer keys
 * ("namespace/name"); workers take a key, read the objects from the caches,
 * decide (decide.h) and execute (execute.h). Level-triggered: a key carries
 * no event, only "look at this one again". */
#ifndef SC_CONTROLLER_CONTROLLER_H
#define SC_CONTROLLER_CONTROLLER_H

#include <stdatomic.h>

#include "pods.h"
#include "sc-kube-client.h"
#include "sc-kubeconfig.h"
#include "sc-metrics.h"

struct sc_controller_options {
	const char *namespace; /* NULL: all namespaces */
	int workers;
	struct sc_pod_options pods;
	struct sc_metrics *metrics;
	/* When set, consulted before each reconcile writes anything: false (we
	 * lost the leadership) skips the writes. */
	bool (*may_write)(void *data);
	void *may_write_data;
};

struct sc_controller;

int sc_controller_new(const struct sc_kube_config *cfg, const struct sc_kube_client_options *copts,
		      const struct sc_controller_options *opts, struct sc_controller **out,
		      sc_error_t *err);
/* Starts the informers and the workers; returns once they run. */
int sc_controller_start(struct sc_controller *c, sc_error_t *err);
/* True once every informer has listed. */
bool sc_controller_synced(struct sc_controller *c);
/* Stops the workers and informers and frees everything. */
void sc_controller_free(struct sc_controller *c);

#endif
