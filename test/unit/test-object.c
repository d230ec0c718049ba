/* The controller runtime's object helpers (lib/sc-object, lib/sc-event):
 * conditions, the status comparison, and the event de-duplication check. */
#include "lib/sc-event.h"
#include "lib/sc-object.h"
#include "sc-test.h"

static json_t *with_condition(const char *type, const char *status, const char *reason,
			      const char *ltt)
{
	return json_pack("{s:{s:[{s:s, s:s, s:s, s:s, s:s}]}}", "status", "conditions", "type",
			 type, "status", status, "reason", reason, "message", "m",
			 "lastTransitionTime", ltt);
}

SC_TEST(condition_build_keeps_transition_time_while_status_holds)
{
	cleanup_json json_t *obj = with_condition("Ready", "True", "Up", "2020-01-01T00:00:00Z");
	cleanup_json json_t *same =
	    sc_condition_build(obj, "Ready", "True", "Still", NULL, "2030-01-01T00:00:00Z", 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(same, "lastTransitionTime"), "2020-01-01T00:00:00Z");
	SC_ASSERT_STR_EQ(sc_json_path_str(same, "message"), "");
	SC_ASSERT(json_object_get(same, "observedGeneration") == NULL);
	cleanup_json json_t *flipped =
	    sc_condition_build(obj, "Ready", "False", "Down", "gone", "2030-01-01T00:00:00Z", 3);
	SC_ASSERT_STR_EQ(sc_json_path_str(flipped, "lastTransitionTime"), "2030-01-01T00:00:00Z");
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(flipped, "observedGeneration")), 3);
}

SC_TEST(status_differs_compares_fields_and_conditions_by_type)
{
	cleanup_json json_t *obj = with_condition("Ready", "True", "Up", "t");
	json_object_set_new(json_object_get(obj, "status"), "phase", json_string("Running"));
	json_t *cur = json_object_get(obj, "status");
	cleanup_json json_t *same =
	    json_pack("{s:s, s:[O]}", "phase", "Running", "conditions",
		      json_array_get(json_object_get(cur, "conditions"), 0));
	SC_ASSERT(!sc_status_differs(cur, same));
	cleanup_json json_t *phase = json_pack("{s:s}", "phase", "Stopped");
	SC_ASSERT(sc_status_differs(cur, phase));
	cleanup_json json_t *other = json_pack("{s:[{s:s}]}", "conditions", "type", "Other");
	SC_ASSERT(sc_status_differs(cur, other));
	cleanup_json json_t *nothing = json_object();
	SC_ASSERT(!sc_status_differs(cur, nothing));
}

SC_TEST(condition_says_reason)
{
	cleanup_json json_t *obj = with_condition("Ready", "False", "PodRefused", "t");
	SC_ASSERT(sc_condition_says(obj, "Ready", "PodRefused"));
	SC_ASSERT(!sc_condition_says(obj, "Ready", "Other"));
	SC_ASSERT(!sc_condition_says(obj, "ProviderReady", "PodRefused"));
	SC_ASSERT(!sc_condition_says(NULL, "Ready", "PodRefused"));
}

SC_TEST(object_metadata_accessors)
{
	cleanup_json json_t *obj =
	    json_pack("{s:{s:s, s:[s], s:{s:s}}}", "metadata", "deletionTimestamp", "t",
		      "finalizers", "a/b", "annotations", "x.y/z", "v");
	SC_ASSERT(sc_obj_deleting(obj));
	SC_ASSERT(sc_obj_has_finalizer(obj, "a/b"));
	SC_ASSERT(!sc_obj_has_finalizer(obj, "a/c"));
	SC_ASSERT_STR_EQ(sc_obj_annotation(obj, "x.y/z"), "v");
	cleanup_json json_t *plain = json_object();
	SC_ASSERT(!sc_obj_deleting(plain));
	SC_ASSERT(!sc_obj_has_finalizer(plain, "a/b"));
	SC_ASSERT(sc_obj_annotation(plain, "x.y/z") == NULL);
}

int main(void)
{
	return sc_test_run();
}
