#include "kubectl-sc/yaml-out.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "lib/sc-buf.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"

/* Emitting is bounded by the input's depth; JSON from the API server is far
 * shallower than this. */
#define YAML_OUT_MAX_DEPTH 128

static int on_output(void *data, unsigned char *buffer, size_t size)
{
	struct sc_buf *b = data;
	return sc_buf_append(b, buffer, size, NULL) == 0;
}

/* Does the text, with '_' removed (YAML 1.1 allows it in numbers), parse
 * whole as a number? */
static bool looks_numeric(const char *s)
{
	char buf[64];
	size_t n = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '_')
			continue;
		if (n + 1 >= sizeof(buf))
			return false; /* no YAML number is this long */
		buf[n++] = *p;
	}
	buf[n] = '\0';
	char *end = NULL;
	errno = 0;
	(void)strtod(buf, &end);
	if (end != buf && *end == '\0')
		return true;
	(void)strtoll(buf, &end, 0); /* 0x1f, 017 */
	if (end != buf && *end == '\0')
		return true;
	/* YAML 1.1's 0o17 and 0b101 */
	return (buf[0] == '0' && (buf[1] == 'o' || buf[1] == 'b') && buf[2] != '\0' &&
		strspn(buf + 2, "01234567") == strlen(buf + 2));
}

/* Would a plain scalar with this text be read back as something other than
 * a string (YAML 1.1 or 1.2: null, booleans, numbers, sexagesimals, dates)?
 * Then it must be quoted. Erring towards quoting is harmless; "500m" and
 * "16Mi" stay plain, as kubectl prints them. */
static bool string_needs_quotes(const char *s)
{
	static const char *const words[] = {
	    "~",     "null", "y",   "yes",  "n",     "no",    "true",
	    "false", "on",   "off", ".inf", "-.inf", "+.inf", ".nan",
	};
	if (*s == '\0')
		return true;
	for (size_t i = 0; i < SC_ARRAY_SIZE(words); i++) {
		if (strcasecmp(s, words[i]) == 0)
			return true;
	}
	if (!isdigit((unsigned char)s[0]) && s[0] != '+' && s[0] != '-' && s[0] != '.')
		return false;
	if (looks_numeric(s))
		return true;
	/* 1:30 (YAML 1.1 base 60), 2026-11-28 and 2026-11-28T23:54:47Z */
	if (strspn(s, "0123456789_:.+-") == strlen(s) && strchr(s, ':') != NULL)
		return true;
	if (strlen(s) >= 8 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && s[4] == '-' &&
	    isdigit((unsigned char)s[5]))
		return true;
	return false;
}

static int emit_scalar(yaml_emitter_t *e, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	/* plain_implicit: a plain scalar's type is resolved from its text;
	 * quoted_implicit: a quoted one is a string. */
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
					  1, 1, style))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_failed(yaml_emitter_t *e, sc_error_t *err)
{
	return sc_error_make(err, EIO, "YAML output: %s",
			     e->problem ? e->problem : "the emitter refused an event");
}

static int emit_value(yaml_emitter_t *e, const json_t *v, int depth, sc_error_t *err);

/* A child's failure: its own error, or the emitter's. */
static int child_failed(yaml_emitter_t *e, sc_error_t *err)
{
	if (err != NULL && *err != NULL)
		return -1;
	return emit_failed(e, err);
}

