#include "lib/sc-informer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/sc-json.h"
#include "lib/sc-log.h"

#define DEFAULT_PAGE_SIZE 500L

/* ---- the store ---- */

struct sc_store {
	pthread_mutex_t lock;
	json_t *objects; /* key -> object: a jansson object is a hash table */
};

char *sc_kube_object_key(const json_t *obj)
{
	const char *name = sc_json_name(obj);
	if (name == NULL || *name == '\0')
		return NULL;
	const char *ns = sc_json_namespace(obj);
	if (ns != NULL && *ns != '\0')
		return sc_xasprintf("%s/%s", ns, name);
	return sc_xstrdup(name);
}

struct sc_store *sc_store_new(void)
{
	struct sc_store *s = sc_xzalloc(sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->objects = json_object();
	return s;
}

void sc_store_free(struct sc_store *s)
{
	if (s == NULL)
		return;
	json_decref(s->objects);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

json_t *sc_store_get(struct sc_store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	json_t *o = json_object_get(s->objects, key);
	if (o != NULL)
		json_incref(o);
	pthread_mutex_unlock(&s->lock);
	return o;
}

json_t *sc_store_list(struct sc_store *s)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&s->lock);
	const char *key;
	json_t *v;
	json_object_foreach (s->objects, key, v) {
		json_array_append(arr, v);
	}
	pthread_mutex_unlock(&s->lock);
	return arr;
}

size_t sc_store_len(struct sc_store *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n = json_object_size(s->objects);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* An update is real when the resourceVersion moved; objects without one
 * (never from an API server, but from tests or other sources) are compared
 * by content. */
static bool same_version(const json_t *a, const json_t *b)
{
	const char *ra = sc_json_resource_version(a);
	const char *rb = sc_json_resource_version(b);
	if (ra != NULL && rb != NULL)
		return strcmp(ra, rb) == 0;
	return json_equal(a, b);
}

enum sc_store_change sc_store_upsert(struct sc_store *s, json_t *obj, json_t **old)
{
	if (old != NULL)
		*old = NULL;
	cleanup_free char *key = sc_kube_object_key(obj);
	if (key == NULL)
		return SC_STORE_UNCHANGED;
	enum sc_store_change change;
	pthread_mutex_lock(&s->lock);
	json_t *prev = json_object_get(s->objects, key);
	if (prev != NULL && same_version(prev, obj)) {
		change = SC_STORE_UNCHANGED;
	} else {
		change = prev != NULL ? SC_STORE_UPDATED : SC_STORE_ADDED;
		if (prev != NULL && old != NULL)
			*old = json_incref(prev);
		json_object_set_nocheck(s->objects, key, obj);
	}
	pthread_mutex_unlock(&s->lock);
	return change;
}

enum sc_store_change sc_store_delete(struct sc_store *s, const json_t *obj, json_t **old)
{
	if (old != NULL)
		*old = NULL;
	cleanup_free char *key = sc_kube_object_key(obj);
	if (key == NULL)
		return SC_STORE_UNCHANGED;
	enum sc_store_change change = SC_STORE_UNCHANGED;
	pthread_mutex_lock(&s->lock);
	json_t *prev = json_object_get(s->objects, key);
	if (prev != NULL) {
		if (old != NULL)
			*old = json_incref(prev);
		json_object_del(s->objects, key);
		change = SC_STORE_DELETED;
	}
	pthread_mutex_unlock(&s->lock);
	return change;
}

static void push_delta(struct sc_store_delta **d, size_t *n, size_t *cap,
		       enum sc_store_change change, json_t *old_obj, json_t *new_obj)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*d = sc_xrealloc(*d, *cap * sizeof(**d));
	}
	(*d)[(*n)++] = (struct sc_store_delta){change, old_obj, new_obj};
}

