#include "lib/sc-watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/sc-json.h"
#include "lib/sc-log.h"

/* ---- events and framing ---- */

static const char *const type_names[] = {
    [SC_WATCH_ADDED] = "ADDED",     [SC_WATCH_MODIFIED] = "MODIFIED",
    [SC_WATCH_DELETED] = "DELETED", [SC_WATCH_BOOKMARK] = "BOOKMARK",
    [SC_WATCH_ERROR] = "ERROR",
};

const char *sc_watch_event_type_name(enum sc_watch_event_type type)
{
	if ((size_t)type < SC_ARRAY_SIZE(type_names))
		return type_names[type];
	return "UNKNOWN";
}

int sc_watch_parse_event(const char *line, size_t len, enum sc_watch_event_type *type,
			 json_t **object, sc_error_t *err)
{
	json_error_t jerr;
	cleanup_json json_t *ev = json_loadb(line, len, 0, &jerr);
	if (ev == NULL)
		return sc_error_make(err, EBADMSG, "invalid JSON: line %d column %d: %s", jerr.line,
				     jerr.column, jerr.text);
	if (!json_is_object(ev))
		return sc_error_make(err, EBADMSG, "an event must be a JSON object");
	const char *t = json_string_value(json_object_get(ev, "type"));
	if (t == NULL)
		return sc_error_make(err, EBADMSG, "event without a \"type\"");
	size_t i;
	for (i = 0; i < SC_ARRAY_SIZE(type_names); i++)
		if (strcmp(t, type_names[i]) == 0)
			break;
	if (i == SC_ARRAY_SIZE(type_names)) {
		cleanup_free char *shown = sc_xstrndup(t, 64);
		return sc_error_make(err, EBADMSG, "unknown event type \"%s\"", shown);
	}
	json_t *obj = json_object_get(ev, "object");
	if (!json_is_object(obj))
		return sc_error_make(err, EBADMSG, "%s event without an object", type_names[i]);
	*type = (enum sc_watch_event_type)i;
	*object = json_incref(obj);
	return 0;
}

