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

void sc_cleanup_jsonp(json_t **j);
#define cleanup_json __attribute__((cleanup(sc_cleanup_jsonp)))

#endif
