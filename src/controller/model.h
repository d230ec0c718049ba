/* Names, labels and read-only accessors over the JSON objects the controller
 * observes (StoppableContainer, StoppableContainerInstance, Pod). Pure: no I/O.
 * Accessors never fail: a missing or mistyped field reads as NULL/false/0. */
#ifndef SC_CONTROLLER_MODEL_H
#define SC_CONTROLLER_MODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/sc-api.h"
#include "lib/sc-error.h"
#include "lib/sc-json.h"

#define SC_DEFAULT_GRACE_SECONDS 30

/* sc_json_path() and friends (sc-json.h) read fields; this adds booleans. */
bool sc_json_bool_at(json_t *obj, const char *path);
/* Stable hash of a JSON value (keys sorted), as 16 hex characters. */
void sc_json_hash(json_t *v, char out[17]);

bool sc_obj_deleting(json_t *obj);
bool sc_obj_has_finalizer(json_t *obj, const char *finalizer);
const char *sc_obj_annotation(json_t *obj, const char *key);

/* The condition of the given type in obj.status.conditions, or NULL. */
json_t *sc_condition_find(json_t *obj, const char *type);
bool sc_condition_true(json_t *obj, const char *type);

/* The node whose mount-helper holds the instance's rootfs (its annotation,
 * else status.rootfs.nodeName), or NULL before any does. */
const char *sc_sci_rootfs_node(json_t *sci);

/* The template in the seed's shape, {metadata, container, pod fields}, from
 * either shape: the reference's {metadata, spec: PodSpec} gives its one
 * container as container (without its name: in the pod it is "workload")
 * and the PodSpec's fields beside it; any other template is returned as it
 * is. A new reference; NULL with err when spec.containers does not hold
 * exactly one container, or both container and spec are given, or the
 * workload container asks for securityContext.readOnlyRootFilesystem (the
 * CRD refuses these at admission). */
json_t *sc_template_normalize(json_t *tmpl, sc_error_t *err);

/* Pod status helpers. */
const char *sc_pod_phase(json_t *pod);
const char *sc_pod_node(json_t *pod);
bool sc_pod_ready(json_t *pod);
bool sc_pod_terminal(json_t *pod);

#endif
