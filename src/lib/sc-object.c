#include "lib/sc-object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sc_json_bool_at(json_t *obj, const char *path)
{
	return json_is_true(sc_json_path(obj, path));
}

void sc_json_hash(json_t *v, char out[17])
{
	/* FNV-1a 64 over the canonical (sorted, compact) encoding. Not a
	 * security boundary: it only tells "this pod was built from a different
	 * spec". */
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	unsigned long long h = 0xcbf29ce484222325ULL;
	for (const char *c = s ? s : "null"; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 0x100000001b3ULL;
	}
	free(s);
	snprintf(out, 17, "%016llx", h);
}

bool sc_obj_deleting(json_t *obj)
{
	return sc_json_path_str(obj, "metadata.deletionTimestamp") != NULL;
}

bool sc_obj_has_finalizer(json_t *obj, const char *finalizer)
{
	json_t *list = sc_json_path(obj, "metadata.finalizers");
	size_t i;
	json_t *f;
	json_array_foreach (list, i, f) {
		if (json_is_string(f) && strcmp(json_string_value(f), finalizer) == 0)
			return true;
	}
	return false;
}

const char *sc_obj_annotation(json_t *obj, const char *key)
{
	/* The annotation, not a dotted path: keys contain dots. */
	json_t *ann = sc_json_path(obj, "metadata.annotations");
	return json_string_value(json_object_get(ann, key));
}

json_t *sc_condition_find(json_t *obj, const char *type)
{
	json_t *list = sc_json_path(obj, "status.conditions");
	size_t i;
	json_t *c;
	json_array_foreach (list, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t != NULL && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

bool sc_condition_true(json_t *obj, const char *type)
{
	const char *s = json_string_value(json_object_get(sc_condition_find(obj, type), "status"));
	return s != NULL && strcmp(s, "True") == 0;
}

json_t *sc_condition_build(json_t *old_obj, const char *type, const char *status,
			   const char *reason, const char *message, const char *now,
			   json_int_t generation)
{
	json_t *old = sc_condition_find(old_obj, type);
	const char *old_status = json_string_value(json_object_get(old, "status"));
	const char *old_ltt = json_string_value(json_object_get(old, "lastTransitionTime"));
	const char *ltt = old_status && strcmp(old_status, status) == 0 && old_ltt ? old_ltt : now;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status, "reason",
			      reason, "message", message ? message : "", "lastTransitionTime", ltt);
	if (generation > 0)
		json_object_set_new(j, "observedGeneration", json_integer(generation));
	return j;
}

/* The condition in list with the type of c, or NULL. */
static json_t *same_type(json_t *list, json_t *c)
{
	json_t *found = NULL;
	size_t i;
	json_t *each;
	json_array_foreach (list, i, each) {
		if (json_equal(json_object_get(each, "type"), json_object_get(c, "type")))
			found = each;
	}
	return found;
}

bool sc_status_differs(json_t *current_status, json_t *want)
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
			json_t *found = same_type(cur, c);
			if (!found || !json_equal(found, c))
				return true;
		}
	}
	return false;
}

const char *sc_pod_phase(json_t *pod)
{
	return sc_json_path_str(pod, "status.phase");
}

const char *sc_pod_node(json_t *pod)
{
	return sc_json_path_str(pod, "spec.nodeName");
}

bool sc_pod_ready(json_t *pod)
{
	const char *phase = sc_pod_phase(pod);
	return phase != NULL && strcmp(phase, "Running") == 0 && sc_condition_true(pod, "Ready");
}

bool sc_pod_terminal(json_t *pod)
{
	const char *phase = sc_pod_phase(pod);
	return phase != NULL && (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0);
}
