#include "lib/sc-json.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void sc_cleanup_jsonp(json_t **j)
{
	if (*j != NULL)
		json_decref(*j);
}

int sc_json_parse(const char *data, size_t len, json_t **out, sc_error_t *err)
{
	json_error_t jerr;
	json_t *v = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return sc_error_make(err, EINVAL, "invalid JSON: line %d column %d: %s", jerr.line,
				     jerr.column, jerr.text);
	*out = v;
	return 0;
}

char *sc_json_dumps(const json_t *value)
{
	if (value == NULL)
		return sc_xstrdup("null");
	char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL) {
		/* jansson fails only on out of memory for a valid tree. */
		return sc_xstrdup("null");
	}
	return s;
}

json_t *sc_json_path(const json_t *obj, const char *dotted)
{
	const json_t *cur = obj;
	const char *p = dotted;
	while (cur != NULL) {
		if (!json_is_object(cur))
			return NULL;
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		cur = json_object_getn(cur, p, n);
		if (dot == NULL)
			return (json_t *)cur;
		p = dot + 1;
	}
	return NULL;
}

const char *sc_json_path_str(const json_t *obj, const char *dotted)
{
	return json_string_value(sc_json_path(obj, dotted));
}

/* ---- what a cache keeps of an object ---- */

void sc_obj_drop_managed_fields(json_t *obj)
{
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

void sc_obj_keep_only(json_t *obj, const char *dotted, const char *const *keys)
{
	json_t *o = sc_json_path(obj, dotted);
	if (!json_is_object(o))
		return;
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe (o, tmp, k, v) {
		bool keep = false;
		for (size_t i = 0; keys[i] != NULL && !keep; i++)
			keep = strcmp(k, keys[i]) == 0;
		if (!keep)
			json_object_del(o, k);
	}
}

/* The parent of the member a dotted path names (borrowed) and the member's
 * name (a pointer into dotted). */
static json_t *path_parent(json_t *obj, const char *dotted, const char **leaf)
{
	const char *dot = strrchr(dotted, '.');
	*leaf = dot ? dot + 1 : dotted;
	if (dot == NULL)
		return obj;
	char *parent = sc_xstrndup(dotted, (size_t)(dot - dotted));
	json_t *p = sc_json_path(obj, parent);
	free(parent);
	return p;
}

/* Packed texts, shared: a StoppableContainer's template and its instance's
 * are the same text as long as no restart is pending, so both stores hold one
 * string. Keyed by a hash of the text (contents compared on a hit); an entry
 * only the table still holds is swept when the table has doubled since the
 * last sweep. */
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *interned; /* object: hash -> string */
static size_t intern_swept_at;

static void intern_sweep_locked(void)
{
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe (interned, tmp, k, v) {
		if (__atomic_load_n(&v->refcount, __ATOMIC_ACQUIRE) == 1)
			json_object_del(interned, k);
	}
	intern_swept_at = json_object_size(interned);
}

void sc_obj_release(void)
{
	pthread_mutex_lock(&intern_lock);
	if (interned != NULL)
		intern_sweep_locked();
	pthread_mutex_unlock(&intern_lock);
	sc_malloc_release();
}

size_t sc_obj_packed_count(void)
{
	pthread_mutex_lock(&intern_lock);
	size_t n = json_object_size(interned);
	pthread_mutex_unlock(&intern_lock);
	return n;
}

/* A string with text's bytes: one already held by a store when there is one
 * (a new reference either way). */
static json_t *intern_text(const char *text, size_t len)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
	char key[40];
	snprintf(key, sizeof(key), "%016llx-%zu", (unsigned long long)h, len);
	pthread_mutex_lock(&intern_lock);
	if (interned == NULL)
		interned = json_object();
	json_t *have = json_object_get(interned, key);
	json_t *out;
	if (have != NULL && json_string_length(have) == len &&
	    memcmp(json_string_value(have), text, len) == 0) {
		out = json_incref(have);
	} else {
		/* jansson's own output: valid UTF-8, no need to check it again */
		out = json_stringn_nocheck(text, len);
		if (have == NULL) {
			json_object_set(interned, key, out);
			if (json_object_size(interned) > 2 * intern_swept_at + 16)
				intern_sweep_locked();
		}
	}
	pthread_mutex_unlock(&intern_lock);
	return out;
}