size_t sc_store_replace(struct sc_store *s, const json_t *items, struct sc_store_delta **deltas)
{
	struct sc_store_delta *d = NULL;
	size_t n = 0, cap = 0;
	json_t *fresh = json_object();
	size_t i;
	json_t *item;
	pthread_mutex_lock(&s->lock);
	json_array_foreach (items, i, item) {
		cleanup_free char *key = sc_kube_object_key(item);
		if (key == NULL)
			continue;
		json_object_set_nocheck(fresh, key, item);
		json_t *prev = json_object_get(s->objects, key);
		if (prev == NULL)
			push_delta(&d, &n, &cap, SC_STORE_ADDED, NULL, json_incref(item));
		else if (!same_version(prev, item))
			push_delta(&d, &n, &cap, SC_STORE_UPDATED, json_incref(prev),
				   json_incref(item));
	}
	const char *key;
	json_t *prev;
	json_object_foreach (s->objects, key, prev) {
		if (json_object_get(fresh, key) == NULL)
			push_delta(&d, &n, &cap, SC_STORE_DELETED, json_incref(prev), NULL);
	}
	json_decref(s->objects);
	s->objects = fresh;
	pthread_mutex_unlock(&s->lock);
	*deltas = d;
	return n;
}

void sc_store_deltas_free(struct sc_store_delta *deltas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (deltas[i].old_obj != NULL)
			json_decref(deltas[i].old_obj);
		if (deltas[i].new_obj != NULL)
			json_decref(deltas[i].new_obj);
	}
	free(deltas);
}

/* ---- dispatch ---- */

void sc_informer_dispatch(const struct sc_informer_handlers *h, const struct sc_store_delta *d,
			  size_t n)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		switch (d[i].change) {
		case SC_STORE_ADDED:
			if (h->on_add)
				h->on_add(d[i].new_obj, h->userdata);
			break;
		case SC_STORE_UPDATED:
			if (h->on_update)
				h->on_update(d[i].old_obj, d[i].new_obj, h->userdata);
			break;
		case SC_STORE_DELETED:
			if (h->on_delete)
				h->on_delete(d[i].old_obj, h->userdata);
			break;
		case SC_STORE_UNCHANGED:
			break;
		}
	}
}

void sc_informer_apply_event(struct sc_store *s, const struct sc_informer_handlers *h,
			     const struct sc_watch_event *ev)
{
	cleanup_json json_t *old = NULL;
	switch (ev->type) {
	case SC_WATCH_ADDED:
	case SC_WATCH_MODIFIED: {
		enum sc_store_change c = sc_store_upsert(s, ev->object, &old);
		struct sc_store_delta d = {c, old, ev->object};
		sc_informer_dispatch(h, &d, 1);
		break;
	}
	case SC_WATCH_DELETED: {
		/* The handler gets the final state from the event, which is
		 * newer than what the store held. */
		if (sc_store_delete(s, ev->object, &old) == SC_STORE_DELETED) {
			struct sc_store_delta d = {SC_STORE_DELETED, ev->object, NULL};
			sc_informer_dispatch(h, &d, 1);
		}
		break;
	}
	case SC_WATCH_BOOKMARK:
	case SC_WATCH_ERROR:
		break;
	}
}

/* ---- ready-made transforms ---- */

void sc_informer_pack_template(json_t *obj)
{
	sc_obj_drop_managed_fields(obj);
	sc_obj_pack(obj, "spec.template");
}

void sc_informer_pod_status_only(json_t *obj)
{
	static const char *const spec_keep[] = {"nodeName", NULL};
	sc_obj_drop_managed_fields(obj);
	sc_obj_keep_only(obj, "spec", spec_keep);
}

/* ---- a list response, item by item ---- */

void sc_list_decoder_init(struct sc_list_decoder *d, size_t max,
			  int (*fn)(json_t *item, void *userdata, sc_error_t *err), void *userdata)
{
	memset(d, 0, sizeof(*d));
	d->fn = fn;
	d->userdata = userdata;
	sc_buf_init(&d->rest, max);
	sc_buf_init(&d->item, max);
}

void sc_list_decoder_free(struct sc_list_decoder *d)
{
	sc_buf_free(&d->rest);
	sc_buf_free(&d->item);
}

/* Where a byte of the body goes. */
enum list_byte { TO_REST, TO_ITEM, TO_NOWHERE, BAD_ITEM };

/* One byte through the scanner: strings (with escapes) and nesting depth,
 * enough to find the items array of the top-level object and its elements'
 * bounds. *done: this byte ended an item. */