void sc_watch_decoder_init(struct sc_watch_decoder *d, size_t max_line, sc_watch_event_fn fn,
			   void *userdata)
{
	if (max_line == 0)
		max_line = SC_WATCH_DEFAULT_MAX_LINE;
	sc_buf_init(&d->line, max_line);
	d->max_line = max_line;
	d->events = 0;
	d->fn = fn;
	d->userdata = userdata;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static int handle_line(struct sc_watch_decoder *d, const char *line, size_t n, sc_error_t *err)
{
	if (blank(line, n))
		return 0;
	enum sc_watch_event_type type;
	cleanup_json json_t *obj = NULL;
	if (sc_watch_parse_event(line, n, &type, &obj, err) < 0)
		return sc_error_wrap(err, "watch event %zu", d->events + 1);
	d->events++;
	struct sc_watch_event ev = {.type = type, .object = obj};
	return d->fn != NULL ? d->fn(&ev, d->userdata, err) : 0;
}

static int too_long(struct sc_watch_decoder *d, sc_error_t *err)
{
	return sc_error_make(err, EMSGSIZE, "watch event %zu: longer than the limit of %zu bytes",
			     d->events + 1, d->max_line);
}

int sc_watch_decoder_feed(struct sc_watch_decoder *d, const char *data, size_t len, sc_error_t *err)
{
	size_t pos = 0;
	while (pos < len) {
		const char *start = data + pos;
		const char *nl = memchr(start, '\n', len - pos);
		if (nl == NULL) {
			size_t rest = len - pos;
			if (rest > d->max_line - d->line.len)
				return too_long(d, err);
			return sc_buf_append(&d->line, start, rest, err);
		}
		size_t n = (size_t)(nl - start);
		int r;
		if (d->line.len == 0) {
			/* The common case, a whole line inside this chunk:
			 * decode it in place, no copy. */
			if (n > d->max_line)
				return too_long(d, err);
			r = handle_line(d, start, n, err);
		} else {
			if (n > d->max_line - d->line.len)
				return too_long(d, err);
			if (sc_buf_append(&d->line, start, n, err) < 0)
				return -1;
			r = handle_line(d, d->line.data, d->line.len, err);
			sc_buf_reset(&d->line);
		}
		if (r < 0)
			return -1;
		pos += n + 1;
	}
	return 0;
}

int sc_watch_decoder_finish(struct sc_watch_decoder *d, sc_error_t *err)
{
	if (d->line.len > 0 && !blank(d->line.data, d->line.len))
		return sc_error_make(err, EPROTO,
				     "watch stream ended inside event %zu (%zu bytes unfinished)",
				     d->events + 1, d->line.len);
	return 0;
}

void sc_watch_decoder_reset(struct sc_watch_decoder *d)
{
	sc_buf_reset(&d->line);
}

void sc_watch_decoder_free(struct sc_watch_decoder *d)
{
	sc_buf_free(&d->line);
}

long long sc_backoff_delay(long initial_ms, long max_ms, unsigned attempt, double random01)
{
	long long d = initial_ms > 0 ? initial_ms : 1;
	for (unsigned i = 0; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (random01 < 0)
		random01 = 0;
	if (random01 >= 1)
		random01 = 0.999999;
	long long half = d / 2;
	return half + (long long)(random01 * (double)(d - half));
}

/* ---- the watch ---- */

struct sc_watch {
	struct sc_kube_client *client;
	const struct sc_kube_resource *res;
	char *ns;
	char *label_selector;
	char *field_selector;
	char *rv;
	long timeout_seconds;
	size_t max_line;
	long backoff_initial_ms;
	long backoff_max_ms;
	unsigned reconnects;
	atomic_llong failing_since; /* monotonic ms of the first failure in a row; 0: fine */
	unsigned seed;

	atomic_bool stop;
	pthread_mutex_t lock; /* with cond: backoff waits that stop can cut */
	pthread_cond_t cond;

	/* the request in progress */
	struct sc_watch_decoder dec;
	sc_watch_event_fn fn;
	void *userdata;
	bool callback_failed;
};

int sc_watch_new(struct sc_kube_client *client, const struct sc_kube_resource *res,
		 const struct sc_watch_options *opts, struct sc_watch **out, sc_error_t *err)
{
	static const struct sc_watch_options none = {0};
	if (opts == NULL)
		opts = &none;
	cleanup_buf struct sc_buf path = SC_BUF_INIT(4096);
	/* Check the namespace now, not at the first reconnect. */
	if (sc_kube_path(&path, res, opts->namespace, NULL, NULL, err) < 0)
		return sc_error_wrap(err, "watch %s", res->resource);
	if (opts->timeout_seconds < 0)
		return sc_error_make(err, EINVAL, "watch %s: negative timeout", res->resource);
	struct sc_watch *w = sc_xzalloc(sizeof(*w));
	w->client = client;
	w->res = res;
	w->ns = sc_xstrdup(opts->namespace);
	w->label_selector = sc_xstrdup(opts->label_selector);
	w->field_selector = sc_xstrdup(opts->field_selector);
	w->rv = opts->resource_version && *opts->resource_version
		    ? sc_xstrdup(opts->resource_version)
		    : NULL;
	w->timeout_seconds =
	    opts->timeout_seconds > 0 ? opts->timeout_seconds : SC_WATCH_DEFAULT_TIMEOUT_SECONDS;
	w->max_line = opts->max_line > 0 ? opts->max_line : SC_WATCH_DEFAULT_MAX_LINE;
	w->backoff_initial_ms =
	    opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : SC_WATCH_DEFAULT_BACKOFF_MS;
	w->backoff_max_ms =
	    opts->backoff_max_ms > 0 ? opts->backoff_max_ms : SC_WATCH_DEFAULT_BACKOFF_MAX_MS;
	w->seed = (unsigned)sc_now_ms() ^ (unsigned)(uintptr_t)w;
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->lock, NULL);
	sc_cond_init_monotonic(&w->cond);
	*out = w;
	return 0;
}

void sc_watch_free(struct sc_watch *w)
{
	if (w == NULL)
		return;
	free(w->ns);
	free(w->label_selector);
	free(w->field_selector);
	free(w->rv);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void sc_watch_query(const struct sc_watch *w, struct sc_buf *query)
{
	struct sc_kube_list_options lo = {
	    .label_selector = w->label_selector,
	    .field_selector = w->field_selector,
	    .resource_version = w->rv,
	    .timeout_seconds = w->timeout_seconds,
	};
	sc_kube_query_add(query, "watch", "true");
	sc_kube_query_add(query, "allowWatchBookmarks", "true");
	sc_kube_list_query(query, &lo, NULL);
}

const char *sc_watch_resource_version(const struct sc_watch *w)
{
	return w->rv;
}

void sc_watch_set_resource_version(struct sc_watch *w, const char *rv)
{
	free(w->rv);
	w->rv = rv && *rv ? sc_xstrdup(rv) : NULL;
}

unsigned sc_watch_reconnects(const struct sc_watch *w)
{
	return w->reconnects;
}

long long sc_watch_failing_since(struct sc_watch *w)
{
	return atomic_load(&w->failing_since);
}

void sc_watch_stop(struct sc_watch *w)
{
	atomic_store(&w->stop, true);
	pthread_mutex_lock(&w->lock);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

bool sc_watch_stopping(struct sc_watch *w)
{
	return atomic_load(&w->stop);
}

static int on_event(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	struct sc_watch *w = userdata;
	if (ev->type == SC_WATCH_ERROR) {
		cleanup_free char *what = sc_xasprintf("watch %s", w->res->resource);
		return sc_kube_status_object_error(err, what, ev->object);
	}
	if (w->fn != NULL && w->fn(ev, w->userdata, err) < 0) {
		w->callback_failed = true;
		return -1;
	}
	/* Resume point: only after the event was handled. */
	const char *rv = sc_json_resource_version(ev->object);
	if (rv != NULL && *rv != '\0')
		sc_watch_set_resource_version(w, rv);
	return 0;
}

static int on_stream(const char *data, size_t len, void *userdata, sc_error_t *err)
{
	struct sc_watch *w = userdata;
	atomic_store(&w->failing_since, 0);
	return sc_watch_decoder_feed(&w->dec, data, len, err);
}

int sc_watch_once(struct sc_watch *w, sc_watch_event_fn fn, void *userdata, sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT(4096);
	cleanup_buf struct sc_buf query = SC_BUF_INIT(64 * 1024);
	if (sc_kube_path(&path, w->res, w->ns, NULL, NULL, err) < 0)
		return -1;
	sc_watch_query(w, &query);
	w->fn = fn;
	w->userdata = userdata;
	w->callback_failed = false;
	sc_watch_decoder_init(&w->dec, w->max_line, on_event, w);
	struct sc_kube_call call = {
	    .method = "GET",
	    .path = path.data,
	    .query = query.data,
	    /* The server ends the stream after timeoutSeconds; the client
	     * deadline is a little later and only catches a dead peer. */
	    .timeout_ms = (w->timeout_seconds + 30) * 1000,
	    /* A stream that stays silent this long is dead (a frozen or
	     * partitioned server sends nothing and ends nothing): the API
	     * server sends a bookmark about once a minute. */
	    .idle_timeout_ms = SC_WATCH_IDLE_TIMEOUT_MS,
	    .stream = on_stream,
	    .stream_userdata = w,
	    .stop = &w->stop,
	};
	int r = sc_kube_call(w->client, &call, NULL, err);
	if (r == 0)
		r = sc_watch_decoder_finish(&w->dec, err);
	sc_watch_decoder_free(&w->dec);
	return r;
}

/* Sleep ms unless stopped first; true when stopped. */
static bool wait_or_stop(struct sc_watch *w, long long ms)
{
	return sc_wait_or_stop(&w->lock, &w->cond, &w->stop, ms);
}

int sc_watch_run(struct sc_watch *w, sc_watch_event_fn fn, void *userdata, sc_error_t *err)
{
	unsigned attempt = 0;
	while (!atomic_load(&w->stop)) {
		cleanup_error sc_error_t e = NULL;
		long long started = sc_now_ms();
		int r = sc_watch_once(w, fn, userdata, &e);
		if (atomic_load(&w->stop))
			return 0;
		size_t events = w->dec.events;
		bool healthy = sc_now_ms() - started >= 1000 || events > 0;
		if (r < 0 && (w->callback_failed || sc_error_is_gone(e))) {
			*err = steal_pointer(&e);
			return -1;
		}
		if (healthy && r == 0)
			atomic_store(&w->failing_since, 0);
		else if (r < 0 && atomic_load(&w->failing_since) == 0)
			atomic_store(&w->failing_since, sc_now_ms());
		if (healthy)
			attempt = 0;
		w->reconnects++;
		if (r == 0 && healthy)
			continue; /* the server's timeout: resume at once */
		long long delay =
		    sc_backoff_delay(w->backoff_initial_ms, w->backoff_max_ms, attempt,
				     (double)rand_r(&w->seed) / ((double)RAND_MAX + 1));
		if (attempt < 32)
			attempt++;
		if (r < 0)
			SC_LOG_WARN("watch %s: %s; reconnecting in %lld ms", w->res->resource,
				    sc_error_message(e), delay);
		if (wait_or_stop(w, delay))
			return 0;
	}
	return 0;
}
