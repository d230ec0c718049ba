#include "mount-helper/agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>

#include "lib/sc-api.h"
#include "lib/sc-event.h"
#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-log.h"
#include "lib/sc-object.h"
#include "lib/sc-reconciler.h"
#include "lib/sc-validate.h"
#include "node/sc-cgroup.h"
#include "node/sc-imageconfig.h"
#include "node/sc-inject.h"
#include "node/sc-kernel.h"
#include "node/sc-mountinfo.h"
#include "node/sc-overlay.h"
#include "node/sc-proc.h"
#include "node/sc-statedir.h"

/* The reconciler's sources, in this order. */
enum { SRC_INSTANCES, SRC_PODS, NSOURCES };

struct sc_agent {
	struct sc_agent_options opts;
	struct sc_kube_client *client;
	struct sc_reconciler *rec;
	struct sc_informer *instances, *pods; /* the reconciler's */
	struct sc_metric *m_prepared, *m_injected, *m_removed, *m_inject_seconds;
};

/* ---- pure helpers ---- */

bool sc_agent_running_container(json_t *pod, const char *name, char id[65], const char **image_id)
{
	size_t i;
	json_t *cs;
	json_array_foreach (sc_json_path(pod, "status.containerStatuses"), i, cs) {
		const char *n = json_string_value(json_object_get(cs, "name"));
		if (n == NULL || strcmp(n, name) != 0 || !sc_json_path(cs, "state.running"))
			continue;
		const char *cid = json_string_value(json_object_get(cs, "containerID"));
		cleanup_free char *runtime = NULL;
		cleanup_free char *hex = NULL;
		cleanup_error sc_error_t err = NULL;
		if (cid == NULL || sc_container_id_parse(cid, &runtime, &hex, &err) < 0)
			return false;
		snprintf(id, 65, "%s", hex);
		if (image_id)
			*image_id = json_string_value(json_object_get(cs, "imageID"));
		return true;
	}
	return false;
}

/* The mount-helper's one condition, RootfsReady. */
static json_t *condition(json_t *sci, const char *status, const char *reason, const char *msg,
			 const char *now)
{
	return sc_condition_build(sci, SC_COND_ROOTFS_READY, status, reason, msg, now, 0);
}

json_t *sc_agent_ready_status(json_t *sci, const char *node, const char *provider_uid,
			      const char *host_path, json_t *image_config, int layers,
			      const char *now)
{
	cleanup_free char *msg = sc_xasprintf("rootfs mounted on node %s over %d image layer%s",
					      node, layers, layers == 1 ? "" : "s");
	json_t *status = json_pack(
	    "{s:[o], s:{s:s, s:s}, s:s}", "conditions", condition(sci, "True", "Mounted", msg, now),
	    "rootfs", "providerPodUID", provider_uid, "nodeName", node, "hostPath", host_path);
	/* The workload container the rootfs is stacked on stays until a stack
	 * on another one (sc_agent_mark_stacked) replaces it. Left out, this
	 * apply (same field manager) would remove it, the next stack would put
	 * it back, and the controller would flip Running and ConsumerStarting. */
	const char *stacked = sc_json_path_str(sci, "status.rootfs.workloadContainerID");
	if (stacked != NULL)
		json_object_set_new(json_object_get(status, "rootfs"), "workloadContainerID",
				    json_string(stacked));
	if (image_config)
		json_object_set(status, "imageConfig", image_config);
	return status;
}

json_t *sc_agent_failed_status(json_t *sci, const char *reason, const char *message,
			       const char *now)
{
	return json_pack("{s:[o]}", "conditions", condition(sci, "False", reason, message, now));
}

void sc_agent_mark_stack_failed(json_t *sci, json_t *status, const char *message, const char *now)
{
	json_object_set_new(
	    status, "conditions",
	    json_pack("[o]", condition(sci, "False", SC_REASON_STACK_FAILED, message, now)));
}

void sc_agent_mark_stacked(json_t *status, const char *workload_cid)
{
	json_t *rootfs = json_object_get(status, "rootfs");
	if (json_is_object(rootfs))
		json_object_set_new(rootfs, "workloadContainerID", json_string(workload_cid));
}

