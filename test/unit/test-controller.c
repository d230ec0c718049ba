/* The controller's pure decisions: observed objects in, actions out. */
#include <jansson.h>
#include <stdlib.h>

#include "controller/decide.h"
#include "controller/model.h"
#include "controller/pods.h"
#include "sc-test.h"

#define NOW          "2026-11-28T12:00:00Z"
#define SC_UID       "11111111-2222-3333-4444-555555555555"
#define SCI_UID      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define PROV_UID     "99999999-8888-7777-6666-555555555555"
#define WORKLOAD_CID "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00998877665544332211"

static struct sc_pod_options opts;

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (j == NULL) {
		fprintf(stderr, "fixture: %s at %d\n", e.text, e.position);
		abort();
	}
	return j;
}

static json_t *make_sc(bool running)
{
	json_t *sc = parse("{\"apiVersion\":\"" SC_API_VERSION "\",\"kind\":\"StoppableContainer\","
			   "\"metadata\":{\"name\":\"demo\",\"namespace\":\"ns1\",\"uid\":\"" SC_UID
			   "\",\"generation\":3,\"finalizers\":[\"" SC_FINALIZER "\"]},"
			   "\"spec\":{\"template\":{\"container\":{\"image\":\"busybox:1.36\","
			   "\"command\":[\"sh\",\"-c\",\"sleep 1000\"]}},"
			   "\"hostPathPrefix\":\"/var/lib/stoppablecontainer\"}}");
	json_object_set_new(json_object_get(sc, "spec"), "running", json_boolean(running));
	return sc;
}

/* The instance as the controller would have written it for sc. */
static json_t *make_sci(json_t *sc)
{
	json_t *sci =
	    parse("{\"apiVersion\":\"" SC_API_VERSION "\",\"kind\":\"" SCI_KIND "\","
		  "\"metadata\":{\"name\":\"demo\",\"namespace\":\"ns1\",\"uid\":\"" SCI_UID
		  "\",\"generation\":1}}");
	json_t *spec = json_deep_copy(json_object_get(sc, "spec"));
	json_object_set_new(spec, "stoppableContainerName", json_string("demo"));
	json_object_set_new(sci, "spec", spec);
	return sci;
}

static void set_rootfs_ready(json_t *sci, const char *provider_uid)
{
	json_t *status = json_object_get(sci, "status");
	if (!status) {
		status = json_object();
		json_object_set_new(sci, "status", status);
	}
	json_object_set_new(
	    status, "rootfs",
	    json_pack("{s:s, s:s}", "providerPodUID", provider_uid, "nodeName", "node-a"));
	json_object_set_new(status, "conditions",
			    json_pack("[{s:s, s:s, s:s, s:s}]", "type", "RootfsReady", "status",
				      "True", "reason", "Mounted", "message", "ok"));
	json_object_set_new(status, "hostPath",
			    json_string("/var/lib/stoppablecontainer/ns1/demo/" SCI_UID));
}

static json_t *make_pod(const char *name, const char *uid, const char *phase, bool ready)
{
	json_t *pod =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:{s:s, s:[{s:s, s:s}]}}",
		      "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace",
		      "ns1", "uid", uid, "spec", "nodeName", "node-a", "status", "phase", phase,
		      "conditions", "type", "Ready", "status", ready ? "True" : "False");
	return pod;
}

static json_t *make_provider(json_t *sci)
{
	json_t *pod = sc_build_provider_pod(sci, &opts);
	json_t *live = make_pod("demo-provider", PROV_UID, "Running", true);
	json_object_set(json_object_get(live, "metadata"), "annotations",
			sc_json_path(pod, "metadata.annotations"));
	json_decref(pod);
	return live;
}

static json_t *make_consumer(json_t *sci, bool ready)
{
	cleanup_error sc_error_t err = NULL;
	json_t *pod = sc_build_consumer_pod(sci, "node-a", &opts, &err);
	if (!pod)
		abort();
	json_t *live = make_pod("demo", "c0000000-0000-0000-0000-000000000000",
				ready ? "Running" : "Pending", ready);
	json_object_set(json_object_get(live, "metadata"), "annotations",
			sc_json_path(pod, "metadata.annotations"));
	json_object_set_new(json_object_get(live, "status"), "containerStatuses",
			    json_pack("[{s:s, s:s}]", "name", "workload", "containerID",
				      "containerd://" WORKLOAD_CID));
	json_decref(pod);
	return live;
}

/* What the mount-helper records once it stacked the rootfs on the workload. */
static void set_stacked(json_t *sci)
{
	json_object_set_new(sc_json_path(sci, "status.rootfs"), "workloadContainerID",
			    json_string(WORKLOAD_CID));
}

/* Server-side apply of {status} as the API server does it for our schema:
 * fields replaced, conditions merged by type (x-kubernetes-list-type: map),
 * so another manager's conditions stay. */
static void apply_status(json_t *obj, json_t *applied_obj)
{
	json_t *want = json_object_get(applied_obj, "status");
	json_t *status = json_object_get(obj, "status");
	if (!status) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	json_t *merged = json_deep_copy(json_object_get(status, "conditions"));
	if (!merged)
		merged = json_array();
	size_t i, j;
	json_t *c, *m;
	json_array_foreach (json_object_get(want, "conditions"), i, c) {
		bool replaced = false;
		json_array_foreach (merged, j, m) {
			if (json_equal(json_object_get(m, "type"), json_object_get(c, "type"))) {
				json_array_set(merged, j, c);
				replaced = true;
			}
		}
		if (!replaced)
			json_array_append(merged, c);
	}
	json_object_update(status, want);
	json_object_set_new(status, "conditions", merged);
}

static size_t count(const struct sc_plan *p, enum sc_action_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < p->count; i++)
		n += p->actions[i].kind == k;
	return n;
}

static const char *applied(const struct sc_plan *p, enum sc_action_kind k, const char *path)
{
	const struct sc_action *a = sc_plan_find(p, k);
	return a ? sc_json_path_str(a->object, path) : NULL;
}

static const char *condition_status(const struct sc_plan *p, enum sc_action_kind k,
				    const char *type)
{
	const struct sc_action *a = sc_plan_find(p, k);
	if (!a)
		return NULL;
	json_t *c = sc_condition_find(a->object, type);
	return json_string_value(json_object_get(c, "status"));
}

