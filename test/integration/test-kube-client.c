/* The client library against the project's real local cluster
 * (hack/cluster/cluster.sh), reached through $KUBECONFIG. Every case works
 * in one fresh namespace, deleted at the end. No mock server anywhere.
 *
 * Waiting is always for a condition (an event arriving, signalled through
 * a condition variable) with a generous deadline that only turns a hang
 * into a failure. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-kubeconfig.h"
#include "lib/sc-watch.h"
#include "sc-test.h"

static struct sc_kube_config *cfg;
static struct sc_kube_client *client;
static char ns[64];

static json_t *configmap(const char *name, const char *key, const char *value)
{
	return json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
			 "metadata", "name", name, "data", key, value);
}

static void must(int r, sc_error_t *err, const char *what, int line)
{
	if (r < 0)
		sc_test_fail(__FILE__, line, "%s: %s", what, sc_error_message(*err));
}
#define MUST(expr, errp) must((expr), (errp), #expr, __LINE__)

static json_t *create_cm(const char *name, const char *key, const char *value)
{
	cleanup_json json_t *cm = configmap(name, key, value);
	json_t *out = NULL;
	cleanup_error sc_error_t err = NULL;
	MUST(sc_kube_create(client, &sc_kube_configmaps, ns, cm, NULL, &out, &err), &err);
	return out;
}

SC_TEST(configmap_crud)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *created = create_cm("crud", "a", "1");
	SC_ASSERT_STR_EQ(sc_json_name(created), "crud");
	SC_ASSERT_STR_EQ(sc_json_namespace(created), ns);
	SC_ASSERT(sc_json_uid(created) != NULL);
	const char *rv1 = sc_json_resource_version(created);
	SC_ASSERT(rv1 != NULL);

	cleanup_json json_t *got = NULL;
	MUST(sc_kube_get(client, &sc_kube_configmaps, ns, "crud", &got, &err), &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(got, "data.a"), "1");
	SC_ASSERT_STR_EQ(sc_json_uid(got), sc_json_uid(created));

	json_object_set_new(json_object_get(got, "data"), "a", json_string("2"));
	cleanup_json json_t *updated = NULL;
	MUST(sc_kube_update(client, &sc_kube_configmaps, NULL, got, NULL, &updated, &err), &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(updated, "data.a"), "2");
	SC_ASSERT(strcmp(sc_json_resource_version(updated), rv1) != 0);

	cleanup_json json_t *del = NULL;
	MUST(sc_kube_delete(client, &sc_kube_configmaps, ns, "crud", NULL, &del, &err), &err);
	json_t *gone = NULL;
	SC_ASSERT_INT_EQ(sc_kube_get(client, &sc_kube_configmaps, ns, "crud", &gone, &err), -1);
	SC_ASSERT(gone == NULL);
	SC_ASSERT(sc_error_is_not_found(err));
}

SC_TEST(missing_object_is_404)
{
	cleanup_error sc_error_t err = NULL;
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_get(client, &sc_kube_configmaps, ns, "missing", &out, &err), -1);
	SC_ASSERT(sc_error_is_not_found(err));
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	SC_ASSERT_STR_EQ(err->reason, "NotFound");
	char want[256];
	snprintf(want, sizeof(want),
		 "GET /api/v1/namespaces/%s/configmaps/missing: 404 Not Found: configmaps "
		 "\"missing\" not found",
		 ns);
	SC_ASSERT_STR_EQ(err->message, want);
}

SC_TEST(create_existing_is_409)
{
	cleanup_json json_t *first = create_cm("dup", "a", "1");
	SC_ASSERT_STR_EQ(sc_json_name(first), "dup");
	cleanup_json json_t *cm = configmap("dup", "a", "1");
	cleanup_error sc_error_t err = NULL;
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_create(client, &sc_kube_configmaps, ns, cm, NULL, &out, &err), -1);
	SC_ASSERT(sc_error_is_conflict(err));
	SC_ASSERT_STR_EQ(err->reason, "AlreadyExists");
	char want[256];
	snprintf(want, sizeof(want),
		 "POST /api/v1/namespaces/%s/configmaps: 409 Conflict: configmaps \"dup\" already "
		 "exists",
		 ns);
	SC_ASSERT_STR_EQ(err->message, want);
}

SC_TEST(update_with_stale_resource_version_is_409)
{
	cleanup_json json_t *v1 = create_cm("stale", "a", "1");
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *copy = json_deep_copy(v1);
	json_object_set_new(json_object_get(copy, "data"), "a", json_string("2"));
	cleanup_json json_t *v2 = NULL;
	MUST(sc_kube_update(client, &sc_kube_configmaps, ns, copy, NULL, &v2, &err), &err);
	/* v1 still carries the old resourceVersion */
	json_object_set_new(json_object_get(v1, "data"), "a", json_string("3"));
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_update(client, &sc_kube_configmaps, ns, v1, NULL, &out, &err), -1);
	SC_ASSERT(sc_error_is_conflict(err));
	SC_ASSERT_STR_EQ(err->reason, "Conflict");
	SC_ASSERT_STR_CONTAINS(err->message, "PUT /api/v1/namespaces/");
	SC_ASSERT_STR_CONTAINS(err->message, "409 Conflict: ");
	SC_ASSERT_STR_CONTAINS(err->message, "the object has been modified");
}