const char *sc_agent_stack_failure(json_t *sci)
{
	json_t *c = sc_condition_find(sci, SC_COND_ROOTFS_READY);
	const char *s = json_string_value(json_object_get(c, "status"));
	if (s == NULL || strcmp(s, "False") != 0 ||
	    !sc_condition_says(sci, SC_COND_ROOTFS_READY, SC_REASON_STACK_FAILED))
		return NULL;
	const char *m = json_string_value(json_object_get(c, "message"));
	return m ? m : "";
}

bool sc_agent_status_differs(json_t *sci, json_t *want)
{
	return sc_status_differs(sc_json_path(sci, "status"), want);
}

/* ---- API writes ---- */

static int apply_status(struct sc_agent *a, json_t *sci, json_t *status, sc_error_t *err)
{
	cleanup_json json_t *body =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion", SC_API_VERSION, "kind",
		      SCI_KIND, "metadata", "name", sc_json_name(sci), "namespace",
		      sc_json_namespace(sci), "status", status);
	struct sc_kube_write_options wo = {
	    .subresource = "status", .field_manager = SC_AGENT_FIELD_MANAGER, .force = true};
	return sc_kube_patch(a->client, &sc_kube_stoppablecontainerinstances,
			     sc_json_namespace(sci), sc_json_name(sci), SC_KUBE_PATCH_APPLY, body,
			     &wo, NULL, err);
}

static void report_failure(struct sc_agent *a, json_t *sci, const char *reason, const char *msg)
{
	char now[SC_TIME_LEN];
	sc_time_now(now);
	cleanup_json json_t *status = sc_agent_failed_status(sci, reason, msg, now);
	if (!sc_agent_status_differs(sci, status))
		return;
	cleanup_error sc_error_t err = NULL;
	if (apply_status(a, sci, status, &err) < 0)
		SC_LOG_WARN("reporting %s on %s/%s: %s", reason, sc_json_namespace(sci),
			    sc_json_name(sci), sc_error_message(err));
}

static bool has_finalizer(json_t *obj)
{
	return sc_obj_has_finalizer(obj, SC_ROOTFS_FINALIZER);
}

/* Adds (or removes) our finalizer; adding also records this node in an
 * annotation, in the same patch, so only this node's agent removes the state. */
static int set_finalizer(struct sc_agent *a, json_t *sci, bool add, sc_error_t *err)
{
	cleanup_json json_t *extra = json_array();
	if (add) {
		if (sc_json_path(sci, "metadata.annotations") == NULL)
			json_array_append_new(extra,
					      json_pack("{s:s, s:s, s:{}}", "op", "add", "path",
							"/metadata/annotations", "value"));
		json_array_append_new(extra, json_pack("{s:s, s:s, s:s}", "op", "add", "path",
						       "/metadata/annotations/" SC_GROUP "~1node",
						       "value", a->opts.node));
	}
	return sc_kube_set_finalizer(a->client, &sc_kube_stoppablecontainerinstances, sci,
				     SC_ROOTFS_FINALIZER, add, extra, err);
}

/* ---- node work ---- */

static const char *prefix_of(json_t *sci)
{
	const char *p = sc_json_path_str(sci, "spec.hostPathPrefix");
	return p && *p ? p : SC_DEFAULT_HOST_PATH_PREFIX;
}

static int validate_identity(json_t *sci, sc_error_t *err)
{
	if (sc_validate_dns1123_label("namespace", sc_json_namespace(sci), err) < 0 ||
	    sc_validate_dns1123_subdomain("name", sc_json_name(sci), err) < 0 ||
	    sc_validate_uid("instance UID", sc_json_uid(sci), err) < 0)
		return -1;
	return 0;
}