static const struct sc_action *find_event(const struct sc_plan *p, const char *reason)
{
	for (size_t i = 0; i < p->count; i++)
		if (p->actions[i].kind == SC_ACT_EVENT && strcmp(p->actions[i].reason, reason) == 0)
			return &p->actions[i];
	return NULL;
}

static bool is_pod_named(const struct sc_action *a, const char *name)
{
	return a && strcmp(sc_json_path_str(a->object, "metadata.name"), name) == 0;
}

SC_TEST(new_sc_gets_finalizer_and_instance)
{
	json_t *sc = make_sc(true);
	json_object_del(json_object_get(sc, "metadata"), "finalizers");
	json_object_del(json_object_get(sc, "spec"), "hostPathPrefix");
	struct sc_observed obs = {.sc = sc, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.actions[0].kind, SC_ACT_ADD_FINALIZER);
	const struct sc_action *c = sc_plan_find(&plan, SC_ACT_CREATE_INSTANCE);
	SC_ASSERT(c != NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(c->object, "metadata.name"), "demo");
	SC_ASSERT_STR_EQ(sc_json_path_str(c->object, "spec.stoppableContainerName"), "demo");
	SC_ASSERT_STR_EQ(sc_json_path_str(c->object, "spec.hostPathPrefix"),
			 "/var/lib/stoppablecontainer");
	json_t *owner = json_array_get(sc_json_path(c->object, "metadata.ownerReferences"), 0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(owner, "uid")), SC_UID);
	SC_ASSERT(json_is_true(json_object_get(owner, "controller")));
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 0);
	sc_plan_free(&plan);
	json_decref(sc);
}

SC_TEST(instance_without_provider_creates_provider)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	struct sc_observed obs = {.sc = sc, .sci = sci, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_UPDATE_INSTANCE), 0);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 1);
	const struct sc_action *a = sc_plan_find(&plan, SC_ACT_CREATE_POD);
	SC_ASSERT(is_pod_named(a, "demo-provider"));
	/* it reports what the next reconcile, with the pod there, would: the
	 * instance's ProviderStarting (the container's Pending) */
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.phase"),
			 "ProviderStarting");
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Pending");
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 1);
	SC_ASSERT_STR_EQ(sc_plan_find(&plan, SC_ACT_EVENT)->reason, "ProviderStarting");

	/* the next reconcile: the pod is there, not running yet — the same
	 * phase and message (only the pod's UID and node are news), no event */
	json_t *status = json_deep_copy(
	    json_object_get(sc_plan_find(&plan, SC_ACT_APPLY_INSTANCE_STATUS)->object, "status"));
	json_object_set_new(sci, "status", status);
	json_object_set(
	    sc, "status",
	    json_object_get(sc_plan_find(&plan, SC_ACT_APPLY_STATUS)->object, "status"));
	sc_plan_free(&plan);
	json_t *prov = make_pod("demo-provider", PROV_UID, "Pending", false);
	struct sc_observed next = {.sc = sc, .sci = sci, .provider = prov, .now = NOW};
	sc_decide(&next, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Pending");
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.phase"),
			 "ProviderStarting");
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.message"),
			 json_string_value(json_object_get(status, "message")));
	sc_plan_free(&plan);
	json_decref(prov);
	json_decref(sc);
	json_decref(sci);
}

/* The matchFields of nodeSelectorTerms[i] of pod's required node affinity,
 * as "key op value;..." for comparison. */
static char *term_fields(json_t *pod, size_t i)
{
	json_t *terms = sc_json_path(
	    pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
		 "nodeSelectorTerms");
	json_t *fields = json_object_get(json_array_get(terms, i), "matchFields");
	char *out = sc_xstrdup("");
	size_t j;
	json_t *f;
	json_array_foreach (fields, j, f) {
		char *next = sc_xasprintf(
		    "%s%s %s %s;", out, json_string_value(json_object_get(f, "key")),
		    json_string_value(json_object_get(f, "operator")),
		    json_string_value(json_array_get(json_object_get(f, "values"), 0)));
		free(out);
		out = next;
	}
	return out;
}

SC_TEST(provider_goes_back_to_the_node_holding_the_rootfs)
{
	json_t *sc = make_sc(false);
	json_t *sci = make_sci(sc);
	/* No node holds it yet: the scheduler picks one freely. */
	json_t *pod = sc_build_provider_pod(sci, &opts);
	SC_ASSERT(sc_json_path(pod, "spec.affinity") == NULL);
	char before[17], after[17];
	sc_provider_hash(sci, &opts, before);
	json_decref(pod);

	/* The mount-helper of node-a claimed it: the provider must go there. */
	json_object_set_new(json_object_get(sci, "metadata"), "annotations",
			    json_pack("{s:s}", SC_ANNOTATION_NODE, "node-a"));
	pod = sc_build_provider_pod(sci, &opts);
	char *f = term_fields(pod, 0);
	SC_ASSERT_STR_EQ(f, "metadata.name In node-a;");
	free(f);
	/* A provider already running there is not replaced for it. */
	sc_provider_hash(sci, &opts, after);
	SC_ASSERT_STR_EQ(after, before);
	json_decref(pod);

	/* The template's own required terms keep their meaning, each ANDed
	 * with the node; the instance itself is not changed. */
	json_object_set_new(
	    sc_json_path(sci, "spec.template"), "affinity",
	    parse("{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"disk\","
		  "\"operator\":\"In\",\"values\":[\"ssd\"]}]},{\"matchFields\":[{\"key\":"
		  "\"metadata.name\",\"operator\":\"NotIn\",\"values\":[\"node-z\"]}]}]}}}"));
	pod = sc_build_provider_pod(sci, &opts);
	f = term_fields(pod, 0);
	SC_ASSERT_STR_EQ(f, "metadata.name In node-a;");
	free(f);
	f = term_fields(pod, 1);
	SC_ASSERT_STR_EQ(f, "metadata.name NotIn node-z;metadata.name In node-a;");
	free(f);
	json_t *terms = sc_json_path(
	    pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
		 "nodeSelectorTerms");
	SC_ASSERT_INT_EQ(
	    json_array_size(json_object_get(json_array_get(terms, 0), "matchExpressions")), 1);
	json_t *own = sc_json_path(sci, "spec.template.affinity.nodeAffinity."
					"requiredDuringSchedulingIgnoredDuringExecution."
					"nodeSelectorTerms");
	SC_ASSERT(json_object_get(json_array_get(own, 0), "matchFields") == NULL);
	SC_ASSERT_INT_EQ(json_array_size(json_object_get(json_array_get(own, 1), "matchFields")),
			 1);
	json_decref(pod);

	/* Without the annotation, status.rootfs.nodeName says the same. */
	json_object_del(json_object_get(sci, "metadata"), "annotations");
	set_rootfs_ready(sci, "p-uid");
	SC_ASSERT_STR_EQ(sc_sci_rootfs_node(sci), "node-a");
	json_decref(sci);
	json_decref(sc);
}

