/* The controller's own accessors over the objects it observes
 * (StoppableContainer, StoppableContainerInstance): the generic ones (objects,
 * conditions, pods) are lib/sc-object.h. Pure: no I/O. */
#ifndef SC_CONTROLLER_MODEL_H
#define SC_CONTROLLER_MODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/sc-api.h"
#include "lib/sc-error.h"
#include "lib/sc-json.h"
#include "lib/sc-object.h"

#define SC_DEFAULT_GRACE_SECONDS 30

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

#endif