static enum list_byte list_step(struct sc_list_decoder *d, char c, bool *done)
{
	*done = false;
	if (d->in_string) {
		if (d->escape)
			d->escape = false;
		else if (c == '\\')
			d->escape = true;
		else if (c == '"') {
			d->in_string = false;
			if (d->depth == 1)
				d->key_is_items =
				    d->key_len == 5 && memcmp(d->key, "items", 5) == 0;
		} else if (d->depth == 1 && d->key_len < sizeof(d->key))
			d->key[d->key_len++] = c;
		return d->in_item ? TO_ITEM : TO_REST;
	}
	if (d->in_item) {
		if (c == '"')
			d->in_string = true;
		else if (c == '{' || c == '[')
			d->depth++;
		else if ((c == '}' || c == ']') && --d->depth == 2) {
			d->in_item = false;
			*done = true;
		}
		return TO_ITEM;
	}
	if (d->in_items && d->depth == 2) {
		switch (c) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
		case ',':
			return TO_NOWHERE;
		case '{':
			d->in_item = true;
			d->depth++;
			return TO_ITEM;
		case ']':
			d->in_items = false;
			d->depth--;
			return TO_REST;
		default:
			return BAD_ITEM;
		}
	}
	if (c == '"') {
		d->in_string = true;
		if (d->depth == 1)
			d->key_len = 0;
	} else if (c == '{' || c == '[') {
		/* the last string at depth 1 before a value is its key */
		if (++d->depth == 2 && c == '[' && d->key_is_items)
			d->in_items = true;
	} else if (c == '}' || c == ']') {
		d->depth--;
	}
	return TO_REST;
}

static int list_flush(struct sc_list_decoder *d, enum list_byte to, const char *p, size_t n,
		      sc_error_t *err)
{
	if (n == 0 || to == TO_NOWHERE)
		return 0;
	return sc_buf_append(to == TO_ITEM ? &d->item : &d->rest, p, n, err);
}

static int list_emit(struct sc_list_decoder *d, json_t *item, sc_error_t *err)
{
	if (!json_is_object(item))
		return sc_error_make(err, EBADMSG, "list item %zu is not an object", d->items + 1);
	d->items++;
	return d->fn(item, d->userdata, err);
}

static int list_item_done(struct sc_list_decoder *d, sc_error_t *err)
{
	cleanup_json json_t *item = NULL;
	if (sc_json_parse(d->item.data, d->item.len, &item, err) < 0)
		return sc_error_wrap(err, "list item %zu", d->items + 1);
	sc_buf_reset(&d->item);
	return list_emit(d, item, err);
}

int sc_list_decoder_feed(struct sc_list_decoder *d, const char *data, size_t len, sc_error_t *err)
{
	size_t start = 0;
	enum list_byte to = TO_REST;
	for (size_t i = 0; i < len; i++) {
		bool done;
		enum list_byte b = list_step(d, data[i], &done);
		if (b == BAD_ITEM)
			return sc_error_make(err, EBADMSG, "list item %zu is not an object",
					     d->items + 1);
		if (b != to) {
			if (list_flush(d, to, data + start, i - start, err) < 0)
				return -1;
			to = b;
			start = i;
		}
		if (done) {
			if (list_flush(d, to, data + start, i + 1 - start, err) < 0 ||
			    list_item_done(d, err) < 0)
				return -1;
			start = i + 1;
		}
	}
	return list_flush(d, to, data + start, len - start, err);
}

int sc_list_decoder_finish(struct sc_list_decoder *d, json_t **rest, sc_error_t *err)
{
	if (d->in_item || d->in_string || d->depth != 0)
		return sc_error_make(err, EBADMSG, "the list response ends in the middle");
	json_t *r = NULL;
	if (sc_json_parse(d->rest.data, d->rest.len, &r, err) < 0)
		return sc_error_wrap(err, "the list response");
	/* Items the scanner did not see as such (a key spelled with escapes)
	 * are still items. */
	json_t *items = json_object_get(r, "items");
	if (items != NULL && !json_is_array(items) && !json_is_null(items)) {
		json_decref(r);
		return sc_error_make(err, EBADMSG, "\"items\" is not a list");
	}
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		if (list_emit(d, item, err) < 0) {
			json_decref(r);
			return -1;
		}
	}
	if (json_is_array(items))
		json_array_clear(items);
	*rest = r;
	return 0;
}

/* ---- the informer ---- */

struct sc_informer {
	struct sc_kube_client *client;
	const struct sc_kube_resource *res;
	char *ns;
	char *label_selector;
	char *field_selector;
	long page_size;
	long backoff_initial_ms;
	long backoff_max_ms;
	struct sc_informer_handlers handlers;
	void (*transform)(json_t *obj);
	struct sc_store *store;
	struct sc_watch *watch;
	unsigned seed;

