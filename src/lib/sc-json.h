/* JSON helpers over jansson, and a YAML -> JSON converter over libyaml.
 *
 * Every Kubernetes object in this project is a json_t (jansson): the API
 * speaks JSON, and YAML (kubeconfig files, manifests) is converted to the same
 * tree once, so there is one way to read fields. The converter has hard caps
 * on nesting depth and node count, refuses aliases (no "billion laughs"), and
 * names the line and column of a syntax error. */
#ifndef SC_JSON_H
#define SC_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "lib/sc-error.h"

#define SC_YAML_MAX_DEPTH 64
#define SC_YAML_MAX_NODES 1000000

enum sc_yaml_flags {
	/* Plain (unquoted) scalars become JSON strings, except the null forms
	 * ("", "~", "null"). For readers that want the text, not YAML's guess
	 * at a type: kubeconfig fields are all strings except one bool, and
	 * kubectl's loader converts scalars to the Go field's type in the same
	 * way. Without this flag plain scalars are resolved as YAML 1.2 core
	 * schema: null, true/false, integers, floats. */
	SC_YAML_SCALARS_AS_STRINGS = 1 << 0,
};

/* Convert one YAML document (an empty stream gives JSON null). Errors:
 * EINVAL with "line L column C: problem" for bad syntax, duplicate keys,
 * aliases, more than one document; E2BIG over the depth or node caps. */
int sc_json_from_yaml(const char *data, size_t len, unsigned flags, json_t **out, sc_error_t *err);

/* Parse JSON bytes; EINVAL with jansson's line/column message on failure. */
int sc_json_parse(const char *data, size_t len, json_t **out, sc_error_t *err);

/* Compact serialisation; aborts on out of memory like sc_xmalloc. */
char *sc_json_dumps(const json_t *value);

/* A field by dotted path ("metadata.name"); borrowed, or NULL when any step
 * is missing or not an object. */
json_t *sc_json_path(const json_t *obj, const char *dotted);
/* The string at a dotted path, or NULL when missing or not a string. */
const char *sc_json_path_str(const json_t *obj, const char *dotted);

/* Shorthands for object metadata. */
static inline const char *sc_json_name(const json_t *obj)
{
	return sc_json_path_str(obj, "metadata.name");
}
static inline const char *sc_json_namespace(const json_t *obj)
{
	return sc_json_path_str(obj, "metadata.namespace");
}
static inline const char *sc_json_resource_version(const json_t *obj)
{
	return sc_json_path_str(obj, "metadata.resourceVersion");
}
static inline const char *sc_json_uid(const json_t *obj)
{
	return sc_json_path_str(obj, "metadata.uid");
}

/* ---- what a cache keeps of an object ----
 *
 * An informer's store holds every object it watches for the life of the
 * process, and a parsed tree takes about five times the bytes of its JSON
 * text (each env entry is an object with a hash table). These trim an object
 * in place before it is stored; the reader unpacks what it needs, one object
 * at a time. */

/* Removes metadata.managedFields (the API server's record of which manager
 * set which field: as big as the spec again, and read by nobody here). */
void sc_obj_drop_managed_fields(json_t *obj);
/* Keeps only the named members of the object at a dotted path ("spec"):
 * keys is NULL-terminated. Nothing happens when the path is missing. */
void sc_obj_keep_only(json_t *obj, const char *dotted, const char *const *keys);
/* Replaces the member at a dotted path ("spec.template") by its compact JSON
 * text, held as one string under the member's name + SC_JSON_PACKED_SUFFIX
 * ("template@packed": a name the API server never sends, as it prunes what
 * a schema does not declare). Nothing happens when the member is missing.
 * Equal texts packed anywhere in the process share one string. */
#define SC_JSON_PACKED_SUFFIX "@packed"
void sc_obj_pack(json_t *obj, const char *dotted);
/* The object with the member at a dotted path parsed back: a new reference,
 * the object itself when nothing is packed there. The original is not
 * changed (only the objects along the path are copied, shallowly), so it may
 * be read from a shared store. NULL only for a NULL object. */
json_t *sc_obj_unpack(json_t *obj, const char *dotted);
/* Drops the shared packed texts no object holds any more, then gives freed
 * memory back to the kernel (sc_malloc_release): after a list, when the work
 * queue drains, on every resync. */
void sc_obj_release(void);
/* Shared packed texts held now (tests). */
size_t sc_obj_packed_count(void);
/* Both unpacked (either may be NULL), parsed once when both hold the same
 * text (a StoppableContainer and its instance, no restart pending): the two
 * then share the tree, which neither may change. */
void sc_obj_unpack_pair(json_t *a, json_t *b, const char *dotted, json_t **ua, json_t **ub);

void sc_cleanup_jsonp(json_t **j);
#define cleanup_json __attribute__((cleanup(sc_cleanup_jsonp)))

#endif