SC_TEST(provider_pod_shape)
{
	json_t *sc = make_sc(true);
	json_object_set_new(sc_json_path(sc, "spec.template"), "nodeSelector",
			    json_pack("{s:s, s:s}", "disk", "ssd", "zone", "a"));
	json_object_set_new(json_object_get(sc, "spec"), "provider",
			    json_pack("{s:{s:s}}", "nodeSelector", "zone", "b"));
	json_t *sci = make_sci(sc);
	json_t *pod = sc_build_provider_pod(sci, &opts);
	SC_ASSERT_STR_EQ(sc_json_path_str(pod, "metadata.name"), "demo-provider");
	SC_ASSERT_STR_EQ(sc_json_path_str(pod, "metadata.namespace"), "ns1");
	json_t *labels = sc_json_path(pod, "metadata.labels");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(labels, SC_LABEL_ROLE)), "provider");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(labels, SC_LABEL_INSTANCE)), "demo");
	json_t *owner = json_array_get(sc_json_path(pod, "metadata.ownerReferences"), 0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(owner, "kind")), SCI_KIND);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(owner, "uid")), SCI_UID);
	json_t *c = json_array_get(sc_json_path(pod, "spec.containers"), 0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(c, "image")), "busybox:1.36");
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "command"), 0)),
			 "/.sc-bin/sc-pause");
	SC_ASSERT(json_is_false(sc_json_path(c, "securityContext.allowPrivilegeEscalation")));
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "resources.requests.memory"), "4Mi");
	json_t *init = json_array_get(sc_json_path(pod, "spec.initContainers"), 0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(init, "image")), opts.exec_image);
	/* The provider's selector merges the template's with the provider's. */
	SC_ASSERT_STR_EQ(sc_json_path_str(pod, "spec.nodeSelector.disk"), "ssd");
	SC_ASSERT_STR_EQ(sc_json_path_str(pod, "spec.nodeSelector.zone"), "b");
	/* Nothing a baseline namespace refuses. */
	SC_ASSERT(sc_json_path(pod, "spec.hostNetwork") == NULL);
	SC_ASSERT(sc_json_path(pod, "spec.hostPID") == NULL);
	json_t *vol = json_array_get(sc_json_path(pod, "spec.volumes"), 0);
	SC_ASSERT(json_object_get(vol, "emptyDir") != NULL);
	SC_ASSERT(json_object_get(vol, "hostPath") == NULL);
	SC_ASSERT(json_is_false(sc_json_path(pod, "spec.automountServiceAccountToken")));
	json_decref(pod);
	json_decref(sc);
	json_decref(sci);
}

SC_TEST(waits_for_rootfs_of_the_current_provider)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *prov = make_provider(sci);
	struct sc_observed obs = {.sc = sc, .sci = sci, .provider = prov, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.phase"),
			 "ProviderStarting");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "mount-helper on node node-a");
	sc_plan_free(&plan);

	/* RootfsReady for a previous provider pod does not count. */
	set_rootfs_ready(sci, "00000000-0000-0000-0000-000000000000");
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 0);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
}

/* A pod with the provider's name that this instance did not create: never
 * replaced or adopted, the status says it is in the way, one event. */
SC_TEST(a_foreign_pod_with_the_provider_name_is_reported_not_adopted)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *squat = make_pod("demo-provider", PROV_UID, "Running", true);
	struct sc_observed obs = {.sc = sc, .sci = sci, .foreign_provider = squat, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 0);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_DELETE_POD), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	const char *msg = applied(&plan, SC_ACT_APPLY_STATUS, "status.message");
	SC_ASSERT_STR_CONTAINS(msg, "pod demo-provider already exists and was not created");
	const struct sc_action *st = sc_plan_find(&plan, SC_ACT_APPLY_INSTANCE_STATUS);
	json_t *c = sc_condition_find(st->object, "ProviderReady");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(c, "reason")), "PodNameTaken");
	const struct sc_action *ev = sc_plan_find(&plan, SC_ACT_EVENT);
	SC_ASSERT(ev != NULL);
	SC_ASSERT_STR_EQ(ev->reason, "PodNameTaken");
	/* once the instance says so, no second event */
	apply_status(sci, st->object);
	sc_plan_free(&plan);
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 0);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 0);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(squat);
}

SC_TEST(a_foreign_pod_with_the_workload_name_is_reported_not_adopted)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_t *squat = make_pod("demo", "d0000000-0000-0000-0000-000000000000", "Running", true);
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .foreign_consumer = squat, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD), 0);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_DELETE_POD), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "pod demo already exists");
	size_t taken = 0;
	for (size_t i = 0; i < plan.count; i++)
		taken += plan.actions[i].kind == SC_ACT_EVENT &&
			 strcmp(plan.actions[i].reason, "PodNameTaken") == 0;
	SC_ASSERT_INT_EQ(taken, 1);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(squat);
}

SC_TEST(a_pod_is_ours_only_by_role_and_controller_reference)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *pod = sc_build_provider_pod(sci, &opts);
	SC_ASSERT(sc_pod_is_ours(pod, SC_ROLE_PROVIDER, SCI_UID));
	SC_ASSERT(!sc_pod_is_ours(pod, SC_ROLE_CONSUMER, SCI_UID));
	SC_ASSERT(!sc_pod_is_ours(pod, SC_ROLE_PROVIDER, "another-uid"));
	SC_ASSERT(!sc_pod_is_ours(pod, SC_ROLE_PROVIDER, NULL));
	/* the right labels without the reference: a squatter's copy */
	json_object_del(json_object_get(pod, "metadata"), "ownerReferences");
	SC_ASSERT(!sc_pod_is_ours(pod, SC_ROLE_PROVIDER, SCI_UID));
	json_decref(pod);
	json_decref(sc);
	json_decref(sci);
}

