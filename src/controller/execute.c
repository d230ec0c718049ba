#include "controller/execute.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controller/model.h"
#include "lib/sc-api.h"
#include "lib/sc-event.h"
#include "lib/sc-json.h"
#include "lib/sc-leader.h"
#include "lib/sc-log.h"

static int apply_status(struct sc_kube_client *c, const struct sc_kube_resource *res, json_t *obj,
			json_t *status_doc, sc_error_t *err)
{
	cleanup_json json_t *body =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion", SC_API_VERSION, "kind",
		      res->kind, "metadata", "name", sc_json_name(obj), "namespace",
		      sc_json_namespace(obj), "status", json_object_get(status_doc, "status"));
	struct sc_kube_write_options wo = {
	    .subresource = "status", .field_manager = SC_FIELD_MANAGER, .force = true};
	return sc_kube_patch(c, res, sc_json_namespace(obj), sc_json_name(obj), SC_KUBE_PATCH_APPLY,
			     body, &wo, NULL, err);
}

static int delete_with_uid(struct sc_kube_client *c, const struct sc_kube_resource *res,
			   const char *ns, const struct sc_action *a, sc_error_t *err)
{
	struct sc_kube_delete_options d = {
	    .propagation_policy = "Background",
	    .precondition_uid = a->uid,
	    .has_grace_period = a->grace_seconds >= 0,
	    .grace_period_seconds = a->grace_seconds,
	};
	cleanup_error sc_error_t e = NULL;
	if (sc_kube_delete(c, res, ns, a->name, &d, NULL, &e) < 0) {
		/* Gone already (404), or replaced by a new object with another
		 * UID (409 from the precondition): nothing of ours to delete. */
		if (sc_error_is_not_found(e) || sc_error_is_conflict(e))
			return 0;
		*err = steal_pointer(&e);
		return -1;
	}
	return 0;
}

#define SC_REASON_POD_REFUSED "PodRefused"

/* The condition a pod of ours answers for. */
static const char *condition_of_pod(json_t *pod)
{
	return sc_pod_has_role(pod, SC_ROLE_PROVIDER) ? SC_COND_PROVIDER_READY
						      : SC_COND_CONSUMER_READY;
}

/* A status document ({"status": ...}) rewritten for a pod of ours that
 * cannot be created (refused by the API server, or its name taken by a pod
 * that is not ours): phase Failed, the message, the pod's condition and
 * Ready False with the reason. */
static void mark_pod_failed(json_t *doc, const char *cond_type, const char *reason, const char *msg)
{
	json_t *st = json_object_get(doc, "status");
	if (!json_is_object(st))
		return;
	json_object_set_new(st, "phase", json_string(SC_PHASE_FAILED));
	json_object_set_new(st, "message", json_string(msg));
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(st, "conditions"), i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t == NULL || (strcmp(t, cond_type) != 0 && strcmp(t, SC_COND_READY) != 0))
			continue;
		json_object_set_new(c, "status", json_string("False"));
		json_object_set_new(
		    c, "reason",
		    json_string(strcmp(t, SC_COND_READY) == 0 ? SC_PHASE_FAILED : reason));
		json_object_set_new(c, "message", json_string(msg));
	}
}

/* A pod create that cannot succeed as it is (refused for good, or the name
 * taken) is not retried in the plan: the statuses still to be applied say
 * why, with one Warning event, and the error is returned after them (the key
 * backs off). When the plan has no status to apply, the StoppableContainer's
 * current one is. */