void sc_obj_pack(json_t *obj, const char *dotted)
{
	const char *leaf;
	json_t *parent = path_parent(obj, dotted, &leaf);
	json_t *v = json_object_get(parent, leaf);
	if (v == NULL)
		return;
	char *text = sc_json_dumps(v);
	char *key = sc_xasprintf("%s" SC_JSON_PACKED_SUFFIX, leaf);
	json_object_set_new(parent, key, intern_text(text, strlen(text)));
	json_object_del(parent, leaf);
	free(key);
	free(text);
}

/* A shallow copy of node with the path from component `at` on unpacked. */
static json_t *copy_unpacked(json_t *node, const char *at, json_t *value, const char *packed_key)
{
	json_t *copy = json_copy(node);
	const char *dot = strchr(at, '.');
	if (dot == NULL) {
		json_object_del(copy, packed_key);
		json_object_set_new(copy, at, value);
		return copy;
	}
	char *name = sc_xstrndup(at, (size_t)(dot - at));
	json_object_set_new(copy, name,
			    copy_unpacked(json_object_get(node, name), dot + 1, value, packed_key));
	free(name);
	return copy;
}

/* The packed string at a dotted path (borrowed) and the key it is under. */
static json_t *packed_at(json_t *obj, const char *dotted, char **key)
{
	const char *leaf;
	json_t *parent = path_parent(obj, dotted, &leaf);
	*key = sc_xasprintf("%s" SC_JSON_PACKED_SUFFIX, leaf);
	json_t *packed = json_object_get(parent, *key);
	return json_is_string(packed) ? packed : NULL;
}

static json_t *parse_packed(json_t *packed)
{
	return json_loadb(json_string_value(packed), json_string_length(packed), JSON_DECODE_ANY,
			  NULL);
}

json_t *sc_obj_unpack(json_t *obj, const char *dotted)
{
	if (obj == NULL)
		return NULL;
	char *key;
	json_t *packed = packed_at(obj, dotted, &key);
	json_t *value = packed != NULL ? parse_packed(packed) : NULL;
	json_t *out = value != NULL ? copy_unpacked(obj, dotted, value, key) : json_incref(obj);
	free(key);
	return out;
}

void sc_obj_unpack_pair(json_t *a, json_t *b, const char *dotted, json_t **ua, json_t **ub)
{
	char *ka = NULL, *kb = NULL;
	json_t *pa = a ? packed_at(a, dotted, &ka) : NULL;
	json_t *pb = b ? packed_at(b, dotted, &kb) : NULL;
	if (pa != NULL && pb != NULL && json_equal(pa, pb)) {
		json_t *value = parse_packed(pa);
		if (value != NULL) {
			*ua = copy_unpacked(a, dotted, json_incref(value), ka);
			*ub = copy_unpacked(b, dotted, value, kb);
			free(ka);
			free(kb);
			return;
		}
	}
	free(ka);
	free(kb);
	*ua = sc_obj_unpack(a, dotted);
	*ub = sc_obj_unpack(b, dotted);
}

/* ---- YAML -> JSON ---- */

struct yaml_frame {
	json_t *container; /* object or array, owned until attached */
	char *key;         /* pending mapping key, owned */
	size_t key_len;
	bool have_key;
};

struct yaml_conv {
	struct yaml_frame stack[SC_YAML_MAX_DEPTH];
	size_t depth;
	json_t *root;
	bool have_root;
	size_t nodes;
	unsigned flags;
};