SC_TEST(rootfs_ready_and_running_creates_consumer)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	struct sc_observed obs = {.sc = sc, .sci = sci, .provider = prov, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	const struct sc_action *a = sc_plan_find(&plan, SC_ACT_CREATE_POD);
	SC_ASSERT(is_pod_named(a, "demo"));
	json_t *term = json_array_get(
	    sc_json_path(a->object,
			 "spec.affinity.nodeAffinity."
			 "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"),
	    0);
	json_t *field = json_array_get(json_object_get(term, "matchFields"), 0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(field, "key")), "metadata.name");
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(field, "values"), 0)),
			 "node-a");
	SC_ASSERT(sc_json_path(a->object, "spec.nodeName") == NULL);
	/* a template silent about stdin keeps it open, as docker run -i */
	SC_ASSERT(json_is_true(json_object_get(
	    json_array_get(sc_json_path(a->object, "spec.containers"), 0), "stdin")));
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.phase"),
			 "ConsumerStarting");
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Starting");
	/* one event for one start: Starting, not ConsumerStarting as well */
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 1);
	SC_ASSERT_STR_EQ(sc_plan_find(&plan, SC_ACT_EVENT)->reason, "Starting");
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
}

SC_TEST(running_is_idempotent)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_t *cons = make_consumer(sci, true);
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};
	/* Ready but the rootfs not yet stacked on it: not Running yet. */
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.phase"),
			 "ConsumerStarting");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "stack the rootfs on the workload");
	sc_plan_free(&plan);
	set_stacked(sci);
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD) + count(&plan, SC_ACT_DELETE_POD), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Running");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "Ready"), "True");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "RootfsReady"), "True");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "RestartRequired"), "False");
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.consumerPodName"), "demo");

	/* Apply the statuses as the API server would; the next decision
	 * writes nothing and emits no event. */
	apply_status(sci, sc_plan_find(&plan, SC_ACT_APPLY_INSTANCE_STATUS)->object);
	apply_status(sc, sc_plan_find(&plan, SC_ACT_APPLY_STATUS)->object);
	sc_plan_free(&plan);
	obs.now = "2026-11-28T12:05:00Z";
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 0);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

/* The mount-helper's RootfsReady False (StackFailed) on the instance. */
static void set_stack_failed(json_t *sci, const char *message)
{
	json_t *c = sc_condition_find(sci, SC_COND_ROOTFS_READY);
	json_object_set_new(c, "status", json_string("False"));
	json_object_set_new(c, "reason", json_string(SC_REASON_STACK_FAILED));
	json_object_set_new(c, "message", json_string(message));
}

SC_TEST(a_rootfs_that_cannot_be_stacked_is_on_the_status_with_one_event)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_t *cons = make_consumer(sci, true);
	set_stack_failed(sci, "mountpoint for /newvol: opening mountpoint /newvol");
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "opening mountpoint /newvol");
	const struct sc_action *st = sc_plan_find(&plan, SC_ACT_APPLY_STATUS);
	json_t *rc = sc_condition_find(st->object, SC_COND_ROOTFS_READY);
	SC_ASSERT_STR_EQ(sc_json_path_str(rc, "status"), "False");
	SC_ASSERT_STR_EQ(sc_json_path_str(rc, "reason"), SC_REASON_STACK_FAILED);
	SC_ASSERT_STR_CONTAINS(sc_json_path_str(rc, "message"), "/newvol");
	/* the workload is left alone: the mount-helper keeps trying */
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_POD) + count(&plan, SC_ACT_DELETE_POD), 0);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 1);
	const struct sc_action *ev = sc_plan_find(&plan, SC_ACT_EVENT);
	SC_ASSERT_STR_EQ(ev->event_type, "Warning");
	SC_ASSERT_STR_CONTAINS(ev->message, "/newvol");

	/* The mount-helper retries with the same error: nothing new. */
	apply_status(sci, sc_plan_find(&plan, SC_ACT_APPLY_INSTANCE_STATUS)->object);
	apply_status(sc, st->object);
	sc_plan_free(&plan);
	obs.now = "2026-11-28T12:05:00Z";
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 0);
	sc_plan_free(&plan);

	/* Once the stack works, Running. */
	set_rootfs_ready(sci, PROV_UID);
	set_stacked(sci);
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Running");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "RootfsReady"), "True");
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

SC_TEST(stop_deletes_consumer_with_grace)
{
	json_t *sc = make_sc(false);
	json_object_set_new(sc_json_path(sc, "spec.template"), "terminationGracePeriodSeconds",
			    json_integer(7));
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_t *cons = make_consumer(sci, true);
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	const struct sc_action *d = sc_plan_find(&plan, SC_ACT_DELETE_POD);
	SC_ASSERT(d != NULL);
	SC_ASSERT_STR_EQ(d->name, "demo");
	SC_ASSERT_STR_EQ(d->uid, "c0000000-0000-0000-0000-000000000000");
	SC_ASSERT_INT_EQ(d->grace_seconds, 7);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_DELETE_POD), 1); /* never the provider */
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_INSTANCE_STATUS, "status.phase"), "Stopping");
	/* one event for one stop (not the action's and the phase's) */
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 1);
	SC_ASSERT_STR_EQ(sc_plan_find(&plan, SC_ACT_EVENT)->reason, "Stopping");

	/* The user sees Stopping, and the workload not ready from the first
	 * write on (one status write for the stop). */
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Stopping");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "Ready"), "False");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "ConsumerReady"), "False");
	apply_status(sci, sc_plan_find(&plan, SC_ACT_APPLY_INSTANCE_STATUS)->object);
	apply_status(sc, sc_plan_find(&plan, SC_ACT_APPLY_STATUS)->object);
	sc_plan_free(&plan);
	/* The pod being deleted changes nothing the user sees: no write. */
	json_object_set_new(json_object_get(cons, "metadata"), "deletionTimestamp",
			    json_string(NOW));
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_APPLY_STATUS), 0);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_EVENT), 0);
	sc_plan_free(&plan);

	/* Once the consumer is gone: Stopped, and Ready False (Ready means
	 * the workload runs), with reason Stopped. */
	obs.consumer = NULL;
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_DELETE_POD) + count(&plan, SC_ACT_CREATE_POD), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Stopped");
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "Ready"), "False");
	json_t *ready =
	    sc_condition_find(sc_plan_find(&plan, SC_ACT_APPLY_STATUS)->object, "Ready");
	SC_ASSERT_STR_EQ(sc_json_path_str(ready, "reason"), "Stopped");
	SC_ASSERT(applied(&plan, SC_ACT_APPLY_STATUS, "status.consumerPodName") == NULL);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