static int pod_failed(struct sc_kube_client *client, json_t *sc, const struct sc_plan *plan,
		      size_t at, const char *reason, const char *why,
		      struct sc_execute_stats *stats, sc_error_t *e)
{
	const char *cond = condition_of_pod(plan->actions[at].object);
	bool planned = false;
	for (size_t j = at + 1; j < plan->count; j++) {
		const struct sc_action *b = &plan->actions[j];
		if (b->kind == SC_ACT_APPLY_STATUS || b->kind == SC_ACT_APPLY_INSTANCE_STATUS) {
			mark_pod_failed(b->object, cond, reason, why);
			planned |= b->kind == SC_ACT_APPLY_STATUS;
		}
	}
	if (sc_event_said_already(client, &sc_kube_stoppablecontainers, sc, cond, reason))
		return 0; /* no second event or status */
	sc_event_record(client, sc, "Warning", reason, why, SC_FIELD_MANAGER);
	stats->writes++;
	if (!planned) {
		json_t *cur = json_object_get(sc, "status");
		cleanup_json json_t *doc =
		    json_pack("{s:o}", "status", cur != NULL ? json_deep_copy(cur) : json_object());
		mark_pod_failed(doc, cond, reason, why);
		stats->writes++;
		return apply_status(client, &sc_kube_stoppablecontainers, sc, doc, e);
	}
	return 0;
}

/* The words for a pod the API server refused (admission: 403, validation:
 * 422). */
static char *refused_message(json_t *pod, const char *api_message)
{
	const char *cond = condition_of_pod(pod);
	return sc_xasprintf("the %s pod %s was refused by the API server: %s",
			    strcmp(cond, SC_COND_PROVIDER_READY) == 0 ? "provider" : "workload",
			    sc_json_name(pod), api_message);
}

/* The UID of obj's controller owner reference, or NULL. */
static const char *controller_uid(json_t *obj)
{
	size_t i;
	json_t *ref;
	json_array_foreach (sc_json_path(obj, "metadata.ownerReferences"), i, ref) {
		if (json_is_true(json_object_get(ref, "controller")))
			return json_string_value(json_object_get(ref, "uid"));
	}
	return NULL;
}

/* A create of pod answered 409 AlreadyExists. A pod of ours (the cache is
 * behind) is done; one that is not ours (unlabelled, so no informer of ours
 * sees it) is in the way: *why says so, as for a labelled one. */
static int pod_exists(struct sc_kube_client *client, json_t *pod, char **why, sc_error_t *err)
{
	cleanup_json json_t *got = NULL;
	if (sc_kube_get(client, &sc_kube_pods, sc_json_namespace(pod), sc_json_name(pod), &got,
			err) < 0)
		return sc_error_wrap(err, "reading pod %s, which already exists",
				     sc_json_name(pod));
	const char *role =
	    sc_pod_has_role(pod, SC_ROLE_PROVIDER) ? SC_ROLE_PROVIDER : SC_ROLE_CONSUMER;
	const char *owner = controller_uid(pod);
	if (!sc_pod_is_ours(got, role, owner))
		*why = sc_pod_taken_message(sc_json_name(pod), owner);
	return 0;
}

/* A failed create of a pod: 0 when the plan goes on (the pod exists and is
 * ours; or it cannot be created and the statuses will say why, *failure set
 * to the first such reason), -1 with e otherwise. */
static int pod_create_failed(struct sc_kube_client *client, json_t *sc, const struct sc_plan *plan,
			     size_t at, char **failure, struct sc_execute_stats *stats,
			     sc_error_t *e)
{
	json_t *pod = plan->actions[at].object;
	cleanup_free char *why = NULL;
	const char *reason = NULL;
	if (sc_error_is_conflict(*e) && (*e)->reason &&
	    strcmp((*e)->reason, "AlreadyExists") == 0) {
		cleanup_error sc_error_t ge = NULL;
		if (pod_exists(client, pod, &why, &ge) < 0) {
			sc_error_release(e);
			*e = steal_pointer(&ge);
			return -1;
		}
		if (why == NULL)
			return 0;
		reason = SC_REASON_POD_NAME_TAKEN;
	} else if ((sc_error_is_http(*e, 403) || sc_error_is_http(*e, 422)) &&
		   strstr(sc_error_message(*e), "is being terminated") == NULL) {
		/* Refused for good: admission (403) or validation (422) — but
		 * not a namespace being deleted, which refuses every create
		 * for a moment before the objects go. */
		why = refused_message(pod, sc_error_message(*e));
		reason = SC_REASON_POD_REFUSED;
	} else {
		return -1;
	}
	sc_error_release(e);
	if (*failure != NULL)
		return 0; /* the first one is reported */
	cleanup_error sc_error_t se = NULL;
	if (pod_failed(client, sc, plan, at, reason, why, stats, &se) < 0)
		SC_LOG_WARN("%s/%s: reporting %s: %s", sc_json_namespace(sc), sc_json_name(sc),
			    reason, sc_error_message(se));
	*failure = steal_pointer(&why);
	return 0;
}