static void conv_free(struct yaml_conv *c)
{
	for (size_t i = 0; i < c->depth; i++) {
		json_decref(c->stack[i].container);
		free(c->stack[i].key);
	}
	c->depth = 0;
	if (c->root != NULL)
		json_decref(c->root);
	c->root = NULL;
}

static int yaml_fail(sc_error_t *err, const yaml_mark_t *mark, const char *what)
{
	return sc_error_make(err, EINVAL, "line %zu column %zu: %s", mark->line + 1,
			     mark->column + 1, what);
}

static bool all_digits(const char *s, const char *end, int base)
{
	if (s == end)
		return false;
	for (; s < end; s++) {
		char c = *s;
		bool ok = (c >= '0' && c <= '9' && (base != 8 || c <= '7')) ||
			  (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
		if (!ok)
			return false;
	}
	return true;
}

/* [-+]? ( digits ( '.' digits* )? | '.' digits ) ( [eE] [-+]? digits )? */
static bool looks_float(const char *s, const char *end)
{
	if (s < end && (*s == '-' || *s == '+'))
		s++;
	size_t before = 0, after = 0;
	while (s < end && *s >= '0' && *s <= '9')
		s++, before++;
	if (s < end && *s == '.') {
		s++;
		while (s < end && *s >= '0' && *s <= '9')
			s++, after++;
	}
	if (before == 0 && after == 0)
		return false;
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '-' || *s == '+'))
			s++;
		size_t exp = 0;
		while (s < end && *s >= '0' && *s <= '9')
			s++, exp++;
		if (exp == 0)
			return false;
	}
	return s == end;
}

static bool is_null_text(const char *s, size_t len)
{
	return len == 0 || (len == 1 && s[0] == '~') ||
	       (len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
			     memcmp(s, "NULL", 4) == 0));
}

/* YAML 1.2 core schema for plain scalars. JSON has no inf/nan: those stay
 * strings, and so does an integer too large for 64 bits that is not a
 * float either. */
static json_t *resolve_plain(const char *s, size_t len)
{
	if (is_null_text(s, len))
		return json_null();
	if ((len == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))))
		return json_true();
	if ((len == 5 &&
	     (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))))
		return json_false();
	const char *end = s + len;
	const char *digits = s;
	int base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		digits = s + 2;
	} else if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		digits = s + 1;
	}
	if (all_digits(digits, end, base)) {
		char *ep = NULL;
		errno = 0;
		long long v = strtoll(base == 10 ? s : digits, &ep, base);
		if (errno == 0 && ep == end)
			return json_integer(v);
	}
	if (base == 10 && looks_float(s, end)) {
		char *ep = NULL;
		errno = 0;
		double d = strtod(s, &ep);
		if (errno == 0 && ep == end)
			return json_real(d);
	}
	return json_stringn(s, len);
}

static json_t *scalar_value(const yaml_event_t *ev, unsigned flags)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
		return json_stringn(s, len);
	if (!plain)
		return json_stringn(s, len);
	if (flags & SC_YAML_SCALARS_AS_STRINGS)
		return is_null_text(s, len) ? json_null() : json_stringn(s, len);
	return resolve_plain(s, len);
}

/* Attach a finished node to its parent (or make it the root). Takes the
 * reference to v. */
static int attach(struct yaml_conv *c, json_t *v, const yaml_mark_t *mark, sc_error_t *err)
{
	if (v == NULL)
		return yaml_fail(err, mark, "invalid UTF-8 in scalar");
	if (c->depth == 0) {
		c->root = v;
		c->have_root = true;
		return 0;
	}
	struct yaml_frame *f = &c->stack[c->depth - 1];
	if (json_is_array(f->container)) {
		json_array_append_new(f->container, v);
		return 0;
	}
	if (json_object_getn(f->container, f->key, f->key_len) != NULL) {
		json_decref(v);
		cleanup_free char *msg = sc_xasprintf(
		    "duplicate key \"%.*s\"", (int)(f->key_len > 200 ? 200 : f->key_len), f->key);
		return yaml_fail(err, mark, msg);
	}
	json_object_setn_new_nocheck(f->container, f->key, f->key_len, v);
	free(f->key);
	f->key = NULL;
	f->have_key = false;
	return 0;
}