static int remove_state(struct sc_agent *a, json_t *sci, sc_error_t *err)
{
	if (!has_finalizer(sci))
		return 0;
	const char *owner = sc_obj_annotation(sci, SC_ANNOTATION_NODE);
	if (owner == NULL || strcmp(owner, a->opts.node) != 0)
		return 0; /* another node's state */
	if (validate_identity(sci, err) < 0)
		return -1;
	cleanup_error sc_error_t perr = NULL;
	if (sc_statedir_check_prefix(a->opts.allowed_prefixes, prefix_of(sci), &perr) < 0) {
		/* The allow-list no longer holds the prefix the state was made
		 * under: this agent may not touch it, and waiting would hold the
		 * deletion forever. The state stays for the administrator. */
		SC_LOG_KV(SC_LOG_LEVEL_WARNING, "rootfs left on the node: prefix no longer allowed",
			  "namespace", sc_json_namespace(sci), "name", sc_json_name(sci), "uid",
			  sc_json_uid(sci), "prefix", prefix_of(sci), "error",
			  sc_error_message(perr), NULL);
		if (set_finalizer(a, sci, false, err) < 0)
			return sc_error_wrap(err, "releasing the rootfs finalizer");
		return 0;
	}
	if (sc_statedir_remove(a->opts.allowed_prefixes, prefix_of(sci), sc_json_namespace(sci),
			       sc_json_name(sci), sc_json_uid(sci), err) < 0)
		return sc_error_wrap(err, "removing the rootfs of %s/%s", sc_json_namespace(sci),
				     sc_json_name(sci));
	if (set_finalizer(a, sci, false, err) < 0)
		return sc_error_wrap(err, "releasing the rootfs finalizer");
	sc_metric_add(a->m_removed, 1);
	SC_LOG_KV(SC_LOG_LEVEL_INFO, "removed rootfs", "namespace", sc_json_namespace(sci), "name",
		  sc_json_name(sci), "uid", sc_json_uid(sci), NULL);
	return 0;
}

/* Mounts (or adopts) the instance's overlay over the provider container's
 * layers. Fills dir and *layers. */
static int prepare(struct sc_agent *a, json_t *sci, json_t *provider, const char *cid,
		   struct sc_instance_dir *dir, int *layers, sc_error_t *err)
{
	cleanup_container_process struct sc_container_process proc = {.pidfd = -1};
	if (sc_proc_find_container_fast(a->opts.proc_root, a->opts.task_dir, sc_json_uid(provider),
					cid, &proc, err) < 0)
		return sc_error_wrap(err, "finding the provider container %.12s", cid);
	cleanup_free char *mi_path = sc_xasprintf("%s/%d/mountinfo", a->opts.proc_root, proc.pid);
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_mountinfo_read(mi_path, &mi, err) < 0)
		return -1;
	const struct sc_mount *root = sc_mountinfo_find(&mi, "/");
	if (root == NULL || root->fstype == NULL || strcmp(root->fstype, "overlay") != 0)
		return sc_error_make(err, EINVAL,
				     "the provider container's root is not an overlay (%s)",
				     root && root->fstype ? root->fstype : "nothing");
	cleanup_overlay_layers struct sc_overlay_layers image = {0};
	if (sc_mount_overlay_layers(root, &image, err) < 0)
		return sc_error_wrap(err, "reading the image layers");
	/* The provider must still be that container after we read it. */
	if (sc_proc_verify(&proc, sc_json_uid(provider), cid, err) < 0)
		return -1;
	if (sc_statedir_create(a->opts.allowed_prefixes, prefix_of(sci), sc_json_namespace(sci),
			       sc_json_name(sci), sc_json_uid(sci), dir, err) < 0)
		return -1;
	struct sc_overlay_spec spec = {.lowerdirs = image.lowerdirs,
				       .upperdir = dir->upper,
				       .workdir = dir->work,
				       .target = dir->rootfs};
	enum sc_overlay_state before;
	if (sc_overlay_ensure(&spec, &before, err) < 0)
		return -1;
	*layers = (int)sc_strv_len(image.lowerdirs);
	if (before != SC_OVERLAY_CURRENT) {
		sc_metric_add(a->m_prepared, 1);
		SC_LOG_KV(SC_LOG_LEVEL_INFO,
			  before == SC_OVERLAY_STALE ? "remounted rootfs over new layers"
						     : "mounted rootfs",
			  "namespace", sc_json_namespace(sci), "name", sc_json_name(sci), "path",
			  dir->rootfs, NULL);
	}
	return 0;
}

/* Whether the process behind pidfd has exited. */
static bool process_gone(int pidfd)
{
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	return poll(&pf, 1, 0) > 0 && (pf.revents & (POLLIN | POLLHUP)) != 0;
}

bool sc_agent_root_is_instance(const struct sc_mountinfo *mi, const char *upperdir)
{
	const struct sc_mount *top = sc_mountinfo_find(mi, "/");
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	sc_error_t e = NULL;
	if (top == NULL || top->fstype == NULL || strcmp(top->fstype, "overlay") != 0 ||
	    sc_mount_overlay_layers(top, &l, &e) < 0) {
		sc_error_release(&e);
		return false;
	}
	return l.upperdir != NULL && strcmp(l.upperdir, upperdir) == 0;
}

