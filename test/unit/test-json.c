#include <errno.h>
#include <string.h>

#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "sc-test.h"

static json_t *yaml(const char *s, unsigned flags)
{
	json_t *out = NULL;
	cleanup_error sc_error_t err = NULL;
	if (sc_json_from_yaml(s, strlen(s), flags, &out, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "yaml failed: %s", sc_error_message(err));
	return out;
}

static void yaml_error(const char *s, int code, const char *needle)
{
	json_t *out = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_json_from_yaml(s, strlen(s), 0, &out, &err), -1);
	SC_ASSERT(out == NULL);
	SC_ASSERT_INT_EQ(err->code, code);
	SC_ASSERT_STR_CONTAINS(err->message, needle);
}

SC_TEST(yaml_types_core_schema)
{
	cleanup_json json_t *j =
	    yaml("a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: hello\ng: '3'\n"
		 "h: 0x1f\ni: 1e3\nj: .inf\nk: \"true\"\nl: 99999999999999999999\n",
		 0);
	SC_ASSERT(json_is_object(j));
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(j, "a")), 1);
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(j, "b")), -2);
	SC_ASSERT(json_real_value(json_object_get(j, "c")) == 1.5);
	SC_ASSERT(json_is_true(json_object_get(j, "d")));
	SC_ASSERT(json_is_null(json_object_get(j, "e")));
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(j, "f")), "hello");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(j, "g")), "3");
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(j, "h")), 31);
	SC_ASSERT(json_real_value(json_object_get(j, "i")) == 1000.0);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(j, "j")), ".inf");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(j, "k")), "true");
	/* too large for 64 bits: a float, not a wrapped integer */
	SC_ASSERT(json_is_real(json_object_get(j, "l")));
}

SC_TEST(yaml_scalars_as_strings)
{
	cleanup_json json_t *j =
	    yaml("a: 0123\nb: true\nc:\nd: [1, x]\n", SC_YAML_SCALARS_AS_STRINGS);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(j, "a")), "0123");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(j, "b")), "true");
	SC_ASSERT(json_is_null(json_object_get(j, "c")));
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(j, "d"), 0)), "1");
}

SC_TEST(yaml_nested_and_flow)
{
	cleanup_json json_t *j = yaml("list:\n- name: a\n  v: {x: [1, 2, {y: z}]}\n- b\n", 0);
	json_t *list = json_object_get(j, "list");
	SC_ASSERT_INT_EQ(json_array_size(list), 2);
	SC_ASSERT_STR_EQ(sc_json_path_str(json_array_get(list, 0), "name"), "a");
	json_t *x = sc_json_path(json_array_get(list, 0), "v.x");
	SC_ASSERT_INT_EQ(json_array_size(x), 3);
	SC_ASSERT_STR_EQ(sc_json_path_str(json_array_get(x, 2), "y"), "z");
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(list, 1)), "b");
}

SC_TEST(yaml_empty_is_null)
{
	cleanup_json json_t *j = yaml("", 0);
	SC_ASSERT(json_is_null(j));
	cleanup_json json_t *k = yaml("# only a comment\n", 0);
	SC_ASSERT(json_is_null(k));
}

SC_TEST(yaml_syntax_error_has_position)
{
	yaml_error("a: b\n c: d\n", EINVAL, "line 2 column");
	yaml_error("a: [1, 2\n", EINVAL, "line ");
}

SC_TEST(yaml_refuses_duplicates_aliases_and_documents)
{
	yaml_error("a: 1\na: 2\n", EINVAL, "duplicate key \"a\"");
	yaml_error("a: &x 1\nb: *x\n", EINVAL, "aliases are not supported");
	yaml_error("a: 1\n---\nb: 2\n", EINVAL, "more than one YAML document");
	yaml_error("? [a]\n: 1\n", EINVAL, "complex mapping keys");
}