/* An object as a mapping, keys sorted (as kubectl prints). */
static int emit_mapping(yaml_emitter_t *e, const json_t *v, int depth, sc_error_t *err)
{
	yaml_event_t ev;
	size_t n = json_object_size(v);
	if (!yaml_mapping_start_event_initialize(
		&ev, NULL, NULL, 1, n == 0 ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE) ||
	    !yaml_emitter_emit(e, &ev))
		return emit_failed(e, err);
	cleanup_free const char **keys = sc_xmalloc((n ? n : 1) * sizeof(char *));
	size_t k = 0;
	const char *key;
	json_t *child;
	json_object_foreach ((json_t *)v, key, child)
		keys[k++] = key;
	qsort(keys, n, sizeof(char *), cmp_keys);
	for (size_t i = 0; i < n; i++) {
		yaml_scalar_style_t ks = string_needs_quotes(keys[i])
					     ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					     : YAML_ANY_SCALAR_STYLE;
		if (emit_scalar(e, keys[i], ks) < 0 ||
		    emit_value(e, json_object_get(v, keys[i]), depth + 1, err) < 0)
			return child_failed(e, err);
	}
	if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
		return emit_failed(e, err);
	return 0;
}

static int emit_sequence(yaml_emitter_t *e, const json_t *v, int depth, sc_error_t *err)
{
	yaml_event_t ev;
	if (!yaml_sequence_start_event_initialize(
		&ev, NULL, NULL, 1,
		json_array_size(v) == 0 ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) ||
	    !yaml_emitter_emit(e, &ev))
		return emit_failed(e, err);
	size_t i;
	json_t *child;
	json_array_foreach (v, i, child) {
		if (emit_value(e, child, depth + 1, err) < 0)
			return child_failed(e, err);
	}
	if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
		return emit_failed(e, err);
	return 0;
}

/* A string, number, boolean or null as one scalar. */
static int emit_leaf(yaml_emitter_t *e, const json_t *v, sc_error_t *err)
{
	char num[32];
	cleanup_free char *real = NULL;
	const char *text = "null";
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	switch (json_typeof(v)) {
	case JSON_STRING:
		text = json_string_value(v);
		style = YAML_ANY_SCALAR_STYLE;
		if (string_needs_quotes(text))
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		else if (strchr(text, '\n') != NULL)
			style = YAML_LITERAL_SCALAR_STYLE; /* libyaml falls back if it must */
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		text = num;
		break;
	case JSON_REAL:
		real = json_dumps(v, JSON_ENCODE_ANY);
		if (real == NULL)
			return emit_failed(e, err);
		text = real;
		break;
	case JSON_TRUE:
		text = "true";
		break;
	case JSON_FALSE:
		text = "false";
		break;
	case JSON_NULL:
	case JSON_OBJECT:
	case JSON_ARRAY:
		break;
	}
	if (emit_scalar(e, text, style) < 0)
		return emit_failed(e, err);
	return 0;
}

static int emit_value(yaml_emitter_t *e, const json_t *v, int depth, sc_error_t *err)
{
	if (depth > YAML_OUT_MAX_DEPTH)
		return sc_error_make(err, E2BIG, "YAML output: nested deeper than %d",
				     YAML_OUT_MAX_DEPTH);
	if (json_is_object(v))
		return emit_mapping(e, v, depth, err);
	if (json_is_array(v))
		return emit_sequence(e, v, depth, err);
	return emit_leaf(e, v, err);
}

int sc_json_to_yaml(const json_t *value, char **out, sc_error_t *err)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	struct sc_buf b = SC_BUF_INIT((size_t)-2);
	if (!yaml_emitter_initialize(&e))
		return sc_error_make(err, ENOMEM, "YAML output: initialising the emitter");
	yaml_emitter_set_output(&e, on_output, &b);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1); /* never fold long lines */
	yaml_emitter_set_indent(&e, 2);
	int r = -1;
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&e, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&e, &ev)) {
		sc_error_make(err, EIO, "YAML output: starting the document");
		goto out;
	}
	if (emit_value(&e, value, 0, err) < 0)
		goto out;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&e, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&e, &ev) ||
	    !yaml_emitter_flush(&e)) {
		sc_error_make(err, EIO, "YAML output: ending the document");
		goto out;
	}
	*out = b.data ? sc_buf_steal(&b) : sc_xstrdup("");
	r = 0;
out:
	yaml_emitter_delete(&e);
	sc_buf_free(&b);
	return r;
}
