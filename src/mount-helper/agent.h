/* The mount-helper's runtime on one node: informers on the instances and on
 * this node's pods of ours feed a work queue of instance keys; a worker
 * prepares the instance's overlay when its provider runs here, stacks it on
 * the consumer's root when the consumer starts, reports RootfsReady, and on
 * deletion removes the state and releases the rootfs finalizer.
 *
 * It acts only on what the API server says (see SECURITY.md): every name and
 * UID is validated before it becomes a path, processes are matched by pod UID
 * and container ID and held by pidfd, and the host path prefix must be on the
 * administrator's allow-list. */
#ifndef SC_AGENT_H
#define SC_AGENT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/sc-kubeconfig.h"
#include "lib/sc-metrics.h"
#include "node/sc-mountinfo.h"

#define SC_AGENT_FIELD_MANAGER "sc-mount-helper"

struct sc_agent_options {
	const char *node;
	char **allowed_prefixes;  /* NULL-terminated */
	const char *proc_root;    /* "/proc" */
	const char *task_dir;     /* the runtime's init.pid files; NULL or "": scan /proc */
	const char *content_root; /* containerd's content store */
	struct sc_metrics *metrics;
	/* Every resync_ms (0: SC_AGENT_DEFAULT_RESYNC_MS; < 0: never) every
	 * instance in the cache is queued again: a missed event (a watch broken
	 * by an API server outage) delays an instance by one period at most.
	 * An instance that needs nothing costs no API request. */
	long long resync_ms;
	/* Whether this node's runtime takes our rootfs hook now (NRI plugin
	 * registered); reported as status.rootfs.runtimeHook. NULL: never. */
	bool (*runtime_hook)(void);
};

#define SC_AGENT_DEFAULT_RESYNC_MS 60000LL

struct sc_agent;

int sc_agent_new(const struct sc_kube_config *cfg, const struct sc_agent_options *opts,
		 struct sc_agent **out, sc_error_t *err);
int sc_agent_start(struct sc_agent *a, sc_error_t *err);
/* Synced and every informer's list and watch work (for /readyz). */
bool sc_agent_healthy(struct sc_agent *a, const char **why);
void sc_agent_free(struct sc_agent *a);

/* The runtime path (docs/architecture.md): the overlay and upperdir of the
 * instance whose consumer pod namespace/pod_name (UID pod_uid) is being
 * created on this node, from the caches — only for a pod this instance
 * created, with the rootfs reported ready on this node. New strings. */
int sc_agent_runtime_rootfs(struct sc_agent *a, const char *ns, const char *pod_name,
			    const char *pod_uid, char **overlay, char **upperdir, sc_error_t *err);

/* Pure helpers, exposed for the tests. */

/* The container ID (64 hex) of the running container `name` in pod, or NULL
 * when it is not running. Written into id[65]. */
bool sc_agent_running_container(json_t *pod, const char *name, char id[65], const char **image_id);
/* The status this agent applies (server-side apply) for a prepared rootfs. */
json_t *sc_agent_ready_status(json_t *sci, const char *node, const char *provider_uid,
			      const char *host_path, json_t *image_config, int layers,
			      const char *now);
/* The status for a failure the user must act on (reason, message). */
json_t *sc_agent_failed_status(json_t *sci, const char *reason, const char *message,
			       const char *now);
/* Turns a ready status into RootfsReady False, reason StackFailed, with
 * message: the rootfs is mounted but cannot be stacked on the workload. */
void sc_agent_mark_stack_failed(json_t *sci, json_t *status, const char *message, const char *now);
/* Records in a ready status that the rootfs is stacked on workload_cid. */
void sc_agent_mark_stacked(json_t *status, const char *workload_cid);
/* The message of the instance's StackFailed condition, or NULL when the
 * instance does not report one. */
const char *sc_agent_stack_failure(json_t *sci);
/* Whether the topmost "/" in a container's mountinfo is the instance's
 * overlay (upperdir). On the runtime path the runtime must have started the
 * workload in it; otherwise the agent kills the workload, so the runtime
 * starts it again through the hook, instead of stacking after the fact. */
bool sc_agent_root_is_instance(const struct sc_mountinfo *mi, const char *upperdir);
/* Whether applying want to the instance would change its status. */
bool sc_agent_status_differs(json_t *sci, json_t *want);

#endif