SC_TEST(deletion_goes_consumer_provider_instance_finalizer)
{
	json_t *sc = make_sc(true);
	json_object_set_new(json_object_get(sc, "metadata"), "deletionTimestamp", json_string(NOW));
	json_t *sci = make_sci(sc);
	json_t *prov = make_provider(sci);
	json_t *cons = make_consumer(sci, true);
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};

	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 1);
	SC_ASSERT_INT_EQ(plan.actions[0].kind, SC_ACT_DELETE_POD);
	SC_ASSERT_STR_EQ(plan.actions[0].name, "demo");
	sc_plan_free(&plan);

	json_object_set_new(json_object_get(cons, "metadata"), "deletionTimestamp",
			    json_string(NOW));
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 0); /* waits for the consumer */
	sc_plan_free(&plan);

	obs.consumer = NULL;
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 1);
	SC_ASSERT_STR_EQ(plan.actions[0].name, "demo-provider");
	sc_plan_free(&plan);

	obs.provider = NULL;
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 1);
	SC_ASSERT_INT_EQ(plan.actions[0].kind, SC_ACT_DELETE_INSTANCE);
	SC_ASSERT_STR_EQ(plan.actions[0].uid, SCI_UID);
	sc_plan_free(&plan);

	obs.sci = NULL;
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(plan.count, 1);
	SC_ASSERT_INT_EQ(plan.actions[0].kind, SC_ACT_REMOVE_FINALIZER);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

SC_TEST(image_pull_error_is_failed_with_reason)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *prov = make_pod("demo-provider", PROV_UID, "Pending", false);
	json_object_set_new(json_object_get(prov, "status"), "containerStatuses",
			    json_pack("[{s:{s:{s:s, s:s}}}]", "state", "waiting", "reason",
				      "ErrImageNeverPull", "message",
				      "Container image \"busybox:1.36\" is not present"));
	struct sc_observed obs = {.sc = sc, .sci = sci, .provider = prov, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	const char *msg = applied(&plan, SC_ACT_APPLY_STATUS, "status.message");
	SC_ASSERT_STR_CONTAINS(msg, "busybox:1.36");
	SC_ASSERT_STR_CONTAINS(msg, "ErrImageNeverPull");
	const struct sc_action *ev = sc_plan_find(&plan, SC_ACT_EVENT);
	SC_ASSERT(ev != NULL);
	SC_ASSERT_STR_EQ(ev->event_type, "Warning");
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
}

SC_TEST(init_container_pull_error_names_its_image)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *prov = make_pod("demo-provider", PROV_UID, "Pending", false);
	json_object_set_new(json_object_get(prov, "status"), "initContainerStatuses",
			    json_pack("[{s:s, s:{s:{s:s, s:s}}}]", "image",
				      "stoppablecontainer/sc-exec:9", "state", "waiting", "reason",
				      "ErrImagePull", "message", "not found"));
	json_object_set_new(json_object_get(prov, "status"), "containerStatuses",
			    json_pack("[{s:s, s:{s:{s:s}}}]", "image", "busybox:1.36", "state",
				      "waiting", "reason", "PodInitializing"));
	struct sc_observed obs = {.sc = sc, .sci = sci, .provider = prov, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "cannot start image stoppablecontainer/sc-exec:9: ErrImagePull");
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
}

SC_TEST(crash_loop_is_failed_and_points_at_logs)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_t *cons = make_consumer(sci, false);
	json_object_set_new(json_object_get(cons, "status"), "containerStatuses",
			    json_pack("[{s:{s:{s:s}}, s:{s:{s:i, s:s}}}]", "state", "waiting",
				      "reason", "CrashLoopBackOff", "lastState", "terminated",
				      "exitCode", 3, "reason", "Error"));
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "last exit code 3");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "kubectl logs demo --previous");
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_DELETE_POD), 0);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

SC_TEST(template_edit_while_running_requires_restart)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_t *cons = make_consumer(sci, true);
	/* The user edits the command and the image while running. */
	json_object_set_new(sc_json_path(sc, "spec.template.container"), "command",
			    json_pack("[s]", "top"));
	json_object_set_new(sc_json_path(sc, "spec.template.container"), "image",
			    json_string("busybox:1.37"));
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_UPDATE_INSTANCE), 1);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_DELETE_POD), 0); /* nothing pulled from under it */
	SC_ASSERT_STR_EQ(condition_status(&plan, SC_ACT_APPLY_STATUS, "RestartRequired"), "True");
	/* ... and says so once, in an event. */
	const struct sc_action *ev = find_event(&plan, "RestartRequired");
	SC_ASSERT(ev != NULL);
	SC_ASSERT_STR_EQ(ev->event_type, "Normal");
	SC_ASSERT_STR_CONTAINS(ev->message, "kubectl sc restart");
	apply_status(sci, sc_plan_find(&plan, SC_ACT_APPLY_INSTANCE_STATUS)->object);
	apply_status(sc, sc_plan_find(&plan, SC_ACT_APPLY_STATUS)->object);
	json_object_set(
	    sci, "spec",
	    json_object_get(sc_plan_find(&plan, SC_ACT_UPDATE_INSTANCE)->object, "spec"));
	sc_plan_free(&plan);
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT(find_event(&plan, "RestartRequired") == NULL);
	sc_plan_free(&plan);

	/* Once stopped, the provider with the old image is replaced. */
	json_object_set_new(json_object_get(sc, "spec"), "running", json_false());
	obs.consumer = NULL;
	sc_decide(&obs, &opts, &plan);
	const struct sc_action *d = sc_plan_find(&plan, SC_ACT_DELETE_POD);
	SC_ASSERT(d != NULL);
	SC_ASSERT_STR_EQ(d->name, "demo-provider");
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