int sc_execute_plan(struct sc_kube_client *client, json_t *sc, const struct sc_plan *plan,
		    struct sc_execute_stats *stats, sc_error_t *err)
{
	cleanup_free char *refusal = NULL;
	const char *ns = sc_json_namespace(sc);
	const char *name = sc_json_name(sc);
	for (size_t i = 0; i < plan->count; i++) {
		const struct sc_action *a = &plan->actions[i];
		cleanup_error sc_error_t e = NULL;
		int r = 0;
		switch (a->kind) {
		case SC_ACT_ADD_FINALIZER:
		case SC_ACT_REMOVE_FINALIZER:
			r = sc_kube_set_finalizer(client, &sc_kube_stoppablecontainers, sc,
						  SC_FINALIZER, a->kind == SC_ACT_ADD_FINALIZER,
						  NULL, &e);
			break;
		case SC_ACT_CREATE_INSTANCE:
			r = sc_kube_create(client, &sc_kube_stoppablecontainerinstances, ns,
					   a->object, NULL, NULL, &e);
			break;
		case SC_ACT_UPDATE_INSTANCE:
			r = sc_kube_update(client, &sc_kube_stoppablecontainerinstances, ns,
					   a->object, NULL, NULL, &e);
			break;
		case SC_ACT_DELETE_INSTANCE:
			r = delete_with_uid(client, &sc_kube_stoppablecontainerinstances, ns, a,
					    &e);
			break;
		case SC_ACT_CREATE_POD:
			r = sc_kube_create(client, &sc_kube_pods, ns, a->object, NULL, NULL, &e);
			break;
		case SC_ACT_DELETE_POD:
			r = delete_with_uid(client, &sc_kube_pods, ns, a, &e);
			break;
		case SC_ACT_APPLY_INSTANCE_STATUS: {
			json_t *md =
			    json_pack("{s:{s:s, s:s}}", "metadata", "name", name, "namespace", ns);
			r = apply_status(client, &sc_kube_stoppablecontainerinstances, md,
					 a->object, &e);
			json_decref(md);
			break;
		}
		case SC_ACT_APPLY_STATUS:
			r = apply_status(client, &sc_kube_stoppablecontainers, sc, a->object, &e);
			break;
		case SC_ACT_EVENT: {
			/* After a pod that could not be created, the plan's
			 * events (Starting, the phase it expected) did not
			 * happen: its one Warning said what did. */
			if (refusal != NULL)
				continue;
			sc_event_record(client, sc, a->event_type, a->reason, a->message,
					SC_FIELD_MANAGER);
			stats->writes++;
			continue;
		}
		}
		stats->writes++;
		if (r < 0) {
			if (a->kind == SC_ACT_CREATE_INSTANCE && sc_error_is_conflict(e) &&
			    e->reason && strcmp(e->reason, "AlreadyExists") == 0)
				continue;
			if (a->kind == SC_ACT_CREATE_POD &&
			    pod_create_failed(client, sc, plan, i, &refusal, stats, &e) == 0)
				continue;
			*err = steal_pointer(&e);
			return sc_error_wrap(err, "%s for %s/%s", sc_action_kind_name(a->kind), ns,
					     name);
		}
		SC_LOG_V(2, "%s/%s: %s%s%s", ns, name, sc_action_kind_name(a->kind),
			 a->name ? " " : "", a->name ? a->name : "");
	}
	if (refusal != NULL)
		return sc_error_make(err, EPERM, "%s/%s: %s", ns, name, refusal);
	return 0;
}