SC_TEST(finalizer_add_remove_and_stale_refused)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *cm = create_cm("finalizer", "a", "1");
	cleanup_json json_t *extra = json_pack("[{s:s, s:s, s:{s:s}}]", "op", "add", "path",
					       "/metadata/annotations", "value", "node", "n1");
	must(sc_kube_set_finalizer(client, &sc_kube_configmaps, cm, "example.com/hold", true, extra,
				   &err),
	     &err, "add finalizer", __LINE__);
	cleanup_json json_t *held = NULL;
	must(sc_kube_get(client, &sc_kube_configmaps, ns, "finalizer", &held, &err), &err, "get",
	     __LINE__);
	SC_ASSERT_STR_EQ(
	    json_string_value(json_array_get(sc_json_path(held, "metadata.finalizers"), 0)),
	    "example.com/hold");
	SC_ASSERT_STR_EQ(sc_json_path_str(held, "metadata.annotations.node"), "n1");
	/* The first object is stale now: its resourceVersion test fails and
	 * nothing changes. */
	SC_ASSERT_INT_EQ(sc_kube_set_finalizer(client, &sc_kube_configmaps, cm, "example.com/hold",
					       false, NULL, &err),
			 -1);
	SC_ASSERT(err->http_status == 409 || err->http_status == 422);
	sc_error_release(&err);
	must(sc_kube_set_finalizer(client, &sc_kube_configmaps, held, "example.com/hold", false,
				   NULL, &err),
	     &err, "remove finalizer", __LINE__);
	cleanup_json json_t *freed = NULL;
	must(sc_kube_get(client, &sc_kube_configmaps, ns, "finalizer", &freed, &err), &err, "get",
	     __LINE__);
	SC_ASSERT_INT_EQ(json_array_size(sc_json_path(freed, "metadata.finalizers")), 0);
}

SC_TEST(merge_patch)
{
	cleanup_json json_t *cm = create_cm("merge", "a", "1");
	SC_ASSERT_STR_EQ(sc_json_name(cm), "merge");
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *patch = json_pack("{s:{s:s,s:n}}", "data", "b", "2", "a");
	cleanup_json json_t *out = NULL;
	MUST(sc_kube_patch(client, &sc_kube_configmaps, ns, "merge", SC_KUBE_PATCH_MERGE, patch,
			   NULL, &out, &err),
	     &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(out, "data.b"), "2");
	SC_ASSERT(sc_json_path(out, "data.a") == NULL);
}

