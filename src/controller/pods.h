/* Builders of the provider and consumer pods from a StoppableContainerInstance.
 * Pure: JSON in, JSON out, no I/O, so every field is unit-tested. */
#ifndef SC_CONTROLLER_PODS_H
#define SC_CONTROLLER_PODS_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/sc-error.h"

struct sc_pod_options {
	/* The image holding /sc-exec and /sc-pause (ours, small). */
	const char *exec_image;
	const char *exec_image_pull_policy;
	/* Provider defaults when spec.provider.resources is empty. */
	const char *provider_cpu_request;
	const char *provider_memory_request;
	const char *provider_memory_limit;
	/* --runtime-path auto: take the runtime path where the node offers it. */
	bool runtime_path;
};

void sc_pod_options_defaults(struct sc_pod_options *o);

/* Paths inside our containers. */
#define SC_BIN_DIR        "/.sc-bin"
#define SC_PAUSE_IN_IMAGE "/sc-pause"
#define SC_EXEC_IN_IMAGE  "/sc-exec"

/* The provider pod `<name>-provider`: the user's image with sc-pause as its
 * command, copied in through an emptyDir by an init container. */
json_t *sc_build_provider_pod(json_t *sci, const struct sc_pod_options *o);

/* The argv the workload runs with, following `docker run` semantics over the
 * image configuration reported on the instance status. Returns a new JSON
 * array, or NULL with an error naming what is missing. */
json_t *sc_workload_argv(json_t *sci, sc_error_t *err);

/* The consumer pod `<name>` on the node of the provider: our image running
 * sc-exec, which enters the rootfs the mount-helper stacks on its root. */
json_t *sc_build_consumer_pod(json_t *sci, const char *node, const struct sc_pod_options *o,
			      sc_error_t *err);

/* Whether the consumer takes the runtime path: enabled (o->runtime_path) and
 * the node's runtime takes the mount-helper's rootfs hook
 * (status.rootfs.runtimeHook). Then the consumer is the template's own
 * container, annotated rootfs-mode: runtime. */
bool sc_consumer_runtime_path(json_t *sci, const struct sc_pod_options *o);

/* Hashes stored as annotations, to tell whether a pod was built from the
 * current spec. */
void sc_provider_hash(json_t *sci, const struct sc_pod_options *o, char out[17]);
void sc_consumer_hash(json_t *sci, const struct sc_pod_options *o, char out[17]);

#endif