SC_TEST(yaml_depth_cap)
{
	char deep[400];
	size_t n = 0;
	for (int i = 0; i < SC_YAML_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < SC_YAML_MAX_DEPTH + 1; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	yaml_error(deep, E2BIG, "nesting deeper than 64");
	/* exactly at the cap is fine */
	deep[SC_YAML_MAX_DEPTH] = '\0';
	memset(deep + SC_YAML_MAX_DEPTH, ']', SC_YAML_MAX_DEPTH);
	deep[2 * SC_YAML_MAX_DEPTH] = '\0';
	cleanup_json json_t *ok = yaml(deep, 0);
	SC_ASSERT(json_is_array(ok));
}

SC_TEST(yaml_nul_in_quoted_key_and_value)
{
	const char doc[] = "\"a\\0b\": \"x\\0y\"\n";
	cleanup_json json_t *j = yaml(doc, 0);
	SC_ASSERT_INT_EQ(json_object_size(j), 1);
	const char *key;
	json_t *v;
	json_object_foreach (j, key, v) {
		SC_ASSERT_INT_EQ(json_string_length(v), 3);
		SC_ASSERT(memcmp(json_string_value(v), "x\0y", 3) == 0);
	}
}

SC_TEST(json_parse_and_paths)
{
	cleanup_json json_t *j = NULL;
	cleanup_error sc_error_t err = NULL;
	const char *s =
	    "{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"resourceVersion\":\"7\"}}";
	SC_ASSERT_INT_EQ(sc_json_parse(s, strlen(s), &j, &err), 0);
	SC_ASSERT_STR_EQ(sc_json_name(j), "x");
	SC_ASSERT_STR_EQ(sc_json_namespace(j), "ns");
	SC_ASSERT_STR_EQ(sc_json_resource_version(j), "7");
	SC_ASSERT(sc_json_uid(j) == NULL);
	SC_ASSERT(sc_json_path(j, "metadata.name.deeper") == NULL);
	cleanup_free char *dump = sc_json_dumps(sc_json_path(j, "metadata.name"));
	SC_ASSERT_STR_EQ(dump, "\"x\"");
	json_t *bad = NULL;
	SC_ASSERT_INT_EQ(sc_json_parse("{\"a\":", 5, &bad, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EINVAL);
	SC_ASSERT_STR_CONTAINS(err->message, "invalid JSON: line 1");
}

static json_t *parse(const char *s)
{
	json_t *j = NULL;
	cleanup_error sc_error_t err = NULL;
	if (sc_json_parse(s, strlen(s), &j, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "parse: %s", sc_error_message(err));
	return j;
}

static void assert_json(const json_t *j, const char *want)
{
	cleanup_json json_t *w = parse(want);
	cleanup_free char *have = sc_json_dumps(j);
	if (!json_equal((json_t *)j, w))
		sc_test_fail(__FILE__, __LINE__, "have %s, want %s", have, want);
}

SC_TEST(pack_and_unpack_a_subtree)
{
	const char *orig =
	    "{\"metadata\":{\"name\":\"x\",\"managedFields\":[{\"manager\":\"m\"}]},"
	    "\"spec\":{\"running\":true,\"template\":{\"container\":{\"env\":"
	    "[{\"name\":\"A\",\"value\":\"\u00e9\"}]}}},\"status\":{\"phase\":\"Stopped\"}}";
	cleanup_json json_t *j = parse(orig);
	sc_obj_drop_managed_fields(j);
	SC_ASSERT(sc_json_path(j, "metadata.managedFields") == NULL);
	SC_ASSERT_STR_EQ(sc_json_name(j), "x");
	sc_obj_pack(j, "spec.template");
	/* the template is text now, and nothing else moved */
	SC_ASSERT(sc_json_path(j, "spec.template") == NULL);
	SC_ASSERT_STR_EQ(sc_json_path_str(j, "spec.template@packed"),
			 "{\"container\":{\"env\":[{\"name\":\"A\",\"value\":\"\u00e9\"}]}}");
	SC_ASSERT(json_is_true(sc_json_path(j, "spec.running")));
	cleanup_json json_t *u = sc_obj_unpack(j, "spec.template");
	assert_json(u, "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"running\":true,\"template\":"
		       "{\"container\":{\"env\":[{\"name\":\"A\",\"value\":\"\u00e9\"}]}}},"
		       "\"status\":{\"phase\":\"Stopped\"}}");
	/* the packed object itself is unchanged, so a shared store may hold it */
	SC_ASSERT(json_is_string(sc_json_path(j, "spec.template@packed")));
	SC_ASSERT(sc_json_path(j, "spec.template") == NULL);
	/* and the parts off the path are shared, not copied */
	SC_ASSERT(json_object_get(u, "status") == json_object_get(j, "status"));
	/* nothing packed: the same object back */
	cleanup_json json_t *again = sc_obj_unpack(u, "spec.template");
	SC_ASSERT(again == u);
	/* a missing member: no change */
	cleanup_json json_t *small = parse("{\"spec\":{\"running\":false}}");
	sc_obj_pack(small, "spec.template");
	assert_json(small, "{\"spec\":{\"running\":false}}");
	SC_ASSERT(sc_obj_unpack(NULL, "spec.template") == NULL);
}

SC_TEST(equal_packed_texts_are_one_string_and_one_parse)
{
	const char *a =
	    "{\"spec\":{\"template\":{\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}},\"n\":1}";
	const char *b =
	    "{\"spec\":{\"template\":{\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}},\"n\":2}";
	const char *c =
	    "{\"spec\":{\"template\":{\"env\":[{\"name\":\"A\",\"value\":\"2\"}]}},\"n\":3}";
	cleanup_json json_t *ja = parse(a), *jb = parse(b), *jc = parse(c);
	sc_obj_pack(ja, "spec.template");
	sc_obj_pack(jb, "spec.template");
	sc_obj_pack(jc, "spec.template");
	/* the same text: one string held by both */
	SC_ASSERT(sc_json_path(ja, "spec.template@packed") ==
		  sc_json_path(jb, "spec.template@packed"));
	SC_ASSERT(sc_json_path(ja, "spec.template@packed") !=
		  sc_json_path(jc, "spec.template@packed"));
	json_t *ua = NULL, *ub = NULL;
	sc_obj_unpack_pair(ja, jb, "spec.template", &ua, &ub);
	/* parsed once: the two share the tree */
	SC_ASSERT(sc_json_path(ua, "spec.template") != NULL);
	SC_ASSERT(sc_json_path(ua, "spec.template") == sc_json_path(ub, "spec.template"));
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(ub, "n")), 2);
	json_decref(ua);
	json_decref(ub);
	/* different texts, or one side missing: each its own */
	sc_obj_unpack_pair(ja, jc, "spec.template", &ua, &ub);
	SC_ASSERT_STR_EQ(
	    sc_json_path_str(json_array_get(sc_json_path(ub, "spec.template.env"), 0), "value"),
	    "2");
	SC_ASSERT(sc_json_path(ua, "spec.template") != sc_json_path(ub, "spec.template"));
	json_decref(ua);
	json_decref(ub);
	sc_obj_unpack_pair(NULL, jc, "spec.template", &ua, &ub);
	SC_ASSERT(ua == NULL);
	SC_ASSERT(json_is_object(sc_json_path(ub, "spec.template")));
	json_decref(ub);
}

SC_TEST(shared_texts_no_object_holds_are_dropped)
{
	sc_obj_release();
	size_t before = sc_obj_packed_count();
	json_t *a = parse("{\"spec\":{\"template\":{\"only\":\"this test\"}}}");
	json_t *b = json_deep_copy(a);
	sc_obj_pack(a, "spec.template");
	sc_obj_pack(b, "spec.template");
	SC_ASSERT_INT_EQ(sc_obj_packed_count(), before + 1);
	json_decref(a);
	sc_obj_release();
	/* b still holds it */
	SC_ASSERT_INT_EQ(sc_obj_packed_count(), before + 1);
	json_decref(b);
	sc_obj_release();
	SC_ASSERT_INT_EQ(sc_obj_packed_count(), before);
}

SC_TEST(keep_only_some_members)
{
	cleanup_json json_t *pod = parse(
	    "{\"metadata\":{\"name\":\"p\",\"managedFields\":[]},\"spec\":{\"nodeName\":\"n1\","
	    "\"containers\":[{\"name\":\"c\"}],\"volumes\":[]},\"status\":{\"phase\":\"Running\"}"
	    "}");
	sc_informer_pod_status_only(pod);
	assert_json(pod, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n1\"},"
			 "\"status\":{\"phase\":\"Running\"}}");
	cleanup_json json_t *sc =
	    parse("{\"metadata\":{\"name\":\"s\",\"managedFields\":[1]},"
		  "\"spec\":{\"template\":{\"container\":{\"image\":\"i\"}}}}");
	sc_informer_pack_template(sc);
	assert_json(sc, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"template@packed\":"
			"\"{\\\"container\\\":{\\\"image\\\":\\\"i\\\"}}\"}}");
	/* a path that is not an object: no change */
	cleanup_json json_t *odd = parse("{\"spec\":7}");
	static const char *const keep[] = {"x", NULL};
	sc_obj_keep_only(odd, "spec", keep);
	assert_json(odd, "{\"spec\":7}");
}

int main(void)
{
	return sc_test_run();
}