/* The runtime path: the runtime started the workload in the rootfs (the
 * hook ran), or the workload is killed and the runtime starts it again —
 * never stacked after the fact, which would leave PID 1 outside. */
static int check_runtime_path(struct sc_agent *a, json_t *sci, json_t *consumer,
			      const struct sc_container_process *proc, const char *cid,
			      const struct sc_instance_dir *dir, sc_error_t *err)
{
	const char *mode = sc_obj_annotation(consumer, SC_ANNOTATION_ROOTFS_MODE);
	if (mode == NULL || strcmp(mode, SC_ROOTFS_MODE_RUNTIME) != 0)
		return 0;
	cleanup_free char *path = sc_xasprintf("%s/%d/mountinfo", a->opts.proc_root, proc->pid);
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_mountinfo_read(path, &mi, err) < 0 ||
	    sc_proc_verify(proc, sc_json_uid(consumer), cid, err) < 0)
		return -1;
	if (sc_agent_root_is_instance(&mi, dir->upper))
		return 0;
	pidfd_send_signal(proc->pidfd, SIGKILL, NULL, 0);
	SC_LOG_KV(SC_LOG_LEVEL_WARNING,
		  "workload started outside the rootfs (the runtime did not run the hook); "
		  "killed so the runtime starts it again",
		  "namespace", sc_json_namespace(sci), "name", sc_json_name(sci), "container", cid,
		  NULL);
	return sc_error_make(
	    err, EAGAIN, "workload container %.12s was started outside the rootfs; restarted", cid);
}

/* Stacks the rootfs on workload container cid. On failure, *stack_failed
 * says whether the stacking itself failed (reported on the status) rather
 * than the container not running (yet, or any more). */
static int inject(struct sc_agent *a, json_t *sci, json_t *consumer, const char *cid,
		  const struct sc_instance_dir *dir, bool *stack_failed, sc_error_t *err)
{
	*stack_failed = false;
	cleanup_container_process struct sc_container_process proc = {.pidfd = -1};
	if (sc_proc_find_container_fast(a->opts.proc_root, a->opts.task_dir, sc_json_uid(consumer),
					cid, &proc, err) < 0) {
		*stack_failed = (*err)->code != ENOENT;
		return sc_error_wrap(err, "finding the workload container %.12s", cid);
	}
	if (check_runtime_path(a, sci, consumer, &proc, cid, dir, err) < 0)
		return -1;
	/* The user's volumes: re-attached on the new root like the container's
	 * own mounts. */
	cleanup_strv char **extra = sc_xzalloc(sizeof(char *));
	size_t n = 0, i;
	json_t *vm;
	json_array_foreach (sc_json_path(sci, "spec.template.container.volumeMounts"), i, vm) {
		const char *p = json_string_value(json_object_get(vm, "mountPath"));
		cleanup_error sc_error_t verr = NULL;
		if (p == NULL || sc_validate_abs_path("mountPath", p, &verr) < 0)
			continue;
		extra = sc_xrealloc(extra, (n + 2) * sizeof(char *));
		extra[n++] = sc_xstrdup(p);
		extra[n] = NULL;
	}
	struct sc_inject_request req = {.pid = proc.pid,
					.pidfd = proc.pidfd,
					.overlay_path = dir->rootfs,
					.upperdir = dir->upper,
					.extra_paths = extra};
	struct sc_inject_result res = {0};
	long long start = sc_now_ms();
	if (sc_inject_rootfs(&req, &res, err) < 0) {
		/* A workload that exited meanwhile (a short command) is not a
		 * failure of the stacking: its next container gets a new try. */
		*stack_failed = !process_gone(proc.pidfd);
		return sc_error_wrap(err, "workload container %.12s", cid);
	}
	if (!res.already) {
		double secs = (double)(sc_now_ms() - start) / 1000.0;
		sc_metric_observe(a->m_inject_seconds, secs);
		sc_metric_add(a->m_injected, 1);
		SC_LOG_KV(SC_LOG_LEVEL_INFO, "stacked rootfs on workload", "namespace",
			  sc_json_namespace(sci), "name", sc_json_name(sci), "container", cid,
			  NULL);
	}
	sc_inject_result_free(&res);
	return 0;
}

/* The consumer pod of this instance on this node, when it is ours and not
 * being deleted; its running workload container's ID in cid ("" when none
 * runs). */