	pthread_t thread;
	bool started;
	atomic_bool stop;
	atomic_bool synced;
	atomic_uint lists;
	atomic_llong list_failing_since; /* monotonic ms, 0: the last list worked */
	pthread_mutex_t lock;            /* with cond: sync waiters and backoff waits */
	pthread_cond_t cond;
};

int sc_informer_new(const struct sc_kube_config *cfg, const struct sc_informer_options *opts,
		    const struct sc_informer_handlers *handlers, struct sc_informer **out,
		    sc_error_t *err)
{
	if (opts == NULL || opts->resource == NULL)
		return sc_error_make(err, EINVAL, "informer: a resource is required");
	if (opts->page_size < 0)
		return sc_error_make(err, EINVAL, "informer: negative page size");
	struct sc_kube_client *client = NULL;
	if (sc_kube_client_new(cfg, &opts->client, &client, err) < 0)
		return sc_error_wrap(err, "informer for %s", opts->resource->resource);
	struct sc_watch_options wo = {
	    .namespace = opts->namespace,
	    .label_selector = opts->label_selector,
	    .field_selector = opts->field_selector,
	    .timeout_seconds = opts->watch_timeout_seconds,
	    .backoff_initial_ms = opts->backoff_initial_ms,
	    .backoff_max_ms = opts->backoff_max_ms,
	};
	struct sc_watch *w = NULL;
	if (sc_watch_new(client, opts->resource, &wo, &w, err) < 0) {
		sc_kube_client_free(client);
		return sc_error_wrap(err, "informer");
	}
	struct sc_informer *inf = sc_xzalloc(sizeof(*inf));
	inf->client = client;
	inf->watch = w;
	inf->res = opts->resource;
	inf->ns = sc_xstrdup(opts->namespace);
	inf->label_selector = sc_xstrdup(opts->label_selector);
	inf->field_selector = sc_xstrdup(opts->field_selector);
	inf->page_size = opts->page_size > 0 ? opts->page_size : DEFAULT_PAGE_SIZE;
	inf->backoff_initial_ms =
	    opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : SC_WATCH_DEFAULT_BACKOFF_MS;
	inf->backoff_max_ms =
	    opts->backoff_max_ms > 0 ? opts->backoff_max_ms : SC_WATCH_DEFAULT_BACKOFF_MAX_MS;
	if (handlers != NULL)
		inf->handlers = *handlers;
	inf->transform = opts->transform;
	inf->store = sc_store_new();
	inf->seed = (unsigned)sc_now_ms() ^ (unsigned)(uintptr_t)inf;
	atomic_init(&inf->stop, false);
	atomic_init(&inf->synced, false);
	atomic_init(&inf->lists, 0);
	pthread_mutex_init(&inf->lock, NULL);
	sc_cond_init_monotonic(&inf->cond);
	*out = inf;
	return 0;
}

/* Sleep ms unless stopped first; true when stopped. */
static bool wait_or_stop(struct sc_informer *inf, long long ms)
{
	return sc_wait_or_stop(&inf->lock, &inf->cond, &inf->stop, ms);
}

/* Items of a list lack kind and apiVersion; set them so every object in
 * the store looks the same as one from a watch. */
static void set_type(const struct sc_kube_resource *res, json_t *item)
{
	if (json_object_get(item, "kind") == NULL && res->kind != NULL)
		json_object_set_new(item, "kind", json_string(res->kind));
	if (json_object_get(item, "apiVersion") == NULL) {
		char *api = res->group && *res->group
				? sc_xasprintf("%s/%s", res->group, res->version)
				: sc_xstrdup(res->version);
		json_object_set_new(item, "apiVersion", json_string(api));
		free(api);
	}
}

struct list_page {
	struct sc_informer *inf;
	json_t *items; /* what the store will hold */
};

static int on_list_item(json_t *item, void *userdata, sc_error_t *err)
{
	(void)err;
	struct list_page *pg = userdata;
	set_type(pg->inf->res, item);
	if (pg->inf->transform != NULL)
		pg->inf->transform(item);
	json_array_append(pg->items, item);
	return 0;
}

static int on_list_bytes(const char *data, size_t len, void *userdata, sc_error_t *err)
{
	return sc_list_decoder_feed(userdata, data, len, err);
}

