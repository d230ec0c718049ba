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

/* ---- the list decoder ---- */

struct collected {
	json_t *items;
	int fail_at; /* 1-based item on which fn fails; 0: never */
};

static int collect(json_t *item, void *ud, sc_error_t *err)
{
	struct collected *c = ud;
	json_array_append(c->items, item);
	if (c->fail_at > 0 && json_array_size(c->items) == (size_t)c->fail_at)
		return sc_error_make(err, ECANCELED, "enough");
	return 0;
}

/* Decodes body fed in chunks of `chunk` bytes (0: all at once, or split
 * once at `split`); returns the rest and collects the items. */
static int decode(const char *body, size_t chunk, size_t split, size_t max, struct collected *c,
		  json_t **rest, sc_error_t *err)
{
	struct sc_list_decoder d;
	sc_list_decoder_init(&d, max, collect, c);
	size_t len = strlen(body);
	int r = 0;
	if (chunk > 0) {
		for (size_t i = 0; i < len && r == 0; i += chunk)
			r = sc_list_decoder_feed(&d, body + i, i + chunk > len ? len - i : chunk,
						 err);
	} else {
		r = sc_list_decoder_feed(&d, body, split, err);
		if (r == 0)
			r = sc_list_decoder_feed(&d, body + split, len - split, err);
	}
	if (r == 0)
		r = sc_list_decoder_finish(&d, rest, err);
	sc_list_decoder_free(&d);
	return r;
}

/* A page with what can confuse a scanner: braces, brackets, quotes and the
 * word items inside strings, escaped quotes and backslashes, nested arrays,
 * metadata both before and after the items. */
static const char LIST_BODY[] =
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\"},"
    "\"note\":\"items\", \"items\" : [ {\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":"
    "\"}{][\\\"items\\\":[\\\\\"}},\n {\"metadata\":{\"name\":\"b\",\"items\":[[1],[2,{}]]}} ,"
    "{\"metadata\":{\"name\":\"c\\u00e9\"}}],\"tail\":{\"continue\":\"tok\"}}";

SC_TEST(list_decoder_hands_items_one_by_one_whatever_the_split)
{
	cleanup_json json_t *want_items = NULL;
	cleanup_error sc_error_t err = NULL;
	{
		cleanup_json json_t *whole = NULL;
		SC_ASSERT_INT_EQ(sc_json_parse(LIST_BODY, strlen(LIST_BODY), &whole, &err), 0);
		want_items = json_incref(json_object_get(whole, "items"));
		SC_ASSERT_INT_EQ(json_array_size(want_items), 3);
	}
	size_t len = strlen(LIST_BODY);
	for (size_t k = 0; k <= len + 1; k++) {
		/* k <= len: one split at k; then byte by byte (k == len + 1) */
		struct collected c = {.items = json_array()};
		cleanup_json json_t *rest = NULL;
		int r = k <= len ? decode(LIST_BODY, 0, k, 1 << 20, &c, &rest, &err)
				 : decode(LIST_BODY, 1, 0, 1 << 20, &c, &rest, &err);
		if (r < 0)
			sc_test_fail(__FILE__, __LINE__, "split %zu: %s", k, sc_error_message(err));
		if (!json_equal(c.items, want_items))
			sc_test_fail(__FILE__, __LINE__, "split %zu: items differ", k);
		SC_ASSERT_STR_EQ(sc_json_resource_version(rest), "42");
		SC_ASSERT_STR_EQ(sc_json_path_str(rest, "tail.continue"), "tok");
		SC_ASSERT_STR_EQ(sc_json_path_str(rest, "note"), "items");
		SC_ASSERT_INT_EQ(json_array_size(json_object_get(rest, "items")), 0);
		json_decref(c.items);
	}
}

SC_TEST(list_decoder_refuses_what_is_not_a_list_of_objects)
{
	static const struct {
		const char *body;
		const char *message;
	} bad[] = {
	    {"{\"items\":[1]}", "list item 1 is not an object"},
	    {"{\"items\":[{\"a\":1},\"x\"]}", "list item 2 is not an object"},
	    {"{\"items\":[{\"a\":}]}", "list item 1"},
	    {"{\"items\":[{\"a\":1}", "ends in the middle"},
	    {"{\"items\":{\"a\":1}}", "\"items\" is not a list"},
	    {"{\"metadata\":{", "ends in the middle"},
	    {"", "the list response"},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		struct collected c = {.items = json_array()};
		cleanup_json json_t *rest = NULL;
		cleanup_error sc_error_t err = NULL;
		SC_ASSERT_INT_EQ(decode(bad[i].body, 0, 0, 1 << 20, &c, &rest, &err), -1);
		SC_ASSERT(rest == NULL);
		SC_ASSERT_STR_CONTAINS(err->message, bad[i].message);
		json_decref(c.items);
	}
}

SC_TEST(list_decoder_caps_an_item_and_stops_on_the_callers_error)
{
	cleanup_error sc_error_t err = NULL;
	struct collected c = {.items = json_array()};
	cleanup_json json_t *rest = NULL;
	/* an item over the cap: EMSGSIZE, whatever the page's total */
	SC_ASSERT_INT_EQ(decode("{\"items\":[{\"a\":\"0123456789012345678901234567890\"}]}", 0, 3,
				32, &c, &rest, &err),
			 -1);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
	SC_ASSERT_INT_EQ(json_array_size(c.items), 0);
	sc_error_release(&err);
	/* many small items under the same cap: the cap is per item */
	SC_ASSERT_INT_EQ(decode("{\"items\":[{\"a\":1},{\"a\":2},{\"a\":3},{\"a\":4},{\"a\":5}]}",
				0, 0, 32, &c, &rest, &err),
			 0);
	SC_ASSERT_INT_EQ(json_array_size(c.items), 5);
	json_decref(rest);
	rest = NULL;
	json_array_clear(c.items);
	c.fail_at = 2;
	SC_ASSERT_INT_EQ(
	    decode("{\"items\":[{\"a\":1},{\"a\":2},{\"a\":3}]}", 0, 0, 1 << 20, &c, &rest, &err),
	    -1);
	SC_ASSERT_INT_EQ(err->code, ECANCELED);
	SC_ASSERT_INT_EQ(json_array_size(c.items), 2);
	json_decref(c.items);
}

SC_TEST(list_decoder_finds_items_under_an_escaped_key)
{
	cleanup_error sc_error_t err = NULL;
	struct collected c = {.items = json_array()};
	cleanup_json json_t *rest = NULL;
	SC_ASSERT_INT_EQ(decode("{\"it\\u0065ms\":[{\"a\":1},{\"a\":2}],\"metadata\":{}}", 0, 5,
				1 << 20, &c, &rest, &err),
			 0);
	SC_ASSERT_INT_EQ(json_array_size(c.items), 2);
	SC_ASSERT_INT_EQ(json_array_size(json_object_get(rest, "items")), 0);
	json_decref(c.items);
}

int main(void)
{
	return sc_test_run();
}