static json_t *live_consumer(json_t *sci, json_t *consumer, char cid[65])
{
	cid[0] = '\0';
	if (consumer == NULL || !sc_pod_is_ours(consumer, SC_ROLE_CONSUMER, sc_json_uid(sci)) ||
	    sc_obj_deleting(consumer))
		return NULL;
	if (!sc_agent_running_container(consumer, SC_CONTAINER_WORKLOAD, cid, NULL))
		cid[0] = '\0';
	return consumer;
}

/* Stacks the rootfs on the consumer's running container and writes the
 * outcome into status (the one apply of this reconcile): the container it is
 * stacked on, or RootfsReady False (StackFailed) with the error, which stays
 * while the pod's container restarts and goes once a stack works or the pod
 * is gone. Returns -1 with err when the key should be retried. */
static int stack(struct sc_agent *a, json_t *sci, json_t *consumer,
		 const struct sc_instance_dir *dir, json_t *status, const char *now,
		 sc_error_t *err)
{
	char cid[65];
	json_t *pod = live_consumer(sci, consumer, cid);
	const char *failed_before = sc_agent_stack_failure(sci);
	if (pod == NULL)
		return 0;
	if (cid[0] == '\0') {
		if (failed_before != NULL)
			sc_agent_mark_stack_failed(sci, status, failed_before, now);
		return 0;
	}
	bool stack_failed = false;
	if (inject(a, sci, pod, cid, dir, &stack_failed, err) == 0) {
		sc_agent_mark_stacked(status, cid);
		return 0;
	}
	if (stack_failed) {
		sc_agent_mark_stack_failed(sci, status, sc_error_message(*err), now);
	} else if (failed_before != NULL) {
		sc_agent_mark_stack_failed(sci, status, failed_before, now);
	}
	return -1;
}

/* The image's config (ENTRYPOINT, CMD, ENV, WORKDIR, USER) of the provider's
 * image: the one reported for this provider pod, else read from the content
 * store; NULL when it cannot be read. */
static json_t *image_config_of(struct sc_agent *a, json_t *sci, json_t *provider,
			       const char *image_id)
{
	const char *have_for = sc_json_path_str(sci, "status.rootfs.providerPodUID");
	json_t *known = sc_json_path(sci, "status.imageConfig");
	if (known && have_for && strcmp(have_for, sc_json_uid(provider)) == 0)
		return json_incref(known);
	json_t *image_config = NULL;
	cleanup_error sc_error_t ierr = NULL;
	if (sc_image_config_resolve(image_id, sc_content_store_read, (void *)a->opts.content_root,
				    &image_config, &ierr) < 0) {
		/* Without it the template must name the command; say so but do
		 * not fail the rootfs. */
		SC_LOG_WARN("reading the image config of %s/%s: %s", sc_json_namespace(sci),
			    sc_json_name(sci), sc_error_message(ierr));
		return NULL;
	}
	return image_config;
}

/* What must hold before the node does any work for an instance: a kernel
 * that can, a valid identity, an allowed prefix (each reported on the status,
 * not retried), and our finalizer (added first, so deletion always finds the
 * state). 1: go on; 0: done for now; -1 with err: retry. */
static int admit(struct sc_agent *a, json_t *sci, sc_error_t *err)
{
	if (sc_kernel_unsupported()[0] != '\0') {
		/* Not retried: the node's kernel does not change under us. */
		report_failure(a, sci, "KernelUnsupported", sc_kernel_unsupported());
		return 0;
	}
	cleanup_error sc_error_t check = NULL;
	if (validate_identity(sci, &check) < 0) {
		report_failure(a, sci, "InvalidName", sc_error_message(check));
		return 0;
	}
	if (sc_statedir_check_prefix(a->opts.allowed_prefixes, prefix_of(sci), &check) < 0) {
		/* Not retried: an edit of the spec triggers a new look. */
		cleanup_free char *msg = sc_xasprintf(
		    "%s; ask the cluster administrator to allow it, or leave hostPathPrefix "
		    "unset",
		    sc_error_message(check));
		report_failure(a, sci, "HostPathPrefixNotAllowed", msg);
		return 0;
	}
	if (!has_finalizer(sci)) {
		/* Before any state exists, so deletion always finds it. */
		if (set_finalizer(a, sci, true, err) < 0)
			return sc_error_wrap(err, "adding the rootfs finalizer");
		return 0; /* the update event brings us back */
	}
	return 1;
}

