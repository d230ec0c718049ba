/* The informer's store and its diffing, and event dispatch, as plain data;
 * the thread's start/stop against no server. The informer against a real
 * API server is in test/integration/. */
#include <errno.h>
#include <string.h>

#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "sc-test.h"

static json_t *obj(const char *ns, const char *name, const char *rv)
{
	json_t *meta = json_pack("{s:s}", "name", name);
	if (ns != NULL)
		json_object_set_new(meta, "namespace", json_string(ns));
	if (rv != NULL)
		json_object_set_new(meta, "resourceVersion", json_string(rv));
	return json_pack("{s:s,s:o}", "kind", "ConfigMap", "metadata", meta);
}

SC_TEST(object_keys)
{
	cleanup_json json_t *a = obj("ns", "x", "1");
	cleanup_json json_t *b = obj(NULL, "node-1", "1");
	cleanup_json json_t *c = json_pack("{s:{}}", "metadata");
	cleanup_free char *ka = sc_kube_object_key(a);
	cleanup_free char *kb = sc_kube_object_key(b);
	SC_ASSERT_STR_EQ(ka, "ns/x");
	SC_ASSERT_STR_EQ(kb, "node-1");
	SC_ASSERT(sc_kube_object_key(c) == NULL);
}

SC_TEST(upsert_delete_get_list)
{
	struct sc_store *s = sc_store_new();
	cleanup_json json_t *v1 = obj("ns", "x", "1");
	cleanup_json json_t *v1b = obj("ns", "x", "1");
	cleanup_json json_t *v2 = obj("ns", "x", "2");
	json_t *old = NULL;
	SC_ASSERT_INT_EQ(sc_store_upsert(s, v1, &old), SC_STORE_ADDED);
	SC_ASSERT(old == NULL);
	SC_ASSERT_INT_EQ(sc_store_upsert(s, v1b, &old), SC_STORE_UNCHANGED);
	SC_ASSERT(old == NULL);
	SC_ASSERT_INT_EQ(sc_store_upsert(s, v2, &old), SC_STORE_UPDATED);
	SC_ASSERT(old == v1);
	json_decref(old);
	cleanup_json json_t *got = sc_store_get(s, "ns/x");
	SC_ASSERT(got == v2);
	/* a new reference: store + v2 + got */
	SC_ASSERT_INT_EQ(got->refcount, 3);
	SC_ASSERT(sc_store_get(s, "ns/none") == NULL);
	cleanup_json json_t *list = sc_store_list(s);
	SC_ASSERT_INT_EQ(json_array_size(list), 1);
	SC_ASSERT_INT_EQ(sc_store_len(s), 1);
	SC_ASSERT_INT_EQ(sc_store_delete(s, v1, &old), SC_STORE_DELETED);
	SC_ASSERT(old == v2);
	json_decref(old);
	SC_ASSERT_INT_EQ(sc_store_delete(s, v1, &old), SC_STORE_UNCHANGED);
	SC_ASSERT_INT_EQ(sc_store_len(s), 0);
	/* the list taken earlier still holds its object */
	SC_ASSERT_STR_EQ(sc_json_resource_version(json_array_get(list, 0)), "2");
	cleanup_json json_t *noname = json_pack("{s:{}}", "metadata");
	SC_ASSERT_INT_EQ(sc_store_upsert(s, noname, NULL), SC_STORE_UNCHANGED);
	SC_ASSERT_INT_EQ(sc_store_len(s), 0);
	sc_store_free(s);
}

SC_TEST(replace_reports_adds_updates_deletes)
{
	struct sc_store *s = sc_store_new();
	cleanup_json json_t *a = obj("n", "a", "1");
	cleanup_json json_t *b = obj("n", "b", "1");
	cleanup_json json_t *c = obj("n", "c", "1");
	sc_store_upsert(s, a, NULL);
	sc_store_upsert(s, b, NULL);
	sc_store_upsert(s, c, NULL);
	cleanup_json json_t *items = json_pack("[o,o,o,o]", obj("n", "a", "1"), obj("n", "d", "5"),
					       obj("n", "b", "7"), json_pack("{s:{}}", "metadata"));
	struct sc_store_delta *d = NULL;
	size_t n = sc_store_replace(s, items, &d);
	SC_ASSERT_INT_EQ(n, 3);
	SC_ASSERT_INT_EQ(d[0].change, SC_STORE_ADDED);
	SC_ASSERT_STR_EQ(sc_json_name(d[0].new_obj), "d");
	SC_ASSERT_INT_EQ(d[1].change, SC_STORE_UPDATED);
	SC_ASSERT(d[1].old_obj == b);
	SC_ASSERT_STR_EQ(sc_json_resource_version(d[1].new_obj), "7");
	SC_ASSERT_INT_EQ(d[2].change, SC_STORE_DELETED);
	SC_ASSERT(d[2].old_obj == c);
	SC_ASSERT(d[2].new_obj == NULL);
	sc_store_deltas_free(d, n);
	SC_ASSERT_INT_EQ(sc_store_len(s), 3);
	json_t *gb = sc_store_get(s, "n/b");
	SC_ASSERT_STR_EQ(sc_json_resource_version(gb), "7");
	json_decref(gb);
	SC_ASSERT(sc_store_get(s, "n/c") == NULL);
	/* replacing with the same list changes nothing */
	n = sc_store_replace(s, items, &d);
	SC_ASSERT_INT_EQ(n, 0);
	sc_store_deltas_free(d, n);
	/* and with an empty list deletes everything */
	cleanup_json json_t *empty = json_array();
	n = sc_store_replace(s, empty, &d);
	SC_ASSERT_INT_EQ(n, 3);
	for (size_t i = 0; i < n; i++)
		SC_ASSERT_INT_EQ(d[i].change, SC_STORE_DELETED);
	sc_store_deltas_free(d, n);
	SC_ASSERT_INT_EQ(sc_store_len(s), 0);
	sc_store_free(s);
}

