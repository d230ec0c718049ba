#include "controller/decide.h"

#include <string.h>

#include "controller/model.h"
#include "lib/sc-util.h"

const char *sc_action_kind_name(enum sc_action_kind kind)
{
	switch (kind) {
	case SC_ACT_ADD_FINALIZER:
		return "AddFinalizer";
	case SC_ACT_REMOVE_FINALIZER:
		return "RemoveFinalizer";
	case SC_ACT_CREATE_INSTANCE:
		return "CreateInstance";
	case SC_ACT_UPDATE_INSTANCE:
		return "UpdateInstance";
	case SC_ACT_DELETE_INSTANCE:
		return "DeleteInstance";
	case SC_ACT_CREATE_POD:
		return "CreatePod";
	case SC_ACT_DELETE_POD:
		return "DeletePod";
	case SC_ACT_APPLY_INSTANCE_STATUS:
		return "ApplyInstanceStatus";
	case SC_ACT_APPLY_STATUS:
		return "ApplyStatus";
	case SC_ACT_EVENT:
		return "Event";
	}
	return "Unknown";
}

static struct sc_action *add(struct sc_plan *plan, enum sc_action_kind kind)
{
	if (plan->count == plan->alloc) {
		plan->alloc = plan->alloc ? plan->alloc * 2 : 8;
		plan->actions = sc_xrealloc(plan->actions, plan->alloc * sizeof(*plan->actions));
	}
	struct sc_action *a = &plan->actions[plan->count++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->grace_seconds = -1;
	return a;
}

static void add_delete_pod(struct sc_plan *plan, json_t *pod, long long grace)
{
	struct sc_action *a = add(plan, SC_ACT_DELETE_POD);
	a->name = sc_xstrdup(sc_json_name(pod));
	a->uid = sc_xstrdup(sc_json_uid(pod));
	a->grace_seconds = grace;
}

SC_PRINTF(4, 5)
static void add_event(struct sc_plan *plan, const char *type, const char *reason, const char *fmt,
		      ...)
{
	struct sc_action *a = add(plan, SC_ACT_EVENT);
	a->event_type = type;
	a->reason = sc_xstrdup(reason);
	va_list ap;
	va_start(ap, fmt);
	a->message = sc_xvasprintf(fmt, ap);
	va_end(ap);
}

void sc_plan_free(struct sc_plan *plan)
{
	for (size_t i = 0; i < plan->count; i++) {
		struct sc_action *a = &plan->actions[i];
		json_decref(a->object);
		free(a->name);
		free(a->uid);
		free(a->reason);
		free(a->message);
	}
	free(plan->actions);
	memset(plan, 0, sizeof(*plan));
}

const struct sc_action *sc_plan_find(const struct sc_plan *plan, enum sc_action_kind kind)
{
	for (size_t i = 0; i < plan->count; i++)
		if (plan->actions[i].kind == kind)
			return &plan->actions[i];
	return NULL;
}

const char *sc_phase_for_instance_phase(const char *p)
{
	if (p == NULL || strcmp(p, "Pending") == 0 || strcmp(p, "ProviderStarting") == 0)
		return "Pending";
	if (strcmp(p, "Running") == 0)
		return "Running";
	if (strcmp(p, "Stopped") == 0)
		return "Stopped";
	if (strcmp(p, "Failed") == 0)
		return "Failed";
	/* ProviderReady, ConsumerStarting, Stopping: the provider holds the
	 * rootfs and the workload is neither fully up nor fully down. */
	return "ProviderReady";
}

/* The instance spec the StoppableContainer asks for. */
static json_t *desired_instance_spec(json_t *sc)
{
	json_t *spec = json_deep_copy(sc_json_path(sc, "spec"));
	if (!json_is_object(spec)) {
		json_decref(spec);
		spec = json_object();
	}
	json_object_set_new(spec, "stoppableContainerName", json_string(sc_json_name(sc)));
	if (!json_is_boolean(json_object_get(spec, "running")))
		json_object_set_new(spec, "running", json_false());
	if (!json_is_string(json_object_get(spec, "hostPathPrefix")))
		json_object_set_new(spec, "hostPathPrefix",
				    json_string(SC_DEFAULT_HOST_PATH_PREFIX));
	return spec;
}

static json_t *new_instance(json_t *sc, json_t *spec)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s?, s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:b, "
			 "s:b}]}, s:O}",
			 "apiVersion", SC_API_VERSION, "kind", SCI_KIND, "metadata", "name",
			 sc_json_name(sc), "namespace", sc_json_namespace(sc), "labels",
			 SC_LABEL_INSTANCE, sc_json_name(sc), SC_LABEL_MANAGED_BY, SC_MANAGED_BY,
			 "ownerReferences", "apiVersion", SC_API_VERSION, "kind", SC_KIND, "name",
			 sc_json_name(sc), "uid", sc_json_uid(sc) ? sc_json_uid(sc) : "",
			 "controller", 1, "blockOwnerDeletion", 1, "spec", spec);
}