static int reconcile(void *data, const char *key, sc_error_t *err)
{
	struct sc_agent *a = data;
	cleanup_json json_t *sci = sc_informer_get(a->instances, key);
	if (sci == NULL)
		return 0;
	if (sc_obj_deleting(sci))
		return remove_state(a, sci, err);

	cleanup_free char *provider_key = sc_xasprintf("%s%s", key, SC_PROVIDER_SUFFIX);
	cleanup_json json_t *provider = sc_informer_get(a->pods, provider_key);
	cleanup_json json_t *consumer = sc_informer_get(a->pods, key);
	/* Only the pods this instance created (a controller reference to its
	 * UID): a squatter's pod with our name and labels is never stacked. */
	if (!sc_pod_is_ours(provider, SC_ROLE_PROVIDER, sc_json_uid(sci)) ||
	    sc_obj_deleting(provider))
		return 0;
	char pcid[65];
	const char *image_id = NULL;
	if (!sc_agent_running_container(provider, SC_CONTAINER_PROVIDER, pcid, &image_id))
		return 0;

	int go = admit(a, sci, err);
	if (go <= 0)
		return go;

	cleanup_instance_dir struct sc_instance_dir dir = {.fd = -1};
	int layers = 0;
	cleanup_error sc_error_t perr = NULL;
	if (prepare(a, sci, provider, pcid, &dir, &layers, &perr) < 0) {
		/* A provider that has not started its process yet is not a
		 * failure to report; anything else is. */
		if (perr->code != ENOENT) {
			cleanup_free char *msg =
			    sc_xasprintf("preparing the rootfs: %s", sc_error_message(perr));
			report_failure(a, sci, "MountFailed", msg);
		}
		*err = steal_pointer(&perr);
		return -1;
	}

	json_t *image_config = image_config_of(a, sci, provider, image_id);
	char now[SC_TIME_LEN];
	sc_time_now(now);
	cleanup_json json_t *status = sc_agent_ready_status(
	    sci, a->opts.node, sc_json_uid(provider), dir.path, image_config, layers, now);
	json_decref(image_config);
	if (a->opts.runtime_hook && a->opts.runtime_hook())
		json_object_set_new(json_object_get(status, "rootfs"), "runtimeHook", json_true());
	/* One apply with the outcome of the stack too: a failure written
	 * after a "ready" of the same reconcile would flip the condition on
	 * every retry, and the StoppableContainer's phase (and events) with
	 * it. */
	cleanup_error sc_error_t serr = NULL;
	int stacked = stack(a, sci, consumer, &dir, status, now, &serr);
	if (sc_agent_status_differs(sci, status) && apply_status(a, sci, status, err) < 0)
		return sc_error_wrap(err, "reporting RootfsReady");
	if (stacked < 0) {
		*err = steal_pointer(&serr);
		return -1;
	}
	return 0;
}

int sc_agent_runtime_rootfs(struct sc_agent *a, const char *ns, const char *pod_name,
			    const char *pod_uid, char **overlay, char **upperdir, sc_error_t *err)
{
	if (sc_validate_dns1123_label("namespace", ns, err) < 0 ||
	    sc_validate_dns1123_subdomain("pod name", pod_name, err) < 0)
		return -1;
	cleanup_free char *key = sc_xasprintf("%s/%s", ns, pod_name);
	cleanup_json json_t *sci = sc_informer_get(a->instances, key);
	cleanup_json json_t *pod = sc_informer_get(a->pods, key);
	if (sci == NULL || pod == NULL)
		return sc_error_make(err, EAGAIN, "%s: instance or pod not seen yet", key);
	const char *uid = sc_json_uid(pod);
	if (uid == NULL || pod_uid == NULL || strcmp(uid, pod_uid) != 0 ||
	    !sc_pod_is_ours(pod, SC_ROLE_CONSUMER, sc_json_uid(sci)))
		return sc_error_make(err, EPERM, "%s is not the consumer pod of the instance", key);
	const char *node = sc_obj_annotation(sci, SC_ANNOTATION_NODE);
	if (node == NULL || strcmp(node, a->opts.node) != 0 ||
	    sc_json_path_str(sci, "status.rootfs.providerPodUID") == NULL)
		return sc_error_make(err, EAGAIN, "the rootfs of %s is not ready on this node",
				     key);
	if (validate_identity(sci, err) < 0 ||
	    sc_statedir_check_prefix(a->opts.allowed_prefixes, prefix_of(sci), err) < 0)
		return -1;
	/* Computed, never taken from the status. */
	cleanup_free char *dir =
	    sc_xasprintf("%s/%s/%s/%s", prefix_of(sci), ns, pod_name, sc_json_uid(sci));
	*overlay = sc_xasprintf("%s/rootfs", dir);
	*upperdir = sc_xasprintf("%s/upper", dir);
	return 0;
}