struct calls {
	char log[512];
};

static void note(struct calls *c, const char *what, const json_t *o)
{
	size_t l = strlen(c->log);
	snprintf(c->log + l, sizeof(c->log) - l, "%s:%s@%s ", what, sc_json_name(o),
		 sc_json_resource_version(o));
}

static void on_add(const json_t *o, void *ud)
{
	note(ud, "add", o);
}

static void on_update(const json_t *old, const json_t *new, void *ud)
{
	note(ud, "update-from", old);
	note(ud, "to", new);
}

static void on_delete(const json_t *o, void *ud)
{
	note(ud, "delete", o);
}

static void event(struct sc_store *s, const struct sc_informer_handlers *h,
		  enum sc_watch_event_type type, json_t *o)
{
	struct sc_watch_event ev = {.type = type, .object = o};
	sc_informer_apply_event(s, h, &ev);
	json_decref(o);
}

SC_TEST(watch_events_drive_handlers)
{
	struct calls c = {{0}};
	struct sc_informer_handlers h = {on_add, on_update, on_delete, &c};
	struct sc_store *s = sc_store_new();
	event(s, &h, SC_WATCH_ADDED, obj("n", "a", "1"));
	event(s, &h, SC_WATCH_ADDED, obj("n", "a", "1")); /* replayed: nothing */
	event(s, &h, SC_WATCH_MODIFIED, obj("n", "a", "2"));
	event(s, &h, SC_WATCH_MODIFIED, obj("n", "b", "3")); /* unknown: an add */
	event(s, &h, SC_WATCH_BOOKMARK, obj(NULL, "", "9"));
	event(s, &h, SC_WATCH_DELETED, obj("n", "a", "4"));  /* final state */
	event(s, &h, SC_WATCH_DELETED, obj("n", "zz", "5")); /* unknown: nothing */
	SC_ASSERT_STR_EQ(c.log, "add:a@1 update-from:a@1 to:a@2 add:b@3 delete:a@4 ");
	SC_ASSERT_INT_EQ(sc_store_len(s), 1);
	sc_store_free(s);
}

SC_TEST(informer_arguments_and_stop_without_server)
{
	struct sc_kube_config cfg = {.server = "http://127.0.0.1:1", .namespace = "default"};
	struct sc_informer *inf = NULL;
	cleanup_error sc_error_t err = NULL;
	struct sc_informer_options none = {0};
	SC_ASSERT_INT_EQ(sc_informer_new(&cfg, &none, NULL, &inf, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "a resource is required");
	sc_error_release(&err);
	struct sc_informer_options badns = {.resource = &sc_kube_pods, .namespace = "a/b"};
	SC_ASSERT_INT_EQ(sc_informer_new(&cfg, &badns, NULL, &inf, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "invalid namespace");
	sc_error_release(&err);

	/* No server: the list keeps failing with backoff; the informer never
	 * syncs, and stop ends it promptly. */
	struct sc_informer_options o = {
	    .resource = &sc_kube_configmaps,
	    .backoff_initial_ms = 60000,
	    .backoff_max_ms = 60000,
	};
	SC_ASSERT_INT_EQ(sc_informer_new(&cfg, &o, NULL, &inf, &err), 0);
	SC_ASSERT_INT_EQ(sc_informer_start(inf, &err), 0);
	SC_ASSERT_INT_EQ(sc_informer_start(inf, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EALREADY);
	SC_ASSERT(!sc_informer_wait_for_sync(inf, 100));
	const char *why = NULL;
	SC_ASSERT(!sc_informer_healthy(inf, &why));
	SC_ASSERT_STR_EQ(why, "not synced yet");
	long long t0 = sc_now_ms();
	sc_informer_stop(inf);
	SC_ASSERT(sc_now_ms() - t0 < 30000);
	SC_ASSERT(!sc_informer_has_synced(inf));
	SC_ASSERT_INT_EQ(sc_informer_lists(inf), 0);
	cleanup_json json_t *list = sc_informer_list(inf);
	SC_ASSERT_INT_EQ(json_array_size(list), 0);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_informer_start(inf, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "stopped");
	sc_informer_free(inf);
}

int main(void)
{
	return sc_test_run();
}