#define SC_REASON_POD_NAME_TAKEN "PodNameTaken"

/* The message for a pod with one of our names that we did not create. */
static char *pod_in_the_way(json_t *pod, json_t *sci)
{
	return sc_xasprintf("pod %s already exists and was not created for this "
			    "StoppableContainer (it has no controller reference to instance "
			    "%s); delete it or give the StoppableContainer another name",
			    sc_json_name(pod), sc_json_uid(sci) ? sc_json_uid(sci) : "?");
}

/* Whether the instance already says a pod is in the way (one event, not one
 * per reconcile). */
static bool reported_taken(json_t *sci)
{
	static const char *const types[] = {SC_COND_PROVIDER_READY, SC_COND_CONSUMER_READY};
	for (size_t i = 0; i < SC_ARRAY_SIZE(types); i++) {
		json_t *c = sc_condition_find(sci, types[i]);
		const char *r = json_string_value(json_object_get(c, "reason"));
		if (r != NULL && strcmp(r, SC_REASON_POD_NAME_TAKEN) == 0)
			return true;
	}
	return false;
}

/* What the pods' own statuses say is wrong, in words a user can act on. */
struct diagnosis {
	bool failed;        /* a Failed phase */
	const char *reason; /* CamelCase */
	char *message;
};

static void diagnosis_free(struct diagnosis *d)
{
	free(d->message);
}

/* The first container status (init containers first) that is waiting, with
 * its reason, message and image. */
static json_t *waiting_status(json_t *pod, const char **reason, const char **message,
			      const char **image)
{
	static const char *const lists[] = {"status.initContainerStatuses",
					    "status.containerStatuses"};
	for (size_t l = 0; l < SC_ARRAY_SIZE(lists); l++) {
		size_t i;
		json_t *cs;
		json_array_foreach (sc_json_path(pod, lists[l]), i, cs) {
			json_t *waiting = sc_json_path(cs, "state.waiting");
			const char *r = json_string_value(json_object_get(waiting, "reason"));
			/* PodInitializing is the normal wait of a main container. */
			if (r == NULL || strcmp(r, "PodInitializing") == 0)
				continue;
			*reason = r;
			*message = json_string_value(json_object_get(waiting, "message"));
			*image = json_string_value(json_object_get(cs, "image"));
			return cs;
		}
	}
	*reason = *message = *image = NULL;
	return NULL;
}

static bool is_image_error(const char *reason)
{
	static const char *const errors[] = {
	    "ErrImagePull",      "ImagePullBackOff",           "InvalidImageName",
	    "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError",
	    "RunContainerError"};
	for (size_t i = 0; reason && i < SC_ARRAY_SIZE(errors); i++)
		if (strcmp(reason, errors[i]) == 0)
			return true;
	return false;
}

/* The PodScheduled=False message, when the scheduler cannot place the pod. */
static const char *unschedulable_message(json_t *pod)
{
	json_t *c = sc_condition_find(pod, "PodScheduled");
	const char *status = json_string_value(json_object_get(c, "status"));
	const char *reason = json_string_value(json_object_get(c, "reason"));
	if (status && strcmp(status, "False") == 0 && reason &&
	    strcmp(reason, "Unschedulable") == 0) {
		const char *m = json_string_value(json_object_get(c, "message"));
		return m ? m : "no node fits";
	}
	return NULL;
}

