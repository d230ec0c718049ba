/* The names of StoppableContainer's API that every component agrees on: the
 * API group and kinds, the labels on our pods, the finalizers and
 * annotations, the container names, the phases, the condition types and the
 * default host path prefix. The one place they are spelled:
 * hack/gen-crds.py reads this file's #define lines (string literals and
 * earlier names, concatenated) for the CRDs, and docs/api-reference.md
 * documents them. */
#ifndef SC_API_H
#define SC_API_H

#include <stdbool.h>
#include <string.h>

#include "lib/sc-json.h"

#define SC_GROUP       "stoppablecontainer.xtlsoft.top"
#define SC_API_VER     "v1alpha1"
#define SC_API_VERSION SC_GROUP "/" SC_API_VER
#define SC_KIND        "StoppableContainer"
#define SCI_KIND       "StoppableContainerInstance"

/* Labels on our pods: which instance, which role; SC_LABEL_WORKLOAD (value
 * the StoppableContainer's name) only on the consumer pod, the workload: what
 * a Service selects (docs/networking.md). Stable API. */
#define SC_LABEL_PREFIX   SC_GROUP "/"
#define SC_LABEL_INSTANCE SC_LABEL_PREFIX "instance"
#define SC_LABEL_ROLE     SC_LABEL_PREFIX "role"
#define SC_LABEL_WORKLOAD SC_LABEL_PREFIX "workload"
/* "true" on the controller replica that holds the Lease: what the metrics
 * Service selects. */
#define SC_LABEL_LEADER        SC_LABEL_PREFIX "leader"
#define SC_LABEL_MANAGED_BY    "app.kubernetes.io/managed-by"
#define SC_MANAGED_BY          "sc-controller"
#define SC_MANAGED_BY_SELECTOR SC_LABEL_MANAGED_BY "=" SC_MANAGED_BY
#define SC_ROLE_PROVIDER       "provider"
#define SC_ROLE_CONSUMER       "consumer"
#define SC_PROVIDER_SUFFIX     "-provider"

/* The containers of our pods: the provider's holds the image's layers, the
 * consumer's runs the workload in the rootfs. */
#define SC_CONTAINER_PROVIDER "rootfs"
#define SC_CONTAINER_WORKLOAD "workload"

/* Held on the StoppableContainer by the controller until its pods and
 * instance are gone. */
#define SC_FINALIZER SC_GROUP "/finalizer"
/* Held on the instance by the mount-helper until the rootfs is removed. */
#define SC_ROOTFS_FINALIZER SC_GROUP "/rootfs"
/* On the instance: the node whose mount-helper holds its rootfs. */
#define SC_ANNOTATION_NODE          SC_GROUP "/node"
#define SC_ANNOTATION_PROVIDER_HASH SC_GROUP "/provider-hash"
#define SC_ANNOTATION_CONSUMER_HASH SC_GROUP "/consumer-hash"
/* On a consumer pod: "runtime" when the container runtime starts the
 * workload in the rootfs (the node's NRI plugin adds the rootfs hook);
 * absent for the sc-exec (chroot) path. docs/architecture.md. */
#define SC_ANNOTATION_ROOTFS_MODE SC_GROUP "/rootfs-mode"
#define SC_ROOTFS_MODE_RUNTIME    "runtime"

/* Where a node keeps the instances' upper layers unless spec.hostPathPrefix
 * says otherwise (and the mount-helper's allow-list permits it). */
#define SC_DEFAULT_HOST_PATH_PREFIX "/var/lib/stoppablecontainer"

/* Phases of a StoppableContainer (status.phase), in this order the CRD's
 * enum (hack/gen-crds.py reads these lines). */
#define SC_PHASE_PENDING  "Pending"
#define SC_PHASE_STARTING "Starting"
#define SC_PHASE_RUNNING  "Running"
#define SC_PHASE_STOPPING "Stopping"
#define SC_PHASE_STOPPED  "Stopped"
#define SC_PHASE_FAILED   "Failed"

/* Phases of a StoppableContainerInstance (status.phase), likewise. */
#define SCI_PHASE_PENDING           "Pending"
#define SCI_PHASE_PROVIDER_STARTING "ProviderStarting"
#define SCI_PHASE_PROVIDER_READY    "ProviderReady"
#define SCI_PHASE_CONSUMER_STARTING "ConsumerStarting"
#define SCI_PHASE_RUNNING           "Running"
#define SCI_PHASE_STOPPING          "Stopping"
#define SCI_PHASE_STOPPED           "Stopped"
#define SCI_PHASE_FAILED            "Failed"

/* Condition types (hack/gen-crds.py reads these lines). */
#define SC_COND_READY            "Ready"
#define SC_COND_PROVIDER_READY   "ProviderReady"
#define SC_COND_ROOTFS_READY     "RootfsReady"
#define SC_COND_CONSUMER_READY   "ConsumerReady"
#define SC_COND_RESTART_REQUIRED "RestartRequired"

/* RootfsReady False: the rootfs is mounted on the node but cannot be stacked
 * on the workload's container (the mount-helper retries with backoff). */
#define SC_REASON_STACK_FAILED "StackFailed"

/* True when pod carries our role label with value role (SC_ROLE_*): only such
 * pods are ours to act on, whatever their names. */
static inline bool sc_pod_has_role(const json_t *pod, const char *role)
{
	json_t *labels = sc_json_path(pod, "metadata.labels");
	const char *v = json_string_value(json_object_get(labels, SC_LABEL_ROLE));
	return v != NULL && strcmp(v, role) == 0;
}

/* True when pod carries our role label AND a controller owner reference to
 * the instance with UID owner_uid: a pod anyone else created with our labels
 * and names is never ours, never adopted, never stacked onto. */
static inline bool sc_pod_is_ours(const json_t *pod, const char *role, const char *owner_uid)
{
	if (owner_uid == NULL || !sc_pod_has_role(pod, role))
		return false;
	size_t i;
	json_t *ref;
	json_array_foreach (sc_json_path(pod, "metadata.ownerReferences"), i, ref) {
		const char *uid = json_string_value(json_object_get(ref, "uid"));
		if (json_is_true(json_object_get(ref, "controller")) && uid != NULL &&
		    strcmp(uid, owner_uid) == 0)
			return true;
	}
	return false;
}

/* The workload container of a StoppableContainer (or instance) obj, in
 * either template shape (docs/templates.md): spec.template.container, else
 * the one container of the Pod shape's spec.template.spec.containers. NULL
 * when there is none, or the Pod shape has more than one (the CRD refuses
 * that). Borrowed from obj. */
static inline json_t *sc_workload_container(const json_t *obj)
{
	json_t *c = sc_json_path(obj, "spec.template.container");
	if (json_is_object(c))
		return c;
	json_t *containers = sc_json_path(obj, "spec.template.spec.containers");
	if (json_array_size(containers) != 1)
		return NULL;
	c = json_array_get(containers, 0);
	return json_is_object(c) ? c : NULL;
}

#endif