SC_TEST(terminal_provider_is_recreated)
{
	json_t *sc = make_sc(false);
	json_t *sci = make_sci(sc);
	json_t *prov = make_pod("demo-provider", PROV_UID, "Failed", false);
	struct sc_observed obs = {.sc = sc, .sci = sci, .provider = prov, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	const struct sc_action *d = sc_plan_find(&plan, SC_ACT_DELETE_POD);
	SC_ASSERT(d != NULL);
	SC_ASSERT_STR_EQ(d->name, "demo-provider");
	SC_ASSERT_INT_EQ(d->grace_seconds, 0);
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
}

SC_TEST(workload_argv_follows_docker_semantics)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *c = sc_json_path(sci, "spec.template.container");
	json_object_set_new(sci, "status",
			    json_pack("{s:{s:[s], s:[s, s]}}", "imageConfig", "entrypoint",
				      "/entry", "cmd", "a", "b"));
	cleanup_error sc_error_t err = NULL;

	json_object_set_new(c, "args", json_pack("[s]", "x"));
	json_t *argv = sc_workload_argv(sci, &err);
	SC_ASSERT_INT_EQ(json_array_size(argv), 4); /* command + args */
	json_decref(argv);

	json_object_del(c, "command");
	argv = sc_workload_argv(sci, &err);
	SC_ASSERT_INT_EQ(json_array_size(argv), 2); /* entrypoint + args */
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(argv, 0)), "/entry");
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(argv, 1)), "x");
	json_decref(argv);

	json_object_del(c, "args");
	argv = sc_workload_argv(sci, &err);
	SC_ASSERT_INT_EQ(json_array_size(argv), 3); /* entrypoint + cmd */
	json_decref(argv);

	json_object_del(sci, "status");
	SC_ASSERT(sc_workload_argv(sci, &err) == NULL);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "no ENTRYPOINT or CMD");
	json_decref(sc);
	json_decref(sci);
}

SC_TEST(consumer_pod_carries_the_template)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	json_t *tc = sc_json_path(sci, "spec.template.container");
	json_object_set_new(tc, "env", json_pack("[{s:s, s:s}]", "name", "PATH", "value", "/mine"));
	json_object_set_new(tc, "ports", json_pack("[{s:i}]", "containerPort", 8080));
	json_object_set_new(tc, "stdin", json_true());
	json_object_set_new(tc, "securityContext",
			    json_pack("{s:i, s:i, s:b, s:b, s:{s:[s], s:[s]}}", "runAsUser", 1000,
				      "runAsGroup", 100, "allowPrivilegeEscalation", 0,
				      "runAsNonRoot", 1, "capabilities", "add", "NET_ADMIN", "drop",
				      "ALL"));
	json_object_set_new(sc_json_path(sci, "spec.template"), "securityContext",
			    json_pack("{s:[i, i]}", "supplementalGroups", 5, 6));
	json_object_set_new(
	    sc_json_path(sci, "spec.template"), "metadata",
	    json_pack("{s:{s:s, s:s}}", "labels", "app", "web", SC_LABEL_ROLE, "evil"));
	json_object_set_new(sci, "status",
			    json_pack("{s:{s:[s, s], s:s}}", "imageConfig", "env",
				      "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "workingDir", "/srv"));
	cleanup_error sc_error_t err = NULL;
	json_t *pod = sc_build_consumer_pod(sci, "node-a", &opts, &err);
	SC_ASSERT(pod != NULL);
	json_t *c = json_array_get(sc_json_path(pod, "spec.containers"), 0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(c, "image")), opts.exec_image);
	cleanup_free char *cmd = json_dumps(json_object_get(c, "command"), JSON_COMPACT);
	SC_ASSERT_STR_EQ(cmd, "[\"/sc-exec\",\"--node\",\"node-a\",\"--workdir\",\"/srv\","
			      "\"--user\",\"1000:100\","
			      "\"--groups\",\"5,6\",\"--no-new-privs\",\"--non-root\","
			      "\"--cap-drop\",\"ALL\",\"--\",\"sh\",\"-c\",\"sleep 1000\"]");
	/* kubectl exec starts in the image's WORKDIR */
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "workingDir"), "/srv");
	/* No seccomp profile in the template: the runtime's default. */
	SC_ASSERT_STR_EQ(sc_json_path_str(pod, "spec.securityContext.seccompProfile.type"),
			 "RuntimeDefault");
	/* Image ENV first, the template's after it (the later one wins), and
	 * nothing of ours: a NODE_NAME of the user's stays theirs. */
	json_t *env = json_object_get(c, "env");
	SC_ASSERT_INT_EQ(json_array_size(env), 3);
	for (size_t i = 0; i < json_array_size(env); i++)
		SC_ASSERT(sc_json_path(json_array_get(env, i), "valueFrom") == NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(json_array_get(env, 0), "value"), "/usr/bin:/bin");
	SC_ASSERT_STR_EQ(sc_json_path_str(json_array_get(env, 2), "value"), "/mine");
	SC_ASSERT(json_is_true(json_object_get(c, "stdin")));
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(
			     json_array_get(json_object_get(c, "ports"), 0), "containerPort")),
			 8080);
	/* The container runs as root with SYS_CHROOT; the user applies inside. */
	SC_ASSERT(sc_json_path(c, "securityContext.runAsUser") == NULL);
	cleanup_free char *caps =
	    json_dumps(sc_json_path(c, "securityContext.capabilities"), JSON_COMPACT);
	SC_ASSERT_STR_EQ(caps, "{\"add\":[\"SYS_CHROOT\",\"NET_ADMIN\"]}");
	SC_ASSERT(sc_json_path(c, "securityContext.privileged") == NULL);
	/* Template labels land on the pod, but ours win. */
	SC_ASSERT_STR_EQ(sc_json_path_str(pod, "metadata.labels.app"), "web");
	/* The workload label, for Services: on the consumer, never the provider. */
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(sc_json_path(pod, "metadata.labels"),
							   SC_LABEL_WORKLOAD)),
			 "demo");
	json_t *prov = sc_build_provider_pod(sci, &opts);
	SC_ASSERT(json_object_get(sc_json_path(prov, "metadata.labels"), SC_LABEL_WORKLOAD) ==
		  NULL);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(sc_json_path(prov, "metadata.labels"),
							   SC_LABEL_INSTANCE)),
			 "demo");
	json_decref(prov);
	SC_ASSERT_STR_EQ(
	    json_string_value(json_object_get(sc_json_path(pod, "metadata.labels"), SC_LABEL_ROLE)),
	    "consumer");
	SC_ASSERT_INT_EQ(
	    json_integer_value(sc_json_path(pod, "spec.terminationGracePeriodSeconds")), 30);
	json_decref(pod);
	json_decref(sc);
	json_decref(sci);
}

