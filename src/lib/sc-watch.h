/* Watching a collection: `GET ...?watch=true&allowWatchBookmarks=true&
 * resourceVersion=RV` streams one JSON event a line:
 *
 *   {"type":"ADDED","object":{...}}\n{"type":"BOOKMARK","object":{...}}\n
 *
 * Two layers:
 *  - the decoder (pure, unit-tested, fuzzed): bytes in, events out, however
 *    the bytes are split; a line longer than max_line, invalid JSON or an
 *    unknown event type is an error (the caller reconnects), and no more
 *    than max_line bytes are ever buffered;
 *  - the watch: one curl stream at a time on a client it uses alone,
 *    resuming from the last resourceVersion seen (BOOKMARKs move it too),
 *    reconnecting with capped exponential backoff and jitter. A 410 Gone
 *    (as an ERROR event or as the response) ends sc_watch_run with an error
 *    for which sc_error_is_gone() holds: the caller must list again. */
#ifndef SC_WATCH_H
#define SC_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-buf.h"
#include "lib/sc-error.h"
#include "lib/sc-kube-client.h"

#define SC_WATCH_DEFAULT_MAX_LINE        (16u << 20)
#define SC_WATCH_DEFAULT_TIMEOUT_SECONDS 300L
/* A watch stream silent this long is taken for dead and replaced (the API
 * server sends a bookmark about once a minute to a watch that asked for
 * them; a frozen server sends nothing and never ends the stream). */
#define SC_WATCH_IDLE_TIMEOUT_MS        90000L
#define SC_WATCH_DEFAULT_BACKOFF_MS     200L
#define SC_WATCH_DEFAULT_BACKOFF_MAX_MS 30000L

enum sc_watch_event_type {
	SC_WATCH_ADDED,
	SC_WATCH_MODIFIED,
	SC_WATCH_DELETED,
	SC_WATCH_BOOKMARK,
	SC_WATCH_ERROR, /* object is a Status */
};

struct sc_watch_event {
	enum sc_watch_event_type type;
	json_t *object; /* borrowed for the duration of the callback */
};

/* Return -1 with *err set to stop decoding (and the watch). */
typedef int (*sc_watch_event_fn)(const struct sc_watch_event *ev, void *userdata, sc_error_t *err);

const char *sc_watch_event_type_name(enum sc_watch_event_type type);

/* Parse one line (without its '\n'); *object gets a new reference. */
int sc_watch_parse_event(const char *line, size_t len, enum sc_watch_event_type *type,
			 json_t **object, sc_error_t *err);

struct sc_watch_decoder {
	struct sc_buf line; /* the incomplete last line; never over max_line */
	size_t max_line;
	size_t events; /* decoded so far, for messages */
	sc_watch_event_fn fn;
	void *userdata;
};

void sc_watch_decoder_init(struct sc_watch_decoder *d, size_t max_line, sc_watch_event_fn fn,
			   void *userdata);
/* Feed bytes; complete lines are decoded and handed to fn in order. After
 * an error the decoder must be reset before it is fed again. */
int sc_watch_decoder_feed(struct sc_watch_decoder *d, const char *data, size_t len,
			  sc_error_t *err);
/* End of stream: an unfinished event is an error (EPROTO). */
int sc_watch_decoder_finish(struct sc_watch_decoder *d, sc_error_t *err);
void sc_watch_decoder_reset(struct sc_watch_decoder *d);
void sc_watch_decoder_free(struct sc_watch_decoder *d);

/* Backoff before reconnect number `attempt` (0-based): initial * 2^attempt,
 * capped at max, then "equal jitter": half of it fixed, half random
 * (random01 in [0,1)), so many watchers do not reconnect in step. */
long long sc_backoff_delay(long initial_ms, long max_ms, unsigned attempt, double random01);

struct sc_watch_options {
	const char *namespace; /* NULL: all namespaces */
	const char *label_selector;
	const char *field_selector;
	const char *resource_version; /* where to start; NULL: "now" */
	long timeout_seconds;         /* the server ends the stream after this */
	size_t max_line;
	long backoff_initial_ms;
	long backoff_max_ms;
};

struct sc_watch;

/* client is borrowed and must not be used by anyone else while the watch
 * runs (a watch holds it for minutes). */
int sc_watch_new(struct sc_kube_client *client, const struct sc_kube_resource *res,
		 const struct sc_watch_options *opts, struct sc_watch **out, sc_error_t *err);
void sc_watch_free(struct sc_watch *w);

/* The query of the next request (pure; for tests). */
void sc_watch_query(const struct sc_watch *w, struct sc_buf *query);

/* One request: 0 when the server ended the stream normally; -1 on any
 * error (410 Gone, transport, framing, callback, ECANCELED when stopped). */
int sc_watch_once(struct sc_watch *w, sc_watch_event_fn fn, void *userdata, sc_error_t *err);
/* Watch until stopped (returns 0), 410 Gone or a callback error (-1).
 * The resume point moves past an event only once fn accepted it, so an
 * event fn refused is delivered again by the next run (at least once).
 * Other failures are logged and retried with backoff. fn sees ADDED,
 * MODIFIED, DELETED and BOOKMARK events; ERROR events become errors. */
int sc_watch_run(struct sc_watch *w, sc_watch_event_fn fn, void *userdata, sc_error_t *err);
/* From any thread: end the running request within about a second (curl's
 * progress callback checks the flag) and cut any backoff wait short. */
void sc_watch_stop(struct sc_watch *w);
bool sc_watch_stopping(struct sc_watch *w);
/* The resourceVersion the next request resumes from (may be NULL). */
const char *sc_watch_resource_version(const struct sc_watch *w);
void sc_watch_set_resource_version(struct sc_watch *w, const char *rv);
/* The monotonic time (sc_now_ms) of the first of the failures in a row
 * (connection refused, a dead stream), or 0 while the watch is fine: data
 * has arrived since. */
long long sc_watch_failing_since(struct sc_watch *w);
/* Reconnects since creation (for tests and metrics). */
unsigned sc_watch_reconnects(const struct sc_watch *w);

#endif