SC_TEST(json_patch)
{
	cleanup_json json_t *cm = create_cm("jsonpatch", "a", "1");
	SC_ASSERT_STR_EQ(sc_json_name(cm), "jsonpatch");
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *patch =
	    json_pack("[{s:s,s:s,s:s},{s:s,s:s},{s:s,s:s,s:s}]", "op", "add", "path", "/data/c",
		      "value", "3", "op", "remove", "path", "/data/a", "op", "add", "path",
		      "/metadata/labels", "value", "x");
	json_object_set_new(json_array_get(patch, 2), "value", json_pack("{s:s}", "l", "v"));
	cleanup_json json_t *out = NULL;
	MUST(sc_kube_patch(client, &sc_kube_configmaps, ns, "jsonpatch", SC_KUBE_PATCH_JSON, patch,
			   NULL, &out, &err),
	     &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(out, "data.c"), "3");
	SC_ASSERT(sc_json_path(out, "data.a") == NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(out, "metadata.labels.l"), "v");
	/* a failing "test" operation is refused by the server */
	cleanup_json json_t *test =
	    json_pack("[{s:s,s:s,s:s}]", "op", "test", "path", "/data/c", "value", "wrong");
	json_t *none = NULL;
	SC_ASSERT_INT_EQ(sc_kube_patch(client, &sc_kube_configmaps, ns, "jsonpatch",
				       SC_KUBE_PATCH_JSON, test, NULL, &none, &err),
			 -1);
	SC_ASSERT(err->http_status >= 400 && err->http_status < 500);
	SC_ASSERT_STR_CONTAINS(err->message, "PATCH /api/v1/namespaces/");
}

static const char *manager_of(const json_t *obj, const char *manager)
{
	json_t *mf = sc_json_path(obj, "metadata.managedFields");
	size_t i;
	json_t *e;
	json_array_foreach (mf, i, e) {
		const char *m = json_string_value(json_object_get(e, "manager"));
		if (m != NULL && strcmp(m, manager) == 0)
			return json_string_value(json_object_get(e, "operation"));
	}
	return NULL;
}

SC_TEST(server_side_apply_with_conflict_and_force)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *cm = configmap("ssa", "k", "v1");
	json_object_set_new(json_object_get(cm, "metadata"), "namespace", json_string(ns));
	struct sc_kube_write_options a = {.field_manager = "it-manager-a"};
	cleanup_json json_t *out = NULL;
	MUST(sc_kube_patch(client, &sc_kube_configmaps, ns, "ssa", SC_KUBE_PATCH_APPLY, cm, &a,
			   &out, &err),
	     &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(out, "data.k"), "v1");
	SC_ASSERT_STR_EQ(manager_of(out, "it-manager-a"), "Apply");

	/* another manager setting the same field: conflict without force */
	cleanup_json json_t *cm2 = configmap("ssa", "k", "v2");
	struct sc_kube_write_options b = {.field_manager = "it-manager-b"};
	json_t *none = NULL;
	SC_ASSERT_INT_EQ(sc_kube_patch(client, &sc_kube_configmaps, ns, "ssa", SC_KUBE_PATCH_APPLY,
				       cm2, &b, &none, &err),
			 -1);
	SC_ASSERT(sc_error_is_conflict(err));
	SC_ASSERT_STR_CONTAINS(err->message, "it-manager-a");
	sc_error_release(&err);

	b.force = true;
	cleanup_json json_t *forced = NULL;
	MUST(sc_kube_patch(client, &sc_kube_configmaps, ns, "ssa", SC_KUBE_PATCH_APPLY, cm2, &b,
			   &forced, &err),
	     &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(forced, "data.k"), "v2");
	SC_ASSERT_STR_EQ(manager_of(forced, "it-manager-b"), "Apply");
}