SC_TEST(consumer_working_directory_is_the_templates_else_the_images)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	cleanup_error sc_error_t err = NULL;
	/* neither: no workingDir, the runtime's "/" */
	json_t *pod = sc_build_consumer_pod(sci, "node-a", &opts, &err);
	json_t *c = json_array_get(sc_json_path(pod, "spec.containers"), 0);
	SC_ASSERT(json_object_get(c, "workingDir") == NULL);
	json_decref(pod);
	json_object_set_new(sci, "status",
			    json_pack("{s:{s:s}}", "imageConfig", "workingDir", "/srv"));
	json_object_set_new(sc_json_path(sci, "spec.template.container"), "workingDir",
			    json_string("/work/here"));
	pod = sc_build_consumer_pod(sci, "node-a", &opts, &err);
	c = json_array_get(sc_json_path(pod, "spec.containers"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "workingDir"), "/work/here");
	cleanup_free char *cmd = json_dumps(json_object_get(c, "command"), JSON_COMPACT);
	SC_ASSERT_STR_CONTAINS(cmd, "\"--workdir\",\"/work/here\"");
	json_decref(pod);
	json_decref(sc);
	json_decref(sci);
}

SC_TEST(consumer_moves_with_the_provider)
{
	json_t *sc = make_sc(true);
	json_t *sci = make_sci(sc);
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	json_object_set_new(json_object_get(prov, "spec"), "nodeName", json_string("node-b"));
	json_t *cons = make_consumer(sci, true);
	struct sc_observed obs = {
	    .sc = sc, .sci = sci, .provider = prov, .consumer = cons, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	const struct sc_action *d = sc_plan_find(&plan, SC_ACT_DELETE_POD);
	SC_ASSERT(d != NULL);
	SC_ASSERT_STR_EQ(d->name, "demo");
	sc_plan_free(&plan);
	json_decref(sc);
	json_decref(sci);
	json_decref(prov);
	json_decref(cons);
}

SC_TEST(sc_phase_mapping)
{
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase(NULL), "Pending");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("ProviderStarting"), "Pending");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("ProviderReady"), "Starting");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("ConsumerStarting"), "Starting");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("Stopping"), "Stopping");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("Running"), "Running");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("Stopped"), "Stopped");
	SC_ASSERT_STR_EQ(sc_phase_for_instance_phase("Failed"), "Failed");
}

/* The reference's shape, {metadata, spec: PodSpec}: the instance gets the
 * seed's shape, and the pod everything both shapes carry. */
static json_t *make_podspec_sc(void)
{
	json_t *sc = make_sc(true);
	json_object_set_new(
	    json_object_get(sc, "spec"), "template",
	    parse("{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
		  "\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.36\","
		  "\"command\":[\"sh\",\"-c\",\"sleep 1000\"],\"ports\":[{\"containerPort\":80}]}],"
		  "\"restartPolicy\":\"Always\",\"hostNetwork\":false,"
		  "\"initContainers\":[{\"name\":\"prep\",\"image\":\"busybox:1.36\","
		  "\"command\":[\"true\"]}],"
		  "\"runtimeClassName\":\"runc\",\"dnsPolicy\":\"None\","
		  "\"dnsConfig\":{\"nameservers\":[\"10.0.0.10\"]},"
		  "\"hostAliases\":[{\"ip\":\"10.1.2.3\",\"hostnames\":[\"db\"]}],"
		  "\"terminationGracePeriodSeconds\":9,"
		  "\"securityContext\":{\"fsGroup\":7,\"sysctls\":[{\"name\":\"net.ipv4.ip_"
		  "unprivileged_port_start\",\"value\":\"0\"}],\"fsGroupChangePolicy\":"
		  "\"OnRootMismatch\"}}}"));
	return sc;
}

SC_TEST(podspec_template_is_normalised_for_the_instance)
{
	json_t *sc = make_podspec_sc();
	cleanup_error sc_error_t err = NULL;
	json_t *t = sc_template_normalize(sc_json_path(sc, "spec.template"), &err);
	SC_ASSERT(t != NULL);
	SC_ASSERT(json_object_get(t, "spec") == NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(t, "container.image"), "busybox:1.36");
	SC_ASSERT(sc_json_path(t, "container.name") == NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(t, "metadata.labels.app"), "web");
	SC_ASSERT_STR_EQ(sc_json_path_str(t, "runtimeClassName"), "runc");
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(t, "terminationGracePeriodSeconds")),
			 9);
	/* Only what the instance's schema has: hostNetwork: false and
	 * restartPolicy stay behind (else the instance would be pruned and
	 * updated on every reconcile). */
	SC_ASSERT(json_object_get(t, "hostNetwork") == NULL);
	SC_ASSERT(json_object_get(t, "restartPolicy") == NULL);
	json_decref(t);

	/* The seed's shape is returned as it is. */
	json_t *seed = make_sc(true);
	t = sc_template_normalize(sc_json_path(seed, "spec.template"), &err);
	SC_ASSERT(t == sc_json_path(seed, "spec.template"));
	json_decref(t);

	/* Two containers, or both shapes: refused, saying what to do. */
	json_t *two = json_deep_copy(sc_json_path(sc, "spec.template"));
	json_t *cs = sc_json_path(two, "spec.containers");
	json_array_append_new(cs, json_deep_copy(json_array_get(cs, 0)));
	SC_ASSERT(sc_template_normalize(two, &err) == NULL);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "exactly one container");
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "restartPolicy: Always");
	sc_error_release(&err);
	json_object_set(two, "container", sc_json_path(seed, "spec.template.container"));
	SC_ASSERT(sc_template_normalize(two, &err) == NULL);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "give one");
	sc_error_release(&err);
	json_decref(two);

	/* readOnlyRootFilesystem on the workload container is refused, in
	 * both shapes, naming the field; false is fine. */
	json_t *ro = json_deep_copy(sc_json_path(sc, "spec.template"));
	json_t *c0 = json_array_get(sc_json_path(ro, "spec.containers"), 0);
	json_object_set_new(c0, "securityContext", json_pack("{s:b}", "readOnlyRootFilesystem", 1));
	SC_ASSERT(sc_template_normalize(ro, &err) == NULL);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err),
			       "spec.template.spec.containers[0].securityContext."
			       "readOnlyRootFilesystem is not available");
	sc_error_release(&err);
	json_object_set_new(c0, "securityContext", json_pack("{s:b}", "readOnlyRootFilesystem", 0));
	t = sc_template_normalize(ro, &err);
	SC_ASSERT(t != NULL);
	json_decref(t);
	json_decref(ro);
	ro = json_deep_copy(sc_json_path(seed, "spec.template"));
	json_object_set_new(json_object_get(ro, "container"), "securityContext",
			    json_pack("{s:b}", "readOnlyRootFilesystem", 1));
	SC_ASSERT(sc_template_normalize(ro, &err) == NULL);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err),
			       "spec.template.container.securityContext.readOnlyRootFilesystem");
	json_decref(ro);
	json_decref(seed);
	json_decref(sc);
}