/* ---- runtime ---- */

/* What the store keeps of an instance: no managedFields, and of the template
 * only the container's volumeMounts (where the volumes are re-attached). The
 * user's env, command and the rest can be as big as the API server allows,
 * and the mount-helper on every node watches every instance. */
static void instance_view(json_t *obj)
{
	static const char *const template_keep[] = {"container", NULL};
	static const char *const container_keep[] = {"volumeMounts", NULL};
	sc_obj_drop_managed_fields(obj);
	sc_obj_keep_only(obj, "spec.template", template_keep);
	sc_obj_keep_only(obj, "spec.template.container", container_keep);
}

int sc_agent_new(const struct sc_kube_config *cfg, const struct sc_agent_options *opts,
		 struct sc_agent **out, sc_error_t *err)
{
	struct sc_agent *a = sc_xzalloc(sizeof(*a));
	a->opts = *opts;
	struct sc_kube_client_options copts = {.component = "sc-mount-helper"};
	if (sc_kube_client_new(cfg, &copts, &a->client, err) < 0) {
		free(a);
		return -1;
	}
	cleanup_free char *field = sc_xasprintf("spec.nodeName=%s", opts->node);
	/* Of an instance only what the mount-helper reads (instance_view), of
	 * a pod no spec (the controller does the same); a pod's key is its
	 * instance's. */
	struct sc_reconciler_source sources[NSOURCES] = {
	    [SRC_INSTANCES] = {.informer = {.resource = &sc_kube_stoppablecontainerinstances,
					    .transform = instance_view},
			       .resync = true},
	    [SRC_PODS] = {.informer = {.resource = &sc_kube_pods,
				       .label_selector = SC_MANAGED_BY_SELECTOR,
				       .field_selector = field,
				       .transform = sc_informer_pod_status_only},
			  .key_label = SC_LABEL_INSTANCE},
	};
	struct sc_metrics *m = opts->metrics;
	a->m_prepared = sc_metrics_counter(m, "sc_mount_helper_rootfs_mounted_total",
					   "Overlays mounted or remounted.", NULL);
	a->m_injected = sc_metrics_counter(m, "sc_mount_helper_rootfs_stacked_total",
					   "Rootfs stacked on a workload container.", NULL);
	a->m_removed = sc_metrics_counter(m, "sc_mount_helper_rootfs_removed_total",
					  "Instance states removed.", NULL);
	struct sc_metric *m_errors = sc_metrics_counter(m, "sc_mount_helper_errors_total",
							"Node reconciles that failed.", NULL);
	a->m_inject_seconds =
	    sc_metrics_histogram(m, "sc_mount_helper_stack_duration_seconds",
				 "Time to stack a rootfs on a workload container.",
				 sc_metrics_duration_buckets, sc_metrics_duration_nbuckets);
	/* One worker: mount work on one node is serial by nature, and one
	 * worker makes every instance's steps strictly ordered. */
	struct sc_reconciler_options ro = {
	    .sources = sources,
	    .nsources = NSOURCES,
	    .workers = 1,
	    .resync_ms = opts->resync_ms == 0 ? SC_AGENT_DEFAULT_RESYNC_MS : opts->resync_ms,
	    .reconcile = reconcile,
	    .data = a,
	    .failed_message = "node reconcile failed",
	    .metrics = {.errors = m_errors}};
	if (sc_reconciler_new(cfg, &ro, &a->rec, err) < 0) {
		sc_agent_free(a);
		return -1;
	}
	a->instances = sc_reconciler_informer(a->rec, SRC_INSTANCES);
	a->pods = sc_reconciler_informer(a->rec, SRC_PODS);
	*out = a;
	return 0;
}

int sc_agent_start(struct sc_agent *a, sc_error_t *err)
{
	return sc_reconciler_start(a->rec, err);
}

bool sc_agent_healthy(struct sc_agent *a, const char **why)
{
	return sc_reconciler_healthy(a->rec, why);
}

void sc_agent_free(struct sc_agent *a)
{
	if (a == NULL)
		return;
	sc_reconciler_free(a->rec);
	sc_kube_client_free(a->client);
	free(a);
}