static void diagnose_pod(json_t *pod, const char *what, const char *image, struct diagnosis *d)
{
	const char *msg = NULL, *reason = NULL, *failed_image = NULL;
	json_t *cs = waiting_status(pod, &reason, &msg, &failed_image);
	const char *unsched = unschedulable_message(pod);
	if (is_image_error(reason)) {
		d->failed = true;
		d->reason = "ImagePullFailed";
		d->message = sc_xasprintf("%s cannot start image %s: %s%s%s", what,
					  failed_image ? failed_image : image, reason,
					  msg ? ": " : "", msg ? msg : "");
	} else if (reason && strcmp(reason, "CrashLoopBackOff") == 0) {
		json_t *last = sc_json_path(cs, "lastState.terminated");
		d->failed = true;
		d->reason = "CrashLoop";
		d->message =
		    sc_xasprintf("%s keeps exiting (last exit code %" JSON_INTEGER_FORMAT
				 "%s%s); see: kubectl logs %s --previous",
				 what, json_integer_value(json_object_get(last, "exitCode")),
				 json_string_value(json_object_get(last, "reason")) ? ", " : "",
				 json_string_value(json_object_get(last, "reason"))
				     ? json_string_value(json_object_get(last, "reason"))
				     : "",
				 sc_json_name(pod));
	} else if (unsched) {
		d->reason = "Unschedulable";
		d->message = sc_xasprintf("%s cannot be scheduled: %s", what, unsched);
	}
}

struct cond {
	const char *type;
	const char *status;
	const char *reason;
	char *message;
};

/* A condition object, keeping lastTransitionTime when the status did not
 * change. */
static json_t *condition_json(json_t *old_obj, const struct cond *c, const char *now,
			      json_int_t generation)
{
	json_t *old = sc_condition_find(old_obj, c->type);
	const char *old_status = json_string_value(json_object_get(old, "status"));
	const char *ltt = now;
	if (old_status && strcmp(old_status, c->status) == 0 &&
	    json_string_value(json_object_get(old, "lastTransitionTime")))
		ltt = json_string_value(json_object_get(old, "lastTransitionTime"));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", c->type, "status", c->status,
			      "reason", c->reason, "message", c->message ? c->message : "",
			      "lastTransitionTime", ltt);
	if (generation > 0)
		json_object_set_new(j, "observedGeneration", json_integer(generation));
	return j;
}

/* Whether applying `want` (our fields) would change `current` status. */
static bool status_differs(json_t *current_status, json_t *want)
{
	const char *key;
	json_t *v;
	json_object_foreach (want, key, v) {
		json_t *cur = json_object_get(current_status, key);
		if (strcmp(key, "conditions") != 0) {
			if (!cur || !json_equal(cur, v))
				return true;
			continue;
		}
		size_t i;
		json_t *c;
		json_array_foreach (v, i, c) {
			json_t *found = NULL;
			size_t j;
			json_t *cc;
			json_array_foreach (cur, j, cc) {
				if (json_equal(json_object_get(cc, "type"),
					       json_object_get(c, "type")))
					found = cc;
			}
			if (!found || !json_equal(found, c))
				return true;
		}
	}
	/* A field we no longer set (consumerPodName after a stop) is a change. */
	static const char *const optional[] = {"consumerPodName", "consumerPodUID"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(optional); i++)
		if (json_object_get(current_status, optional[i]) &&
		    !json_object_get(want, optional[i]))
			return true;
	return false;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(o, k, json_string(v));
}

