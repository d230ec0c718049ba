/* Names, labels and read-only accessors over the JSON objects the controller
 * observes (StoppableContainer, StoppableContainerInstance, Pod). Pure: no I/O.
 * Accessors never fail: a missing or mistyped field reads as NULL/false/0. */
#ifndef SC_CONTROLLER_MODEL_H
#define SC_CONTROLLER_MODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "sc-json.h"

#define SC_GROUP            "stoppablecontainer.xtlsoft.top"
#define SC_API_VERSION      SC_GROUP "/v1alpha1"
#define SC_KIND             "StoppableContainer"
#define SCI_KIND            "StoppableContainerInstance"
#define SC_LABEL_PREFIX     SC_GROUP "/"
#define SC_LABEL_INSTANCE   SC_LABEL_PREFIX "instance"
#define SC_LABEL_ROLE       SC_LABEL_PREFIX "role"
#define SC_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define SC_MANAGED_BY       "sc-controller"
#define SC_ROLE_PROVIDER    "provider"
#define SC_ROLE_CONSUMER    "consumer"
/* Held on the StoppableContainer by the controller until its pods and
 * instance are gone. */
#define SC_FINALIZER SC_GROUP "/finalizer"
/* Held on the instance by the mount-helper until the rootfs is removed. */
#define SC_ROOTFS_FINALIZER         SC_GROUP "/rootfs"
#define SC_ANNOTATION_PROVIDER_HASH SC_GROUP "/provider-hash"
#define SC_ANNOTATION_CONSUMER_HASH SC_GROUP "/consumer-hash"
#define SC_PROVIDER_SUFFIX          "-provider"
#define SC_DEFAULT_HOST_PATH_PREFIX "/var/lib/stoppablecontainer"
#define SC_DEFAULT_GRACE_SECONDS    30

/* Condition types. */
#define SC_COND_READY            "Ready"
#define SC_COND_PROVIDER_READY   "ProviderReady"
#define SC_COND_ROOTFS_READY     "RootfsReady"
#define SC_COND_CONSUMER_READY   "ConsumerReady"
#define SC_COND_RESTART_REQUIRED "RestartRequired"

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

/* Pod status helpers. */
const char *sc_pod_phase(json_t *pod);
const char *sc_pod_node(json_t *pod);
bool sc_pod_ready(json_t *pod);
bool sc_pod_terminal(json_t *pod);

#endif