SC_TEST(delete_with_uid_precondition)
{
	cleanup_json json_t *cm = create_cm("precond", "a", "1");
	cleanup_error sc_error_t err = NULL;
	struct sc_kube_delete_options wrong = {.precondition_uid =
						   "00000000-0000-4000-8000-000000000000"};
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(
	    sc_kube_delete(client, &sc_kube_configmaps, ns, "precond", &wrong, &out, &err), -1);
	SC_ASSERT(sc_error_is_conflict(err));
	SC_ASSERT_STR_CONTAINS(err->message, "DELETE /api/v1/namespaces/");
	SC_ASSERT_STR_CONTAINS(err->message, "00000000-0000-4000-8000-000000000000");
	sc_error_release(&err);
	/* still there */
	cleanup_json json_t *still = NULL;
	MUST(sc_kube_get(client, &sc_kube_configmaps, ns, "precond", &still, &err), &err);

	struct sc_kube_delete_options right = {
	    .precondition_uid = sc_json_uid(cm),
	    .precondition_resource_version = sc_json_resource_version(cm),
	    .propagation_policy = "Foreground",
	    .has_grace_period = true,
	    .grace_period_seconds = 0,
	};
	cleanup_json json_t *deleted = NULL;
	MUST(sc_kube_delete(client, &sc_kube_configmaps, ns, "precond", &right, &deleted, &err),
	     &err);
	/* Foreground: the object stays, marked, until the garbage collector
	 * has removed its dependents; that the server says so shows the
	 * propagation policy arrived. */
	SC_ASSERT(sc_json_path(deleted, "metadata.deletionTimestamp") != NULL);
	json_t *fin = sc_json_path(deleted, "metadata.finalizers");
	SC_ASSERT_INT_EQ(json_array_size(fin), 1);
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(fin, 0)), "foregroundDeletion");
}

SC_TEST(list_with_label_selector_and_paging)
{
	cleanup_error sc_error_t err = NULL;
	for (int i = 0; i < 7; i++) {
		char name[32];
		snprintf(name, sizeof(name), "page-%d", i);
		cleanup_json json_t *cm = configmap(name, "i", name);
		json_object_set_new(json_object_get(cm, "metadata"), "labels",
				    json_pack("{s:s}", "it-page", i < 5 ? "yes" : "no"));
		cleanup_json json_t *out = NULL;
		MUST(sc_kube_create(client, &sc_kube_configmaps, ns, cm, NULL, &out, &err), &err);
	}
	int pages = 0, items = 0;
	cleanup_free char *cont = NULL;
	do {
		struct sc_kube_list_options o = {
		    .label_selector = "it-page=yes", .limit = 2, .continue_token = cont};
		cleanup_json json_t *list = NULL;
		MUST(sc_kube_list(client, &sc_kube_configmaps, ns, &o, &list, &err), &err);
		json_t *arr = json_object_get(list, "items");
		SC_ASSERT(json_array_size(arr) <= 2);
		size_t i;
		json_t *it;
		json_array_foreach (arr, i, it) {
			SC_ASSERT_STR_EQ(sc_json_path_str(it, "metadata.labels.it-page"), "yes");
			items++;
		}
		pages++;
		const char *next = sc_json_path_str(list, "metadata.continue");
		free(cont);
		cont = next && *next ? sc_xstrdup(next) : NULL;
	} while (cont != NULL && pages < 10);
	SC_ASSERT_INT_EQ(items, 5);
	SC_ASSERT_INT_EQ(pages, 3);

	struct sc_kube_list_options no = {.label_selector = "it-page=no"};
	cleanup_json json_t *nolist = NULL;
	MUST(sc_kube_list(client, &sc_kube_configmaps, ns, &no, &nolist, &err), &err);
	SC_ASSERT_INT_EQ(json_array_size(json_object_get(nolist, "items")), 2);
	struct sc_kube_list_options field = {.field_selector = "metadata.name=page-3"};
	cleanup_json json_t *byname = NULL;
	MUST(sc_kube_list(client, &sc_kube_configmaps, ns, &field, &byname, &err), &err);
	SC_ASSERT_INT_EQ(json_array_size(json_object_get(byname, "items")), 1);
}

/* Watch callbacks: record events; end the request (with a marker error)
 * once the wanted number has arrived. */