static void deletion(const struct sc_observed *obs, struct sc_plan *plan)
{
	json_t *sc = obs->sc;
	/* Order: the workload, then the provider, then the instance (whose
	 * rootfs finalizer the mount-helper releases after removing the
	 * rootfs), then our finalizer. Each step waits for the previous one to
	 * be gone: the next reconcile is triggered by its deletion event. */
	if (obs->consumer) {
		if (!sc_obj_deleting(obs->consumer))
			add_delete_pod(plan, obs->consumer, -1);
		return;
	}
	if (obs->provider) {
		if (!sc_obj_deleting(obs->provider))
			add_delete_pod(plan, obs->provider, -1);
		return;
	}
	if (obs->sci) {
		if (!sc_obj_deleting(obs->sci)) {
			struct sc_action *a = add(plan, SC_ACT_DELETE_INSTANCE);
			a->name = sc_xstrdup(sc_json_name(obs->sci));
			a->uid = sc_xstrdup(sc_json_uid(obs->sci));
		}
		return;
	}
	if (sc_obj_has_finalizer(sc, SC_FINALIZER))
		add(plan, SC_ACT_REMOVE_FINALIZER);
}

void sc_decide(const struct sc_observed *obs, const struct sc_pod_options *o, struct sc_plan *plan)
{
	json_t *sc = obs->sc;
	if (sc == NULL)
		return;
	if (sc_obj_deleting(sc)) {
		deletion(obs, plan);
		return;
	}
	if (!sc_obj_has_finalizer(sc, SC_FINALIZER))
		add(plan, SC_ACT_ADD_FINALIZER);

	const char *name = sc_json_name(sc);
	json_t *want_spec = desired_instance_spec(sc);
	if (obs->sci == NULL) {
		add(plan, SC_ACT_CREATE_INSTANCE)->object = new_instance(sc, want_spec);
		add_event(plan, "Normal", "Created", "created instance %s", name);
		json_decref(want_spec);
		return;
	}
	if (sc_obj_deleting(obs->sci)) {
		/* Someone deleted the instance: wait until it is gone, then
		 * create it again (its pods go with it). */
		json_decref(want_spec);
		return;
	}

	/* The working copy: the instance as it will be once its spec is
	 * updated. Pods are built from it. */
	json_t *sci = json_deep_copy(obs->sci);
	if (!json_equal(sc_json_path(sci, "spec"), want_spec)) {
		json_object_set(sci, "spec", want_spec);
		add(plan, SC_ACT_UPDATE_INSTANCE)->object = json_incref(sci);
	}
	json_decref(want_spec);

	const bool running = sc_json_bool_at(sci, "spec.running");
	const char *image = sc_json_path_str(sci, "spec.template.container.image");
	json_t *provider = obs->provider;
	json_t *consumer = obs->consumer;
	char want_hash[17];
	sc_provider_hash(sci, o, want_hash);

	/* Provider. */
	bool provider_ok = false;
	const bool provider_taken = provider == NULL && obs->foreign_provider != NULL;
	if (provider_taken) {
		/* in the way: reported below */
	} else if (provider == NULL) {
		add(plan, SC_ACT_CREATE_POD)->object = sc_build_provider_pod(sci, o);
	} else if (sc_obj_deleting(provider)) {
		/* wait for it to go */
	} else if (sc_pod_terminal(provider)) {
		add_delete_pod(plan, provider, 0);
		add_event(plan, "Warning", "ProviderRecreated",
			  "provider pod %s ended (%s); recreating it", sc_json_name(provider),
			  sc_pod_phase(provider));
	} else if (consumer == NULL && sc_obj_annotation(provider, SC_ANNOTATION_PROVIDER_HASH) &&
		   strcmp(sc_obj_annotation(provider, SC_ANNOTATION_PROVIDER_HASH), want_hash) !=
		       0) {
		/* The image or provider settings changed; only while stopped,
		 * never under a running workload. */
		add_delete_pod(plan, provider, 0);
		add_event(plan, "Normal", "ProviderRecreated",
			  "spec changed; recreating provider pod %s", sc_json_name(provider));
	} else {
		provider_ok = sc_pod_ready(provider);
	}
	const char *node = provider ? sc_pod_node(provider) : NULL;
	const char *rootfs_uid = sc_json_path_str(sci, "status.rootfs.providerPodUID");
	const bool rootfs_ok = provider_ok && sc_condition_true(sci, SC_COND_ROOTFS_READY) &&
			       rootfs_uid && sc_json_uid(provider) &&
			       strcmp(rootfs_uid, sc_json_uid(provider)) == 0;

	/* Consumer. */
	struct diagnosis build_failure = {0};
	bool consumer_created = false;
	long long grace = -1;
	json_t *g = sc_json_path(sci, "spec.template.terminationGracePeriodSeconds");
	if (json_is_integer(g))
		grace = json_integer_value(g);
	if (consumer != NULL) {
		const char *cnode = sc_pod_node(consumer);
		if (sc_obj_deleting(consumer)) {
			/* stopping */
		} else if (!running) {
			add_delete_pod(plan, consumer, grace);
			add_event(plan, "Normal", "Stopping", "stopping the workload (pod %s)",
				  sc_json_name(consumer));
		} else if (sc_pod_terminal(consumer)) {
			add_delete_pod(plan, consumer, 0);
		} else if (node && cnode && strcmp(node, cnode) != 0) {
			add_delete_pod(plan, consumer, grace);
			add_event(plan, "Warning", "NodeChanged",
				  "the provider moved to node %s; restarting the workload there",
				  node);
		}
	} else if (running && rootfs_ok && obs->foreign_consumer != NULL) {
		build_failure.failed = true;
		build_failure.reason = SC_REASON_POD_NAME_TAKEN;
		build_failure.message = pod_in_the_way(obs->foreign_consumer, sci);
	} else if (running && rootfs_ok) {
		cleanup_error sc_error_t err = NULL;
		json_t *pod = sc_build_consumer_pod(sci, node, o, &err);
		if (pod == NULL) {
			build_failure.failed = true;
			build_failure.reason = "InvalidSpec";
			build_failure.message = sc_xstrdup(sc_error_message(err));
		} else {
			add(plan, SC_ACT_CREATE_POD)->object = pod;
			add_event(plan, "Normal", "Starting", "starting the workload on node %s",
				  node);
			consumer_created = true;
		}
	}

	/* The workload runs once the consumer's container is up and the
	 * mount-helper has stacked the rootfs on that very container. */
	char workload_cid[80] = "";
	size_t ci;
	json_t *cst;
	json_array_foreach (sc_json_path(consumer, "status.containerStatuses"), ci, cst) {
		const char *id = json_string_value(json_object_get(cst, "containerID"));
		const char *sep = id ? strstr(id, "://") : NULL;
		if (sep && strlen(sep + 3) < sizeof(workload_cid))
			snprintf(workload_cid, sizeof(workload_cid), "%s", sep + 3);
	}
	const char *stacked_on = sc_json_path_str(sci, "status.rootfs.workloadContainerID");
	const bool stacked =
	    workload_cid[0] != '\0' && stacked_on && strcmp(stacked_on, workload_cid) == 0;

	/* Phase, message and conditions. */
	struct diagnosis pd = {0}, cd = {0};
	if (provider)
		diagnose_pod(provider, "the provider pod", image, &pd);
	if (consumer)
		diagnose_pod(consumer, "the workload", image, &cd);
	if (provider_taken) {
		pd.failed = true;
		pd.reason = SC_REASON_POD_NAME_TAKEN;
		pd.message = pod_in_the_way(obs->foreign_provider, sci);
	}
	const bool consumer_taken =
	    build_failure.failed && obs->foreign_consumer != NULL && consumer == NULL;
	if ((provider_taken || consumer_taken) && !reported_taken(sci))
		add_event(plan, "Warning", SC_REASON_POD_NAME_TAKEN, "%s",
			  provider_taken ? pd.message : build_failure.message);
	json_t *rootfs_cond = sc_condition_find(sci, SC_COND_ROOTFS_READY);
	const char *rootfs_status = json_string_value(json_object_get(rootfs_cond, "status"));
	const char *rootfs_msg = json_string_value(json_object_get(rootfs_cond, "message"));
	const bool rootfs_failed = rootfs_status && strcmp(rootfs_status, "False") == 0;

	const char *phase;
	cleanup_free char *message = NULL;
	const char *consumer_reason = "Stopped";
	if (build_failure.failed) {
		phase = "Failed";
		message = sc_xstrdup(build_failure.message);
		consumer_reason = build_failure.reason;
	} else if (pd.failed) {
		phase = "Failed";
		message = sc_xstrdup(pd.message);
	} else if (rootfs_failed && provider_ok) {
		phase = "Failed";
		message =
		    sc_xasprintf("rootfs not ready on node %s: %s", node ? node : "?",
				 rootfs_msg ? rootfs_msg : "the mount-helper reported a failure");
	} else if (cd.failed && running) {
		phase = "Failed";
		message = sc_xstrdup(cd.message);
		consumer_reason = cd.reason;
	} else if (provider == NULL || sc_obj_deleting(provider)) {
		phase = "Pending";
		message = sc_xstrdup("creating the provider pod");
	} else if (!provider_ok) {
		phase = "ProviderStarting";
		message = pd.message ? sc_xstrdup(pd.message)
				     : sc_xasprintf("waiting for provider pod %s (image %s) to run",
						    sc_json_name(provider), image);
	} else if (!rootfs_ok) {
		phase = "ProviderStarting";
		message = sc_xasprintf("waiting for the mount-helper on node %s to prepare the "
				       "rootfs",
				       node ? node : "?");
	} else if (running) {
		if (consumer == NULL) {
			phase = consumer_created ? "ConsumerStarting" : "ProviderReady";
			message = sc_xasprintf("starting the workload on node %s", node);
			consumer_reason = "Starting";
		} else if (sc_obj_deleting(consumer)) {
			phase = "Stopping";
			message = sc_xstrdup("the previous workload pod is terminating");
			consumer_reason = "Terminating";
		} else if (sc_pod_ready(consumer) && stacked) {
			phase = "Running";
			message = sc_xasprintf("running on node %s", node);
			consumer_reason = "Ready";
		} else if (sc_pod_ready(consumer)) {
			phase = "ConsumerStarting";
			message =
			    sc_xasprintf("waiting for the mount-helper on node %s to stack the "
					 "rootfs on the workload",
					 node);
			consumer_reason = "WaitingForRootfs";
		} else {
			phase = "ConsumerStarting";
			message = cd.message ? sc_xstrdup(cd.message)
					     : sc_xasprintf("workload pod %s is starting",
							    sc_json_name(consumer));
			consumer_reason = cd.reason ? cd.reason : "Starting";
		}
	} else {
		if (consumer != NULL) {
			phase = "Stopping";
			message =
			    sc_xasprintf("stopping the workload (pod %s)", sc_json_name(consumer));
			consumer_reason = "Terminating";
		} else {
			phase = "Stopped";
			message = sc_xstrdup("stopped; the rootfs is kept");
		}
	}

	char consumer_hash[17];
	sc_consumer_hash(sci, o, consumer_hash);
	const char *have_hash =
	    consumer ? sc_obj_annotation(consumer, SC_ANNOTATION_CONSUMER_HASH) : NULL;
	const bool restart_required = consumer && !sc_obj_deleting(consumer) && running &&
				      have_hash && strcmp(have_hash, consumer_hash) != 0;
	const bool consumer_ready =
	    consumer && !sc_obj_deleting(consumer) && sc_pod_ready(consumer);
	const bool ready =
	    running ? (strcmp(phase, "Running") == 0) : (strcmp(phase, "Stopped") == 0);

	struct cond conds[] = {
	    {SC_COND_READY, ready ? "True" : "False", phase, sc_xstrdup(message)},
	    {SC_COND_PROVIDER_READY, provider_ok ? "True" : "False",
	     provider_ok ? "Running" : (pd.reason ? pd.reason : "Starting"),
	     provider_ok
		 ? sc_xasprintf("provider pod %s runs on node %s", sc_json_name(provider), node)
		 : sc_xstrdup(pd.message ? pd.message : "the provider pod is not running")},
	    {SC_COND_CONSUMER_READY, consumer_ready ? "True" : "False", consumer_reason,
	     sc_xstrdup(consumer_ready ? "the workload is ready"
				       : (running ? message : "the workload is stopped"))},
	    {SC_COND_RESTART_REQUIRED, restart_required ? "True" : "False",
	     restart_required ? "TemplateChanged" : "UpToDate",
	     sc_xstrdup(restart_required ? "the template changed while running; stop and "
					   "start (kubectl sc restart) to apply it"
					 : "the workload runs the current template")},
	};

	json_int_t sci_gen = json_integer_value(sc_json_path(sci, "metadata.generation"));
	json_int_t sc_gen = json_integer_value(sc_json_path(sc, "metadata.generation"));
	cleanup_free char *provider_name = sc_xasprintf("%s%s", name, SC_PROVIDER_SUFFIX);
	const char *host_path = sc_json_path_str(sci, "status.hostPath");

	/* Instance status: only the controller's fields (the mount-helper
	 * owns RootfsReady, rootfs, imageConfig and hostPath). */
	json_t *sci_status = json_object();
	set_str(sci_status, "phase", phase);
	set_str(sci_status, "message", message);
	set_str(sci_status, "providerPodName", provider_name);
	set_str(sci_status, "providerPodUID", provider ? sc_json_uid(provider) : NULL);
	if (consumer) {
		set_str(sci_status, "consumerPodName", sc_json_name(consumer));
		set_str(sci_status, "consumerPodUID", sc_json_uid(consumer));
	}
	set_str(sci_status, "nodeName", node);
	if (sci_gen > 0)
		json_object_set_new(sci_status, "observedGeneration", json_integer(sci_gen));
	json_t *sci_conds = json_array();
	for (size_t i = 0; i < SC_ARRAY_SIZE(conds); i++)
		json_array_append_new(sci_conds,
				      condition_json(obs->sci, &conds[i], obs->now, sci_gen));
	json_object_set_new(sci_status, "conditions", sci_conds);
	if (status_differs(sc_json_path(obs->sci, "status"), sci_status))
		add(plan, SC_ACT_APPLY_INSTANCE_STATUS)->object =
		    json_pack("{s:O}", "status", sci_status);

	/* StoppableContainer status: a summary, with RootfsReady mirrored. */
	const char *sc_phase = sc_phase_for_instance_phase(phase);
	json_t *sc_status = json_object();
	set_str(sc_status, "phase", sc_phase);
	set_str(sc_status, "message", message);
	set_str(sc_status, "instanceName", name);
	set_str(sc_status, "providerPodName", provider_name);
	if (consumer)
		set_str(sc_status, "consumerPodName", sc_json_name(consumer));
	set_str(sc_status, "hostPath", host_path);
	set_str(sc_status, "nodeName", node);
	if (sc_gen > 0)
		json_object_set_new(sc_status, "observedGeneration", json_integer(sc_gen));
	json_t *sc_conds = json_array();
	for (size_t i = 0; i < SC_ARRAY_SIZE(conds); i++)
		json_array_append_new(sc_conds, condition_json(sc, &conds[i], obs->now, sc_gen));
	struct cond rootfs = {
	    SC_COND_ROOTFS_READY, rootfs_status ? rootfs_status : "Unknown",
	    json_string_value(json_object_get(rootfs_cond, "reason"))
		? json_string_value(json_object_get(rootfs_cond, "reason"))
		: "WaitingForNode",
	    sc_xstrdup(rootfs_msg ? rootfs_msg : "the mount-helper has not reported yet")};
	json_array_append_new(sc_conds, condition_json(sc, &rootfs, obs->now, sc_gen));
	free(rootfs.message);
	json_object_set_new(sc_status, "conditions", sc_conds);
	if (status_differs(sc_json_path(sc, "status"), sc_status))
		add(plan, SC_ACT_APPLY_STATUS)->object = json_pack("{s:O}", "status", sc_status);

	/* One event per phase transition. */
	const char *old_phase = sc_json_path_str(obs->sci, "status.phase");
	if (old_phase == NULL || strcmp(old_phase, phase) != 0) {
		bool warn = strcmp(phase, "Failed") == 0;
		add_event(plan, warn ? "Warning" : "Normal", phase, "%s", message);
	}

	for (size_t i = 0; i < SC_ARRAY_SIZE(conds); i++)
		free(conds[i].message);
	json_decref(sci_status);
	json_decref(sc_status);
	diagnosis_free(&pd);
	diagnosis_free(&cd);
	diagnosis_free(&build_failure);
	json_decref(sci);
}