static int list_all(struct sc_informer *inf, long page_size, json_t **items_out, char **rv_out,
		    sc_error_t *err)
{
	cleanup_json json_t *items = json_array();
	cleanup_free char *cont = NULL;
	cleanup_free char *rv = NULL;
	cleanup_buf struct sc_buf path = SC_BUF_INIT(4096);
	if (sc_kube_path(&path, inf->res, inf->ns, NULL, NULL, err) < 0)
		return -1;
	struct list_page pg = {.inf = inf, .items = items};
	for (unsigned page = 0;; page++) {
		cleanup_buf struct sc_buf query = SC_BUF_INIT(64 * 1024);
		struct sc_kube_list_options lo = {
		    .label_selector = inf->label_selector,
		    .field_selector = inf->field_selector,
		    .limit = page_size,
		    .continue_token = cont,
		};
		if (sc_kube_list_query(&query, &lo, err) < 0)
			return -1;
		/* Item by item as the page arrives (see sc_list_decoder). */
		struct sc_list_decoder dec;
		sc_list_decoder_init(&dec, SC_KUBE_DEFAULT_MAX_BODY, on_list_item, &pg);
		struct sc_kube_call call = {.method = "GET",
					    .path = path.data,
					    .query = query.data,
					    .stream = on_list_bytes,
					    .stream_userdata = &dec,
					    .stop = &inf->stop};
		cleanup_json json_t *list = NULL;
		int r = sc_kube_call(inf->client, &call, NULL, err);
		if (r == 0)
			r = sc_list_decoder_finish(&dec, &list, err);
		sc_list_decoder_free(&dec);
		if (r < 0)
			return sc_error_wrap(err, "listing %s (page %u)", inf->res->resource,
					     page + 1);
		const char *list_rv = sc_json_resource_version(list);
		if (list_rv != NULL) {
			free(rv);
			rv = sc_xstrdup(list_rv);
		}
		const char *next = sc_json_path_str(list, "metadata.continue");
		free(cont);
		cont = next && *next ? sc_xstrdup(next) : NULL;
		if (cont == NULL)
			break;
	}
	*items_out = steal_pointer(&items);
	*rv_out = steal_pointer(&rv);
	return 0;
}

static int on_watch_event(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	(void)err;
	struct sc_informer *inf = userdata;
	if (ev->type != SC_WATCH_BOOKMARK && sc_json_name(ev->object) == NULL) {
		SC_LOG_WARN("informer %s: %s event without a name, ignored", inf->res->resource,
			    sc_watch_event_type_name(ev->type));
		return 0;
	}
	/* The event's object is the watch's, parsed for this event alone. */
	if (inf->transform != NULL && ev->object != NULL)
		inf->transform(ev->object);
	sc_informer_apply_event(inf->store, &inf->handlers, ev);
	return 0;
}

static void *informer_main(void *p)
{
	struct sc_informer *inf = p;
	unsigned attempt = 0;
	while (!atomic_load(&inf->stop)) {
		cleanup_error sc_error_t e = NULL;
		cleanup_json json_t *items = NULL;
		cleanup_free char *rv = NULL;
		int r = list_all(inf, inf->page_size, &items, &rv, &e);
		if (r < 0 && sc_error_is_gone(e) && !atomic_load(&inf->stop)) {
			/* The continue token expired mid-list: take it in one. */
			sc_error_release(&e);
			r = list_all(inf, 0, &items, &rv, &e);
		}
		if (atomic_load(&inf->stop))
			break;
		if (r < 0) {
			if (atomic_load(&inf->list_failing_since) == 0)
				atomic_store(&inf->list_failing_since, sc_now_ms());
			long long delay =
			    sc_backoff_delay(inf->backoff_initial_ms, inf->backoff_max_ms, attempt,
					     (double)rand_r(&inf->seed) / ((double)RAND_MAX + 1));
			if (attempt < 32)
				attempt++;
			SC_LOG_WARN("informer %s: %s; retrying in %lld ms", inf->res->resource,
				    sc_error_message(e), delay);
			if (wait_or_stop(inf, delay))
				break;
			continue;
		}
		attempt = 0;
		atomic_store(&inf->list_failing_since, 0);
		struct sc_store_delta *deltas = NULL;
		size_t n = sc_store_replace(inf->store, items, &deltas);
		sc_informer_dispatch(&inf->handlers, deltas, n);
		sc_store_deltas_free(deltas, n);
		sc_obj_release(); /* the pages as parsed, and what the store replaced */
		atomic_fetch_add(&inf->lists, 1);
		pthread_mutex_lock(&inf->lock);
		atomic_store(&inf->synced, true);
		pthread_cond_broadcast(&inf->cond);
		pthread_mutex_unlock(&inf->lock);
		SC_LOG_V(2, "informer %s: listed %zu objects at resourceVersion %s",
			 inf->res->resource, json_array_size(items), rv ? rv : "(none)");

		sc_watch_set_resource_version(inf->watch, rv);
		r = sc_watch_run(inf->watch, on_watch_event, inf, &e);
		if (r == 0)
			break; /* stopped */
		if (sc_error_is_gone(e)) {
			SC_LOG_V(1, "informer %s: %s; listing again", inf->res->resource,
				 sc_error_message(e));
			continue;
		}
		SC_LOG_WARN("informer %s: %s", inf->res->resource, sc_error_message(e));
		long long delay =
		    sc_backoff_delay(inf->backoff_initial_ms, inf->backoff_max_ms, attempt++,
				     (double)rand_r(&inf->seed) / ((double)RAND_MAX + 1));
		if (wait_or_stop(inf, delay))
			break;
	}
	/* Wake anyone still waiting for a sync that will not come. */
	pthread_mutex_lock(&inf->lock);
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->lock);
	return NULL;
}