struct watch_log {
	int n, want;
	char lines[32][96];
};

static int record_event(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	struct watch_log *l = userdata;
	if (ev->type == SC_WATCH_BOOKMARK)
		return 0;
	if (l->n < 32)
		snprintf(l->lines[l->n], sizeof(l->lines[0]), "%s %s",
			 sc_watch_event_type_name(ev->type), sc_json_name(ev->object));
	l->n++;
	if (l->n >= l->want)
		return sc_error_make(err, ECANCELED, "test: got enough events");
	return 0;
}

static json_t *label_watch_cm(const char *name, const char *value)
{
	json_t *cm = configmap(name, "v", value);
	json_object_set_new(json_object_get(cm, "metadata"), "labels",
			    json_pack("{s:s}", "it-watch", "yes"));
	return cm;
}

SC_TEST(watch_resumes_from_resource_version)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *w1 = label_watch_cm("watch-1", "a");
	cleanup_json json_t *c1 = NULL;
	MUST(sc_kube_create(client, &sc_kube_configmaps, ns, w1, NULL, &c1, &err), &err);
	/* the collection's resourceVersion after watch-1 exists */
	struct sc_kube_list_options lo = {.label_selector = "it-watch=yes"};
	cleanup_json json_t *list = NULL;
	MUST(sc_kube_list(client, &sc_kube_configmaps, ns, &lo, &list, &err), &err);
	const char *start_rv = sc_json_resource_version(list);
	SC_ASSERT(start_rv != NULL);

	/* two changes after that point */
	cleanup_json json_t *w2 = label_watch_cm("watch-2", "b");
	cleanup_json json_t *c2 = NULL;
	MUST(sc_kube_create(client, &sc_kube_configmaps, ns, w2, NULL, &c2, &err), &err);
	cleanup_json json_t *patch = json_pack("{s:{s:s}}", "data", "v", "a2");
	cleanup_json json_t *p1 = NULL;
	MUST(sc_kube_patch(client, &sc_kube_configmaps, ns, "watch-1", SC_KUBE_PATCH_MERGE, patch,
			   NULL, &p1, &err),
	     &err);

	cleanup_kube_client struct sc_kube_client *wc = NULL;
	MUST(sc_kube_client_new(cfg, NULL, &wc, &err), &err);
	struct sc_watch_options wo = {.namespace = ns,
				      .label_selector = "it-watch=yes",
				      .resource_version = start_rv,
				      .timeout_seconds = 30};
	struct sc_watch *w = NULL;
	MUST(sc_watch_new(wc, &sc_kube_configmaps, &wo, &w, &err), &err);
	struct watch_log log = {.want = 2};
	SC_ASSERT_INT_EQ(sc_watch_run(w, record_event, &log, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "test: got enough events");
	sc_error_release(&err);
	/* only what happened after start_rv: not watch-1's creation */
	SC_ASSERT_INT_EQ(log.n, 2);
	SC_ASSERT_STR_EQ(log.lines[0], "ADDED watch-2");
	SC_ASSERT_STR_EQ(log.lines[1], "MODIFIED watch-1");
	/* The resume point is the last event the handler accepted: the
	 * second one was refused (the marker error), so it is not past it. */
	SC_ASSERT_STR_EQ(sc_watch_resource_version(w), sc_json_resource_version(c2));

	/* A new request resumes there: the refused event comes again, then
	 * what happened since, and nothing from before. */
	cleanup_json json_t *d = NULL;
	MUST(sc_kube_delete(client, &sc_kube_configmaps, ns, "watch-2", NULL, &d, &err), &err);
	struct watch_log log2 = {.want = 2};
	SC_ASSERT_INT_EQ(sc_watch_run(w, record_event, &log2, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "test: got enough events");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(log2.n, 2);
	SC_ASSERT_STR_EQ(log2.lines[0], "MODIFIED watch-1");
	SC_ASSERT_STR_EQ(log2.lines[1], "DELETED watch-2");
	sc_watch_free(w);
}

SC_TEST(very_old_resource_version_is_410_then_relist_works)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_kube_client struct sc_kube_client *wc = NULL;
	MUST(sc_kube_client_new(cfg, NULL, &wc, &err), &err);
	struct sc_watch_options wo = {
	    .namespace = ns, .resource_version = "1", .timeout_seconds = 30};
	struct sc_watch *w = NULL;
	MUST(sc_watch_new(wc, &sc_kube_configmaps, &wo, &w, &err), &err);
	/* One event instead of the 410 ends the run at once. */
	struct watch_log log = {.want = 1};
	SC_ASSERT_INT_EQ(sc_watch_run(w, record_event, &log, &err), -1);
	if (sc_error_is_gone(err)) {
		SC_ASSERT_INT_EQ(err->code, ESTALE);
		SC_ASSERT_STR_CONTAINS(err->message, "410 Gone");
	} else {
		/* A young cluster (minutes old: a fresh machine) still serves
		 * resourceVersion 1 from its watch cache, even after etcd
		 * compacted past it. Then the watch must simply work; the 410
		 * wire format is covered by test/unit/test-watch.c. */
		SC_ASSERT_STR_CONTAINS(err->message, "test: got enough events");
		SC_ASSERT_INT_EQ(log.n, 1);
		printf("# resourceVersion 1 is still served here (a young cluster): no 410 seen\n");
	}
	sc_error_release(&err);

	/* what an informer does next: list, then watch from the list's RV */
	cleanup_json json_t *list = NULL;
	MUST(sc_kube_list(client, &sc_kube_configmaps, ns, NULL, &list, &err), &err);
	sc_watch_set_resource_version(w, sc_json_resource_version(list));
	cleanup_json json_t *cm = create_cm("after-relist", "a", "1");
	SC_ASSERT_STR_EQ(sc_json_name(cm), "after-relist");
	struct watch_log log2 = {.want = 1};
	SC_ASSERT_INT_EQ(sc_watch_run(w, record_event, &log2, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "test: got enough events");
	SC_ASSERT_STR_EQ(log2.lines[0], "ADDED after-relist");
	sc_watch_free(w);
}

struct informer_log {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char text[2048];
};

static void ilog(struct informer_log *l, const char *what, const json_t *o)
{
	pthread_mutex_lock(&l->lock);
	size_t n = strlen(l->text);
	snprintf(l->text + n, sizeof(l->text) - n, "%s:%s:%s ", what, sc_json_name(o),
		 sc_json_path_str(o, "data.v") ? sc_json_path_str(o, "data.v") : "-");
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void i_add(const json_t *o, void *ud)
{
	ilog(ud, "add", o);
}

static void i_update(const json_t *old, const json_t *new, void *ud)
{
	/* only real changes: the resourceVersion moved */
	if (strcmp(sc_json_resource_version(old), sc_json_resource_version(new)) == 0)
		ilog(ud, "BOGUS-update", new);
	ilog(ud, "update", new);
}

static void i_delete(const json_t *o, void *ud)
{
	ilog(ud, "delete", o);
}

/* Wait until the log contains `needle`; false after 30 s. */
static bool wait_log(struct informer_log *l, const char *needle)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 30;
	pthread_mutex_lock(&l->lock);
	while (strstr(l->text, needle) == NULL) {
		if (pthread_cond_timedwait(&l->cond, &l->lock, &deadline) == ETIMEDOUT)
			break;
	}
	bool found = strstr(l->text, needle) != NULL;
	pthread_mutex_unlock(&l->lock);
	return found;
}

SC_TEST(informer_sees_add_update_delete)
{
	cleanup_error sc_error_t err = NULL;
	/* one object before the informer starts: it arrives through the list */
	cleanup_json json_t *pre = label_watch_cm("inf-pre", "p");
	json_object_set_new(json_object_get(pre, "metadata"), "labels",
			    json_pack("{s:s}", "it-informer", "yes"));
	cleanup_json json_t *pre_out = NULL;
	MUST(sc_kube_create(client, &sc_kube_configmaps, ns, pre, NULL, &pre_out, &err), &err);

	struct informer_log l = {.lock = PTHREAD_MUTEX_INITIALIZER,
				 .cond = PTHREAD_COND_INITIALIZER};
	struct sc_informer_handlers h = {i_add, i_update, i_delete, &l};
	struct sc_informer_options o = {.resource = &sc_kube_configmaps,
					.namespace = ns,
					.label_selector = "it-informer=yes",
					.page_size = 1,
					.watch_timeout_seconds = 30};
	struct sc_informer *inf = NULL;
	MUST(sc_informer_new(cfg, &o, &h, &inf, &err), &err);
	MUST(sc_informer_start(inf, &err), &err);
	SC_ASSERT(sc_informer_wait_for_sync(inf, 30000));
	SC_ASSERT(sc_informer_has_synced(inf));
	SC_ASSERT(wait_log(&l, "add:inf-pre:p "));
	char key[128];
	snprintf(key, sizeof(key), "%s/inf-pre", ns);
	cleanup_json json_t *cached = sc_informer_get(inf, key);
	SC_ASSERT(cached != NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(cached, "kind"), "ConfigMap");

	cleanup_json json_t *cm = label_watch_cm("inf-x", "1");
	json_object_set_new(json_object_get(cm, "metadata"), "labels",
			    json_pack("{s:s}", "it-informer", "yes"));
	cleanup_json json_t *c = NULL;
	MUST(sc_kube_create(client, &sc_kube_configmaps, ns, cm, NULL, &c, &err), &err);
	SC_ASSERT(wait_log(&l, "add:inf-x:1 "));
	cleanup_json json_t *patch = json_pack("{s:{s:s}}", "data", "v", "2");
	cleanup_json json_t *p = NULL;
	MUST(sc_kube_patch(client, &sc_kube_configmaps, ns, "inf-x", SC_KUBE_PATCH_MERGE, patch,
			   NULL, &p, &err),
	     &err);
	SC_ASSERT(wait_log(&l, "update:inf-x:2 "));
	cleanup_json json_t *d = NULL;
	MUST(sc_kube_delete(client, &sc_kube_configmaps, ns, "inf-x", NULL, &d, &err), &err);
	SC_ASSERT(wait_log(&l, "delete:inf-x:2 "));
	snprintf(key, sizeof(key), "%s/inf-x", ns);
	SC_ASSERT(sc_informer_get(inf, key) == NULL);
	cleanup_json json_t *all = sc_informer_list(inf);
	SC_ASSERT_INT_EQ(json_array_size(all), 1);
	SC_ASSERT_INT_EQ(sc_informer_lists(inf), 1);
	pthread_mutex_lock(&l.lock);
	SC_ASSERT(strstr(l.text, "BOGUS") == NULL);
	pthread_mutex_unlock(&l.lock);
	sc_informer_stop(inf);
	sc_informer_free(inf);
}

SC_TEST(status_subresource_and_other_groups)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *st = NULL;
	MUST(sc_kube_get_subresource(client, &sc_kube_namespaces, NULL, ns, "status", &st, &err),
	     &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(st, "status.phase"), "Active");
	cleanup_json json_t *put = NULL;
	MUST(sc_kube_update_status(client, &sc_kube_namespaces, NULL, st, &put, &err), &err);
	SC_ASSERT_STR_EQ(sc_json_name(put), ns);

	/* coordination.k8s.io: the /apis/<group>/<version> path */
	cleanup_json json_t *lease =
	    json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:i}}", "apiVersion", "coordination.k8s.io/v1",
		      "kind", "Lease", "metadata", "name", "it-lease", "spec", "holderIdentity",
		      "it", "leaseDurationSeconds", 15);
	cleanup_json json_t *created = NULL;
	MUST(sc_kube_create(client, &sc_kube_leases, ns, lease, NULL, &created, &err), &err);
	SC_ASSERT_STR_EQ(sc_json_path_str(created, "spec.holderIdentity"), "it");
	cleanup_json json_t *del = NULL;
	MUST(sc_kube_delete(client, &sc_kube_leases, ns, "it-lease", NULL, &del, &err), &err);
}

