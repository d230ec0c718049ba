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
	if (p == NULL || strcmp(p, SCI_PHASE_PENDING) == 0 ||
	    strcmp(p, SCI_PHASE_PROVIDER_STARTING) == 0)
		return SC_PHASE_PENDING;
	/* The provider holds the rootfs and the workload is on its way up
	 * (its pod about to be created, created, or waiting for the rootfs
	 * to be stacked on it). */
	if (strcmp(p, SCI_PHASE_PROVIDER_READY) == 0 || strcmp(p, SCI_PHASE_CONSUMER_STARTING) == 0)
		return SC_PHASE_STARTING;
	if (strcmp(p, SCI_PHASE_RUNNING) == 0)
		return SC_PHASE_RUNNING;
	if (strcmp(p, SCI_PHASE_STOPPING) == 0)
		return SC_PHASE_STOPPING;
	if (strcmp(p, SCI_PHASE_STOPPED) == 0)
		return SC_PHASE_STOPPED;
	return SC_PHASE_FAILED;
}

/* The instance spec the StoppableContainer asks for, its template in the
 * seed's shape (sc_template_normalize); NULL with err when the template
 * cannot be. */
static json_t *desired_instance_spec(json_t *sc, sc_error_t *err)
{
	/* shallow: only top-level members change, and the template (up to the
	 * API server's size limit) is shared, not copied */
	json_t *spec = json_copy(sc_json_path(sc, "spec"));
	if (!json_is_object(spec)) {
		json_decref(spec);
		spec = json_object();
	}
	json_t *tmpl = json_object_get(spec, "template");
	if (tmpl != NULL) {
		json_t *normal = sc_template_normalize(tmpl, err);
		if (normal == NULL) {
			json_decref(spec);
			return NULL;
		}
		json_object_set_new(spec, "template", normal);
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

char *sc_pod_taken_message(const char *pod_name, const char *instance_uid)
{
	return sc_xasprintf("pod %s already exists and was not created for this "
			    "StoppableContainer (it has no controller reference to instance "
			    "%s); delete it or give the StoppableContainer another name",
			    pod_name, instance_uid ? instance_uid : "?");
}

/* The message for a pod with one of our names that we did not create. */
static char *pod_in_the_way(json_t *pod, json_t *sci)
{
	return sc_pod_taken_message(sc_json_name(pod), sc_json_uid(sci));
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
	return sc_condition_build(old_obj, c->type, c->status, c->reason, c->message, now,
				  generation);
}

/* Whether applying `want` (our fields) would change `current` status. */
static bool status_differs(json_t *current_status, json_t *want)
{
	if (sc_status_differs(current_status, want))
		return true;
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

/* One reconcile of a live StoppableContainer with a live instance: what each
 * stage found, for the stages after it. */
struct decision {
	const struct sc_observed *obs;
	const struct sc_pod_options *o;
	struct sc_plan *plan;
	const char *name; /* of the StoppableContainer (and the instance) */
	json_t *sci;      /* the working copy: the instance with its new spec */
	bool running;
	const char *image;
	json_t *provider;
	json_t *consumer;
	const char *node; /* the provider's */

	/* provider stage */
	bool provider_created; /* this reconcile creates it */
	bool provider_ok;
	bool provider_taken;
	bool rootfs_ok;
	/* consumer stage */
	struct diagnosis build_failure;
	bool consumer_created;
	bool consumer_event; /* decide_consumer said what it does to the workload */
	/* phase stage */
	struct diagnosis pd, cd;
	json_t *rootfs_cond; /* the instance's RootfsReady, owned by the mount-helper */
	const char *rootfs_status;
	const char *rootfs_msg;
	const char *phase;
	char *message;
	const char *consumer_reason;
	/* conditions stage */
	struct cond conds[4];
	bool restart_required;
};

/* Provider: create it, replace it when it ended or (while stopped) when its
 * settings changed; whether it and the rootfs on it are ready. */
static void decide_provider(struct decision *d)
{
	json_t *provider = d->provider;
	char want_hash[17];
	sc_provider_hash(d->sci, d->o, want_hash);

	d->provider_taken = provider == NULL && d->obs->foreign_provider != NULL;
	if (d->provider_taken) {
		/* in the way: reported below */
	} else if (provider == NULL) {
		add(d->plan, SC_ACT_CREATE_POD)->object = sc_build_provider_pod(d->sci, d->o);
		d->provider_created = true;
	} else if (sc_obj_deleting(provider)) {
		/* wait for it to go */
	} else if (sc_pod_terminal(provider)) {
		add_delete_pod(d->plan, provider, 0);
		add_event(d->plan, "Warning", "ProviderRecreated",
			  "provider pod %s ended (%s); recreating it", sc_json_name(provider),
			  sc_pod_phase(provider));
	} else if (d->consumer == NULL &&
		   sc_obj_annotation(provider, SC_ANNOTATION_PROVIDER_HASH) &&
		   strcmp(sc_obj_annotation(provider, SC_ANNOTATION_PROVIDER_HASH), want_hash) !=
		       0) {
		/* The image or provider settings changed; only while stopped,
		 * never under a running workload. */
		add_delete_pod(d->plan, provider, 0);
		add_event(d->plan, "Normal", "ProviderRecreated",
			  "spec changed; recreating provider pod %s", sc_json_name(provider));
	} else {
		d->provider_ok = sc_pod_ready(provider);
	}
	d->node = provider ? sc_pod_node(provider) : NULL;
	const char *rootfs_uid = sc_json_path_str(d->sci, "status.rootfs.providerPodUID");
	d->rootfs_ok = d->provider_ok && sc_condition_true(d->sci, SC_COND_ROOTFS_READY) &&
		       rootfs_uid && sc_json_uid(provider) &&
		       strcmp(rootfs_uid, sc_json_uid(provider)) == 0;
}

/* Consumer: stop it, replace it when it ended or its provider moved, or
 * create it once the rootfs is ready (or say why it cannot be built). */
static void decide_consumer(struct decision *d)
{
	json_t *consumer = d->consumer;
	long long grace = -1;
	json_t *g = sc_json_path(d->sci, "spec.template.terminationGracePeriodSeconds");
	if (json_is_integer(g))
		grace = json_integer_value(g);
	if (consumer != NULL) {
		const char *cnode = sc_pod_node(consumer);
		if (sc_obj_deleting(consumer)) {
			/* stopping */
		} else if (!d->running) {
			add_delete_pod(d->plan, consumer, grace);
			add_event(d->plan, "Normal", "Stopping", "stopping the workload (pod %s)",
				  sc_json_name(consumer));
			d->consumer_event = true;
		} else if (sc_pod_terminal(consumer)) {
			add_delete_pod(d->plan, consumer, 0);
		} else if (d->node && cnode && strcmp(d->node, cnode) != 0) {
			add_delete_pod(d->plan, consumer, grace);
			add_event(d->plan, "Warning", "NodeChanged",
				  "the provider moved to node %s; restarting the workload there",
				  d->node);
		}
	} else if (d->running && d->rootfs_ok && d->obs->foreign_consumer != NULL) {
		d->build_failure.failed = true;
		d->build_failure.reason = SC_REASON_POD_NAME_TAKEN;
		d->build_failure.message = pod_in_the_way(d->obs->foreign_consumer, d->sci);
	} else if (d->running && d->rootfs_ok) {
		cleanup_error sc_error_t err = NULL;
		json_t *pod = sc_build_consumer_pod(d->sci, d->node, d->o, &err);
		if (pod == NULL) {
			d->build_failure.failed = true;
			d->build_failure.reason = "InvalidSpec";
			d->build_failure.message = sc_xstrdup(sc_error_message(err));
		} else {
			add(d->plan, SC_ACT_CREATE_POD)->object = pod;
			add_event(d->plan, "Normal", "Starting", "starting the workload on node %s",
				  d->node);
			d->consumer_created = true;
			d->consumer_event = true;
		}
	}
}

/* Whether the mount-helper has stacked the rootfs on the consumer's very
 * container (the one now running). */
static bool workload_stacked(json_t *consumer, json_t *sci)
{
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
	return workload_cid[0] != '\0' && stacked_on && strcmp(stacked_on, workload_cid) == 0;
}

/* What the pods' statuses and the instance's RootfsReady say is wrong; one
 * event when a pod with one of our names is in the way. */
static void diagnose(struct decision *d)
{
	if (d->provider)
		diagnose_pod(d->provider, "the provider pod", d->image, &d->pd);
	if (d->consumer)
		diagnose_pod(d->consumer, "the workload", d->image, &d->cd);
	if (d->provider_taken) {
		d->pd.failed = true;
		d->pd.reason = SC_REASON_POD_NAME_TAKEN;
		d->pd.message = pod_in_the_way(d->obs->foreign_provider, d->sci);
	}
	const bool consumer_taken =
	    d->build_failure.failed && d->obs->foreign_consumer != NULL && d->consumer == NULL;
	if ((d->provider_taken || consumer_taken) && !reported_taken(d->sci))
		add_event(d->plan, "Warning", SC_REASON_POD_NAME_TAKEN, "%s",
			  d->provider_taken ? d->pd.message : d->build_failure.message);
	d->rootfs_cond = sc_condition_find(d->sci, SC_COND_ROOTFS_READY);
	d->rootfs_status = json_string_value(json_object_get(d->rootfs_cond, "status"));
	d->rootfs_msg = json_string_value(json_object_get(d->rootfs_cond, "message"));
}

/* The phase of a healthy instance that should run, with the rootfs ready. */
static void running_phase(struct decision *d)
{
	json_t *consumer = d->consumer;
	if (consumer == NULL) {
		d->phase =
		    d->consumer_created ? SCI_PHASE_CONSUMER_STARTING : SCI_PHASE_PROVIDER_READY;
		d->message = sc_xasprintf("starting the workload on node %s", d->node);
		d->consumer_reason = "Starting";
	} else if (sc_obj_deleting(consumer)) {
		d->phase = SCI_PHASE_STOPPING;
		d->message = sc_xstrdup("the previous workload pod is terminating");
		d->consumer_reason = "Terminating";
	} else if (sc_pod_ready(consumer) && workload_stacked(consumer, d->sci)) {
		d->phase = SCI_PHASE_RUNNING;
		d->message = sc_xasprintf("running on node %s", d->node);
		d->consumer_reason = "Ready";
	} else if (sc_pod_ready(consumer)) {
		d->phase = SCI_PHASE_CONSUMER_STARTING;
		d->message = sc_xasprintf("waiting for the mount-helper on node %s to stack the "
					  "rootfs on the workload",
					  d->node);
		d->consumer_reason = "WaitingForRootfs";
	} else {
		d->phase = SCI_PHASE_CONSUMER_STARTING;
		d->message = d->cd.message ? sc_xstrdup(d->cd.message)
					   : sc_xasprintf("workload pod %s is starting",
							  sc_json_name(consumer));
		d->consumer_reason = d->cd.reason ? d->cd.reason : "Starting";
	}
}

/* Phase and message: a failure first, then how far the start has got. */
static void decide_phase(struct decision *d)
{
	const bool rootfs_failed = d->rootfs_status && strcmp(d->rootfs_status, "False") == 0;
	d->consumer_reason = "Stopped";
	if (d->build_failure.failed) {
		d->phase = SCI_PHASE_FAILED;
		d->message = sc_xstrdup(d->build_failure.message);
		d->consumer_reason = d->build_failure.reason;
	} else if (d->pd.failed) {
		d->phase = SCI_PHASE_FAILED;
		d->message = sc_xstrdup(d->pd.message);
	} else if (rootfs_failed && d->provider_ok) {
		d->phase = SCI_PHASE_FAILED;
		d->message = sc_xasprintf(
		    "rootfs not ready on node %s: %s", d->node ? d->node : "?",
		    d->rootfs_msg ? d->rootfs_msg : "the mount-helper reported a failure");
	} else if (d->cd.failed && d->running) {
		d->phase = SCI_PHASE_FAILED;
		d->message = sc_xstrdup(d->cd.message);
		d->consumer_reason = d->cd.reason;
	} else if (d->provider_created) {
		/* What the next reconcile, with the pod there, reports: one
		 * status write and one event for the provider's start, not one
		 * for creating it and one for waiting on it. */
		d->phase = SCI_PHASE_PROVIDER_STARTING;
		d->message = sc_xasprintf("waiting for provider pod %s%s (image %s) to run",
					  d->name, SC_PROVIDER_SUFFIX, d->image);
	} else if (d->provider == NULL || sc_obj_deleting(d->provider)) {
		d->phase = SCI_PHASE_PENDING;
		d->message = sc_xstrdup("creating the provider pod");
	} else if (!d->provider_ok) {
		d->phase = SCI_PHASE_PROVIDER_STARTING;
		d->message = d->pd.message
				 ? sc_xstrdup(d->pd.message)
				 : sc_xasprintf("waiting for provider pod %s (image %s) to run",
						sc_json_name(d->provider), d->image);
	} else if (!d->rootfs_ok) {
		d->phase = SCI_PHASE_PROVIDER_STARTING;
		d->message = sc_xasprintf("waiting for the mount-helper on node %s to prepare the "
					  "rootfs",
					  d->node ? d->node : "?");
	} else if (d->running) {
		running_phase(d);
	} else if (d->consumer != NULL) {
		d->phase = SCI_PHASE_STOPPING;
		d->message =
		    sc_xasprintf("stopping the workload (pod %s)", sc_json_name(d->consumer));
		d->consumer_reason = "Terminating";
	} else {
		d->phase = SCI_PHASE_STOPPED;
		d->message = sc_xstrdup("stopped; the rootfs is kept");
	}
}

#define RESTART_MESSAGE \
	"the template changed while running; stop and start (kubectl sc restart) to apply it"

/* Ready, ProviderReady, ConsumerReady and RestartRequired (both objects). */
static void decide_conditions(struct decision *d)
{
	json_t *consumer = d->consumer;
	char consumer_hash[17];
	sc_consumer_hash(d->sci, d->o, consumer_hash);
	const char *have_hash =
	    consumer ? sc_obj_annotation(consumer, SC_ANNOTATION_CONSUMER_HASH) : NULL;
	const bool restart_required = consumer && !sc_obj_deleting(consumer) && d->running &&
				      have_hash && strcmp(have_hash, consumer_hash) != 0;
	/* Not ready from the moment it is being stopped: one status write
	 * for a stop, not one for the stop and one for the pod's deletion. */
	const bool consumer_ready =
	    consumer && !sc_obj_deleting(consumer) && d->running && sc_pod_ready(consumer);
	/* Ready means the workload runs (as KubeVirt's Ready means the VM
	 * runs): False while stopped, with reason Stopped. */
	const bool ready = strcmp(d->phase, SCI_PHASE_RUNNING) == 0;
	const bool provider_ok = d->provider_ok;
	d->restart_required = restart_required;

	struct cond conds[] = {
	    {SC_COND_READY, ready ? "True" : "False", sc_phase_for_instance_phase(d->phase),
	     sc_xstrdup(d->message)},
	    {SC_COND_PROVIDER_READY, provider_ok ? "True" : "False",
	     provider_ok ? "Running" : (d->pd.reason ? d->pd.reason : "Starting"),
	     provider_ok
		 ? sc_xasprintf("provider pod %s runs on node %s", sc_json_name(d->provider),
				d->node)
		 : sc_xstrdup(d->pd.message ? d->pd.message : "the provider pod is not running")},
	    {SC_COND_CONSUMER_READY, consumer_ready ? "True" : "False", d->consumer_reason,
	     sc_xstrdup(consumer_ready ? "the workload is ready"
				       : (d->running ? d->message : "the workload is stopped"))},
	    {SC_COND_RESTART_REQUIRED, restart_required ? "True" : "False",
	     restart_required ? "TemplateChanged" : "UpToDate",
	     sc_xstrdup(restart_required ? RESTART_MESSAGE
					 : "the workload runs the current template")},
	};
	_Static_assert(SC_ARRAY_SIZE(conds) == SC_ARRAY_SIZE(d->conds), "conditions");
	memcpy(d->conds, conds, sizeof(conds));
}

/* The instance status: only the controller's fields (the mount-helper owns
 * RootfsReady, rootfs, imageConfig and hostPath). */
static void instance_status(struct decision *d, const char *provider_name)
{
	json_t *sci = d->sci;
	json_int_t sci_gen = json_integer_value(sc_json_path(sci, "metadata.generation"));
	json_t *status = json_object();
	set_str(status, "phase", d->phase);
	set_str(status, "message", d->message);
	set_str(status, "providerPodName", provider_name);
	set_str(status, "providerPodUID", d->provider ? sc_json_uid(d->provider) : NULL);
	if (d->consumer) {
		set_str(status, "consumerPodName", sc_json_name(d->consumer));
		set_str(status, "consumerPodUID", sc_json_uid(d->consumer));
	}
	set_str(status, "nodeName", d->node);
	if (sci_gen > 0)
		json_object_set_new(status, "observedGeneration", json_integer(sci_gen));
	json_t *conds = json_array();
	for (size_t i = 0; i < SC_ARRAY_SIZE(d->conds); i++)
		json_array_append_new(
		    conds, condition_json(d->obs->sci, &d->conds[i], d->obs->now, sci_gen));
	json_object_set_new(status, "conditions", conds);
	if (status_differs(sc_json_path(d->obs->sci, "status"), status))
		add(d->plan, SC_ACT_APPLY_INSTANCE_STATUS)->object =
		    json_pack("{s:O}", "status", status);
	json_decref(status);
}

/* The StoppableContainer status: a summary, with RootfsReady mirrored. */
static void sc_status(struct decision *d, const char *provider_name)
{
	json_t *sc = d->obs->sc;
	json_int_t sc_gen = json_integer_value(sc_json_path(sc, "metadata.generation"));
	json_t *status = json_object();
	set_str(status, "phase", sc_phase_for_instance_phase(d->phase));
	set_str(status, "message", d->message);
	set_str(status, "instanceName", d->name);
	set_str(status, "providerPodName", provider_name);
	if (d->consumer)
		set_str(status, "consumerPodName", sc_json_name(d->consumer));
	set_str(status, "hostPath", sc_json_path_str(d->sci, "status.hostPath"));
	set_str(status, "nodeName", d->node);
	if (sc_gen > 0)
		json_object_set_new(status, "observedGeneration", json_integer(sc_gen));
	json_t *conds = json_array();
	for (size_t i = 0; i < SC_ARRAY_SIZE(d->conds); i++)
		json_array_append_new(conds, condition_json(sc, &d->conds[i], d->obs->now, sc_gen));
	const char *rootfs_reason = json_string_value(json_object_get(d->rootfs_cond, "reason"));
	struct cond rootfs = {
	    SC_COND_ROOTFS_READY, d->rootfs_status ? d->rootfs_status : "Unknown",
	    rootfs_reason ? rootfs_reason : "WaitingForNode",
	    sc_xstrdup(d->rootfs_msg ? d->rootfs_msg : "the mount-helper has not reported yet")};
	json_array_append_new(conds, condition_json(sc, &rootfs, d->obs->now, sc_gen));
	free(rootfs.message);
	json_object_set_new(status, "conditions", conds);
	if (status_differs(sc_json_path(sc, "status"), status))
		add(d->plan, SC_ACT_APPLY_STATUS)->object = json_pack("{s:O}", "status", status);
	json_decref(status);
}

/* Both statuses, applied only when they would change. */
static void decide_statuses(struct decision *d)
{
	cleanup_free char *provider_name = sc_xasprintf("%s%s", d->name, SC_PROVIDER_SUFFIX);
	instance_status(d, provider_name);
	sc_status(d, provider_name);
}

/* One event per phase transition, unless the consumer's own event of this
 * reconcile says it already ("Stopping" for phase Stopping, "Starting" for
 * ConsumerStarting): one event per thing that happened. */
static void decide_events(struct decision *d)
{
	const char *old_phase = sc_json_path_str(d->obs->sci, "status.phase");
	bool said = d->consumer_event && (strcmp(d->phase, SCI_PHASE_STOPPING) == 0 ||
					  strcmp(d->phase, SCI_PHASE_CONSUMER_STARTING) == 0);
	if (!said && (old_phase == NULL || strcmp(old_phase, d->phase) != 0)) {
		bool warn = strcmp(d->phase, SCI_PHASE_FAILED) == 0;
		add_event(d->plan, warn ? "Warning" : "Normal", d->phase, "%s", d->message);
	}
	/* A pending restart is news once: when it turns True. */
	if (d->restart_required && !sc_condition_true(d->obs->sci, SC_COND_RESTART_REQUIRED))
		add_event(d->plan, "Normal", SC_COND_RESTART_REQUIRED, "%s", RESTART_MESSAGE);
}

static void decision_free(struct decision *d)
{
	for (size_t i = 0; i < SC_ARRAY_SIZE(d->conds); i++)
		free(d->conds[i].message);
	free(d->message);
	diagnosis_free(&d->pd);
	diagnosis_free(&d->cd);
	diagnosis_free(&d->build_failure);
	json_decref(d->sci);
}

/* A template the controller cannot build from (the CRD refuses it, so only
 * an object admitted before the CRD did): Failed, nothing else done. */
static void refuse_template(const struct sc_observed *obs, struct sc_plan *plan, const char *msg)
{
	json_t *sc = obs->sc;
	json_int_t gen = json_integer_value(sc_json_path(sc, "metadata.generation"));
	struct cond ready = {SC_COND_READY, "False", "InvalidSpec", sc_xstrdup(msg)};
	json_t *status = json_pack("{s:s, s:s, s:[o]}", "phase", SC_PHASE_FAILED, "message", msg,
				   "conditions", condition_json(sc, &ready, obs->now, gen));
	free(ready.message);
	if (gen > 0)
		json_object_set_new(status, "observedGeneration", json_integer(gen));
	if (status_differs(sc_json_path(sc, "status"), status)) {
		add(plan, SC_ACT_APPLY_STATUS)->object = json_pack("{s:O}", "status", status);
		add_event(plan, "Warning", "InvalidSpec", "%s", msg);
	}
	json_decref(status);
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
	cleanup_error sc_error_t terr = NULL;
	json_t *want_spec = desired_instance_spec(sc, &terr);
	if (want_spec == NULL) {
		refuse_template(obs, plan, sc_error_message(terr));
		return;
	}
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

	struct decision d = {
	    .obs = obs,
	    .o = o,
	    .plan = plan,
	    .name = name,
	    .sci = sci,
	    .running = sc_json_bool_at(sci, "spec.running"),
	    .image = sc_json_path_str(sci, "spec.template.container.image"),
	    .provider = obs->provider,
	    .consumer = obs->consumer,
	};
	decide_provider(&d);
	decide_consumer(&d);
	diagnose(&d);
	decide_phase(&d);
	decide_conditions(&d);
	decide_statuses(&d);
	decide_events(&d);
	decision_free(&d);
}