int sc_informer_start(struct sc_informer *inf, sc_error_t *err)
{
	if (inf->started)
		return sc_error_make(err, EALREADY, "informer %s: already started",
				     inf->res->resource);
	if (atomic_load(&inf->stop))
		return sc_error_make(err, EINVAL, "informer %s: stopped; make a new one",
				     inf->res->resource);
	int r = pthread_create(&inf->thread, NULL, informer_main, inf);
	if (r != 0) {
		errno = r;
		return sc_error_make_errno(err, "informer %s: starting its thread",
					   inf->res->resource);
	}
	inf->started = true;
	return 0;
}

void sc_informer_stop(struct sc_informer *inf)
{
	atomic_store(&inf->stop, true);
	sc_watch_stop(inf->watch);
	pthread_mutex_lock(&inf->lock);
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->lock);
	if (inf->started) {
		pthread_join(inf->thread, NULL);
		inf->started = false;
	}
}

void sc_informer_free(struct sc_informer *inf)
{
	if (inf == NULL)
		return;
	sc_informer_stop(inf);
	sc_watch_free(inf->watch);
	sc_kube_client_free(inf->client);
	sc_store_free(inf->store);
	free(inf->ns);
	free(inf->label_selector);
	free(inf->field_selector);
	pthread_cond_destroy(&inf->cond);
	pthread_mutex_destroy(&inf->lock);
	free(inf);
}

bool sc_informer_healthy(struct sc_informer *inf, const char **why)
{
	if (!atomic_load(&inf->synced)) {
		*why = "not synced yet";
		return false;
	}
	if (atomic_load(&inf->list_failing_since) != 0) {
		*why = "listing fails";
		return false;
	}
	if (sc_watch_failing_since(inf->watch) != 0) {
		*why = "the watch fails or went silent";
		return false;
	}
	return true;
}

void sc_informer_for_each(struct sc_informer *inf, void (*fn)(const json_t *obj, void *data),
			  void *data)
{
	cleanup_json json_t *all = sc_informer_list(inf);
	size_t i;
	json_t *obj;
	json_array_foreach (all, i, obj)
		fn(obj, data);
}

bool sc_informer_has_synced(struct sc_informer *inf)
{
	return atomic_load(&inf->synced);
}

bool sc_informer_wait_for_sync(struct sc_informer *inf, long timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	sc_timespec_add_ms(&deadline, timeout_ms);
	pthread_mutex_lock(&inf->lock);
	while (!atomic_load(&inf->synced) && !atomic_load(&inf->stop)) {
		if (pthread_cond_timedwait(&inf->cond, &inf->lock, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&inf->lock);
	return atomic_load(&inf->synced);
}

json_t *sc_informer_get(struct sc_informer *inf, const char *key)
{
	return sc_store_get(inf->store, key);
}

json_t *sc_informer_list(struct sc_informer *inf)
{
	return sc_store_list(inf->store);
}

struct sc_store *sc_informer_store(struct sc_informer *inf)
{
	return inf->store;
}

unsigned sc_informer_lists(struct sc_informer *inf)
{
	return atomic_load(&inf->lists);
}