SC_TEST(unreachable_server_fails_clearly_within_the_timeout)
{
	/* A closed port answers at once; a non-routable address (TEST-NET-1)
	 * has to hit the connect timeout. Either way: one line naming the
	 * server, well within connect timeout + a margin. */
	const char *servers[] = {"https://127.0.0.1:1", "https://192.0.2.1:6443"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(servers); i++) {
		struct sc_kube_config *c2 = sc_kube_config_dup(cfg);
		free(c2->server);
		c2->server = sc_xstrdup(servers[i]);
		struct sc_kube_client_options o = {.connect_timeout_ms = 2000,
						   .request_timeout_ms = 4000};
		struct sc_kube_client *uc = NULL;
		cleanup_error sc_error_t err = NULL;
		MUST(sc_kube_client_new(c2, &o, &uc, &err), &err);
		long long t0 = sc_now_ms();
		json_t *out = NULL;
		int r = sc_kube_get(uc, &sc_kube_namespaces, NULL, "default", &out, &err);
		long long took = sc_now_ms() - t0;
		sc_kube_client_free(uc);
		sc_kube_config_free(c2);
		SC_ASSERT_INT_EQ(r, -1);
		SC_ASSERT(took < 4000 + 2000);
		SC_ASSERT_STR_CONTAINS(err->message, servers[i]);
		SC_ASSERT(strchr(err->message, '\n') == NULL);
		SC_ASSERT_INT_EQ(err->http_status, 0);
		printf("# %s (after %lld ms)\n", err->message, took);
	}
}

