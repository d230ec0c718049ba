/* Carries out a reconcile plan against the API server, in order, stopping at
 * the first failure (the work queue retries the key with backoff, and the
 * next decision starts from fresh observations).
 *
 * Idempotence against a lagging cache: creating something that already
 * exists and deleting something already gone count as done. */
#ifndef SC_CONTROLLER_EXECUTE_H
#define SC_CONTROLLER_EXECUTE_H

#include "controller/decide.h"
#include "lib/sc-event.h"
#include "lib/sc-kube-client.h"

#define SC_FIELD_MANAGER "sc-controller"

struct sc_execute_stats {
	unsigned writes; /* API writes made */
};

int sc_execute_plan(struct sc_kube_client *client, json_t *sc, const struct sc_plan *plan,
		    struct sc_execute_stats *stats, sc_error_t *err);

#endif
