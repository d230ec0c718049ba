/* Read-only accessors over Kubernetes objects as JSON, conditions, and the
 * status comparison both daemons make before a status apply. Pure: no I/O.
 * Accessors never fail: a missing or mistyped field reads as NULL/false/0. */
#ifndef SC_OBJECT_H
#define SC_OBJECT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/sc-json.h"

/* sc_json_path() and friends (sc-json.h) read fields; this adds booleans. */
bool sc_json_bool_at(json_t *obj, const char *path);
/* Stable hash of a JSON value (keys sorted), as 16 hex characters. */
void sc_json_hash(json_t *v, char out[17]);

/* True once metadata.deletionTimestamp is set. */
bool sc_obj_deleting(json_t *obj);
bool sc_obj_has_finalizer(json_t *obj, const char *finalizer);
const char *sc_obj_annotation(json_t *obj, const char *key);

/* The condition of the given type in obj.status.conditions, or NULL. */
json_t *sc_condition_find(json_t *obj, const char *type);
bool sc_condition_true(json_t *obj, const char *type);

/* A condition object {type, status, reason, message, lastTransitionTime},
 * keeping old_obj's lastTransitionTime of that type when its status is
 * unchanged, else now; observedGeneration when generation > 0. */
json_t *sc_condition_build(json_t *old_obj, const char *type, const char *status,
			   const char *reason, const char *message, const char *now,
			   json_int_t generation);

/* Whether applying `want` (the fields one manager sets) would change the
 * current status: any field of want that differs, or any of want's
 * conditions that differs from the current one of its type. */
bool sc_status_differs(json_t *current_status, json_t *want);

/* Pod status helpers. */
const char *sc_pod_phase(json_t *pod);
const char *sc_pod_node(json_t *pod);
bool sc_pod_ready(json_t *pod);
bool sc_pod_terminal(json_t *pod);

#endif