int main(void)
{
	sc_error_t err = NULL;
	/* Without a cluster to talk to, a plain `meson test` skips this
	 * program; test/integration/run.sh always sets KUBECONFIG. */
	const char *kc = getenv("KUBECONFIG");
	if (kc == NULL || *kc == '\0') {
		printf("1..0 # SKIP KUBECONFIG is not set (run test/integration/run.sh)\n");
		return 0;
	}
	if (sc_kube_config_load(NULL, &cfg, &err) < 0) {
		printf("Bail out! loading the kubeconfig ($KUBECONFIG): %s\n",
		       sc_error_message(err));
		return 1;
	}
	struct sc_kube_client_options o = {.component = "sc-integration-test"};
	if (sc_kube_client_new(cfg, &o, &client, &err) < 0) {
		printf("Bail out! %s\n", sc_error_message(err));
		return 1;
	}
	snprintf(ns, sizeof(ns), "sc-it-%ld-%d", (long)time(NULL) % 100000000,
		 (int)getpid() % 100000);
	json_t *nsobj = json_pack("{s:s,s:s,s:{s:s,s:{s:s}}}", "apiVersion", "v1", "kind",
				  "Namespace", "metadata", "name", ns, "labels",
				  "stoppablecontainer.xtlsoft.top/test", "client-integration");
	json_t *out = NULL;
	if (sc_kube_create(client, &sc_kube_namespaces, NULL, nsobj, NULL, &out, &err) < 0) {
		printf("Bail out! creating namespace %s on %s: %s\n", ns, cfg->server,
		       sc_error_message(err));
		return 1;
	}
	json_decref(out);
	json_decref(nsobj);
	fprintf(stderr, "integration: server %s, namespace %s\n", cfg->server, ns);
	int rc = sc_test_run();
	struct sc_kube_delete_options d = {.propagation_policy = "Background"};
	if (sc_kube_delete(client, &sc_kube_namespaces, NULL, ns, &d, NULL, &err) < 0) {
		printf("# deleting namespace %s: %s\n", ns, sc_error_message(err));
		sc_error_release(&err);
	}
	sc_kube_client_free(client);
	sc_kube_config_free(cfg);
	return rc;
}