SC_TEST(podspec_template_builds_the_pods)
{
	json_t *sc = make_podspec_sc();
	/* The first reconcile creates the instance with the seed's shape. */
	struct sc_observed obs = {.sc = sc, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	const struct sc_action *c = sc_plan_find(&plan, SC_ACT_CREATE_INSTANCE);
	SC_ASSERT(c != NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(c->object, "spec.template.container.image"),
			 "busybox:1.36");
	SC_ASSERT(sc_json_path(c->object, "spec.template.spec") == NULL);
	json_t *sci = json_deep_copy(c->object);
	json_object_set_new(json_object_get(sci, "metadata"), "uid", json_string(SCI_UID));
	sc_plan_free(&plan);

	/* Its spec is what the StoppableContainer asks: no update. */
	set_rootfs_ready(sci, PROV_UID);
	json_t *prov = make_provider(sci);
	obs.sci = sci;
	obs.provider = prov;
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_UPDATE_INSTANCE), 0);
	const struct sc_action *a = sc_plan_find(&plan, SC_ACT_CREATE_POD);
	SC_ASSERT(is_pod_named(a, "demo"));
	json_t *spec = json_object_get(a->object, "spec");
	SC_ASSERT_STR_EQ(sc_json_path_str(spec, "runtimeClassName"), "runc");
	SC_ASSERT_STR_EQ(sc_json_path_str(spec, "dnsPolicy"), "None");
	SC_ASSERT(sc_json_path(spec, "dnsConfig.nameservers") != NULL);
	SC_ASSERT(json_array_size(json_object_get(spec, "hostAliases")) == 1);
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")),
			 9);
	SC_ASSERT(json_object_get(spec, "hostNetwork") == NULL);
	/* The init container as given, then the workload container. */
	json_t *init = json_object_get(spec, "initContainers");
	SC_ASSERT_INT_EQ(json_array_size(init), 1);
	SC_ASSERT_STR_EQ(sc_json_path_str(json_array_get(init, 0), "name"), "prep");
	json_t *wc = json_array_get(json_object_get(spec, "containers"), 0);
	SC_ASSERT_INT_EQ(json_array_size(json_object_get(spec, "containers")), 1);
	SC_ASSERT_STR_EQ(sc_json_path_str(wc, "name"), "workload");
	SC_ASSERT(json_array_size(json_object_get(wc, "ports")) == 1);
	/* The rest of the pod securityContext. */
	SC_ASSERT_INT_EQ(json_integer_value(sc_json_path(spec, "securityContext.fsGroup")), 7);
	SC_ASSERT_STR_EQ(sc_json_path_str(spec, "securityContext.fsGroupChangePolicy"),
			 "OnRootMismatch");
	SC_ASSERT(json_array_size(sc_json_path(spec, "securityContext.sysctls")) == 1);
	SC_ASSERT_STR_EQ(sc_json_path_str(a->object, "metadata.labels.app"), "web");
	sc_plan_free(&plan);
	json_decref(sci);
	json_decref(prov);
	json_decref(sc);
}

SC_TEST(a_template_that_cannot_be_read_is_failed)
{
	json_t *sc = make_podspec_sc();
	json_t *cs = sc_json_path(sc, "spec.template.spec.containers");
	json_array_append_new(cs, json_deep_copy(json_array_get(cs, 0)));
	struct sc_observed obs = {.sc = sc, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_INSTANCE), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "exactly one container");
	SC_ASSERT(find_event(&plan, "InvalidSpec") != NULL);
	apply_status(sc, sc_plan_find(&plan, SC_ACT_APPLY_STATUS)->object);
	sc_plan_free(&plan);
	/* Said once. */
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_APPLY_STATUS) + count(&plan, SC_ACT_EVENT), 0);
	sc_plan_free(&plan);
	json_decref(sc);
}

SC_TEST(a_read_only_rootfs_is_refused_on_the_status)
{
	json_t *sc = make_sc(true);
	json_object_set_new(sc_json_path(sc, "spec.template.container"), "securityContext",
			    json_pack("{s:b}", "readOnlyRootFilesystem", 1));
	struct sc_observed obs = {.sc = sc, .now = NOW};
	struct sc_plan plan = {0};
	sc_decide(&obs, &opts, &plan);
	SC_ASSERT_INT_EQ(count(&plan, SC_ACT_CREATE_INSTANCE), 0);
	SC_ASSERT_STR_EQ(applied(&plan, SC_ACT_APPLY_STATUS, "status.phase"), "Failed");
	SC_ASSERT_STR_CONTAINS(applied(&plan, SC_ACT_APPLY_STATUS, "status.message"),
			       "readOnlyRootFilesystem is not available");
	SC_ASSERT(find_event(&plan, "InvalidSpec") != NULL);
	sc_plan_free(&plan);
	json_decref(sc);
}

int main(void)
{
	sc_pod_options_defaults(&opts);
	return sc_test_run();
}
