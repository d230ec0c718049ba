/* core/v1 Events about our objects, and the check that keeps a repeated
 * failure to one event: an object whose condition already says the reason
 * was told already. */
#ifndef SC_EVENT_H
#define SC_EVENT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/sc-kube-client.h"

/* A core/v1 Event about obj (pure; exposed for tests). */
json_t *sc_build_event(json_t *obj, const char *type, const char *reason, const char *message,
		       const char *now, const char *component);

/* Creates the Event (now as the time). An event that cannot be written is
 * not worth failing a reconcile for: a failure is logged, not returned. */
void sc_event_record(struct sc_kube_client *client, json_t *obj, const char *type,
		     const char *reason, const char *message, const char *component);

/* Whether obj's condition cond_type already has this reason. */
bool sc_condition_says(json_t *obj, const char *cond_type, const char *reason);

/* Whether obj says this already: its cached copy, else the API server's (a
 * retry within milliseconds of the reconcile that said it runs before the
 * cache has its status; one GET, on a failure path only, keeps it to one
 * event). */
bool sc_event_said_already(struct sc_kube_client *client, const struct sc_kube_resource *res,
			   json_t *obj, const char *cond_type, const char *reason);

#endif