static int count_node(struct yaml_conv *c, const yaml_mark_t *mark, sc_error_t *err)
{
	if (++c->nodes > SC_YAML_MAX_NODES)
		return sc_error_make(err, E2BIG, "line %zu column %zu: more than %d YAML nodes",
				     mark->line + 1, mark->column + 1, SC_YAML_MAX_NODES);
	return 0;
}

static int handle_event(struct yaml_conv *c, const yaml_event_t *ev, int *documents, bool *done,
			sc_error_t *err)
{
	const yaml_mark_t *mark = &ev->start_mark;
	struct yaml_frame *top = c->depth > 0 ? &c->stack[c->depth - 1] : NULL;
	bool expecting_key = top != NULL && json_is_object(top->container) && !top->have_key;

	switch (ev->type) {
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents > 1)
			return yaml_fail(err, mark, "more than one YAML document");
		return 0;
	case YAML_ALIAS_EVENT:
		return yaml_fail(err, mark, "YAML aliases are not supported");
	case YAML_SCALAR_EVENT:
		if (count_node(c, mark, err) < 0)
			return -1;
		if (expecting_key) {
			/* memcpy, not strndup: a quoted key may hold "\0". */
			top->key_len = ev->data.scalar.length;
			top->key = sc_xmalloc(top->key_len + 1);
			memcpy(top->key, ev->data.scalar.value, top->key_len);
			top->key[top->key_len] = '\0';
			top->have_key = true;
			return 0;
		}
		return attach(c, scalar_value(ev, c->flags), mark, err);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (count_node(c, mark, err) < 0)
			return -1;
		if (expecting_key)
			return yaml_fail(err, mark, "complex mapping keys are not supported");
		if (c->depth >= SC_YAML_MAX_DEPTH)
			return sc_error_make(err, E2BIG,
					     "line %zu column %zu: nesting deeper than %d levels",
					     mark->line + 1, mark->column + 1, SC_YAML_MAX_DEPTH);
		c->stack[c->depth] = (struct yaml_frame){
		    .container =
			ev->type == YAML_MAPPING_START_EVENT ? json_object() : json_array(),
		};
		c->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		/* libyaml guarantees balanced events; the depth check only
		 * guards against a bug turning into an out-of-bounds read. */
		if (c->depth == 0)
			return yaml_fail(err, mark, "unbalanced YAML events");
		c->depth--;
		json_t *v = c->stack[c->depth].container;
		free(c->stack[c->depth].key);
		c->stack[c->depth].key = NULL;
		return attach(c, v, mark, err);
	}
	}
	return 0;
}

int sc_json_from_yaml(const char *data, size_t len, unsigned flags, json_t **out, sc_error_t *err)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return sc_error_make(err, ENOMEM, "initialising the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	struct yaml_conv c = {.flags = flags};
	int documents = 0;
	bool done = false;
	int r = 0;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			const char *problem = parser.problem ? parser.problem : "invalid YAML";
			if (parser.context != NULL)
				r = sc_error_make(err, EINVAL, "line %zu column %zu: %s %s",
						  parser.problem_mark.line + 1,
						  parser.problem_mark.column + 1, problem,
						  parser.context);
			else
				r = yaml_fail(err, &parser.problem_mark, problem);
			break;
		}
		r = handle_event(&c, &ev, &documents, &done, err);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (r < 0) {
		conv_free(&c);
		return -1;
	}
	*out = c.have_root ? c.root : json_null();
	c.root = NULL;
	return 0;
}
