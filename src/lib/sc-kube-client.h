/* The Kubernetes API client: HTTPS through libcurl, JSON through jansson.
 *
 *   cleanup_kube_client struct sc_kube_client *c = NULL;
 *   if (sc_kube_client_new(cfg, &(struct sc_kube_client_options){.component =
 *                          "sc-controller"}, &c, err) < 0)
 *           return -1;
 *   cleanup_json json_t *pod = NULL;
 *   if (sc_kube_get(c, &sc_kube_pods, "default", "demo", &pod, err) < 0) {
 *           if (sc_error_is_not_found(*err)) ...
 *   }
 *
 * Thread-safety: a client owns one curl easy handle (so connections are
 * reused) and serialises its requests with a mutex; it may be shared, but
 * threads then wait for each other. A long request — a watch — holds it for
 * minutes, so watches and informers create a client of their own.
 *
 * Errors follow docs/errors.md. An API error carries the HTTP status and the
 * Status reason, with a message like
 *   POST /api/v1/namespaces/ns/configmaps: 409 Conflict: configmaps "x" already exists
 * A transport error names the server:
 *   GET https://10.0.0.1:6443/api/v1/namespaces: Couldn't connect to server: ...
 *
 * Caps: response bodies are read into an sc_buf of at most max_body bytes
 * (default 64 MiB); a larger response is an EMSGSIZE error. */
#ifndef SC_KUBE_CLIENT_H
#define SC_KUBE_CLIENT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-api.h"
#include "lib/sc-buf.h"
#include "lib/sc-error.h"
#include "lib/sc-kubeconfig.h"
#include "lib/sc-metrics.h"

#define SC_KUBE_DEFAULT_MAX_BODY           (64u << 20)
#define SC_KUBE_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define SC_KUBE_DEFAULT_REQUEST_TIMEOUT_MS 60000L
/* 429 Too Many Requests (and 5xx) with Retry-After are sent again, at most
 * this many times, waiting at most this long each time. */
#define SC_KUBE_MAX_RETRIES        3
#define SC_KUBE_MAX_RETRY_AFTER_MS 10000LL

/* What a URL is built from: /api/v1/... for the core group ("" group),
 * /apis/<group>/<version>/... otherwise. */
struct sc_kube_resource {
	const char *group;
	const char *version;
	const char *resource; /* plural, lower case: "pods" */
	const char *kind;
	bool namespaced;
};

extern const struct sc_kube_resource sc_kube_pods;
extern const struct sc_kube_resource sc_kube_events;
extern const struct sc_kube_resource sc_kube_leases;
extern const struct sc_kube_resource sc_kube_namespaces;
extern const struct sc_kube_resource sc_kube_configmaps;
extern const struct sc_kube_resource sc_kube_stoppablecontainers;
extern const struct sc_kube_resource sc_kube_stoppablecontainerinstances;

#define SC_KUBE_GROUP   SC_GROUP
#define SC_KUBE_VERSION SC_API_VER

/* A token bucket: qps tokens a second, at most burst saved up. Pure, so it
 * is unit-tested with a fake clock; the client sleeps for what it returns. */
struct sc_rate_limiter {
	double qps;
	double burst;
	double tokens;
	long long last_ms;
};
void sc_rate_limiter_init(struct sc_rate_limiter *rl, double qps, int burst, long long now_ms);
/* Take one token; returns how many milliseconds to wait before using it
 * (0: now). Tokens may go negative: waiters queue up in time order. */
long long sc_rate_limiter_reserve(struct sc_rate_limiter *rl, long long now_ms);

struct sc_kube_client_options {
	const char *component;   /* User-Agent name: "sc-controller"; NULL: the program */
	const char *version;     /* NULL: SC_VERSION */
	long connect_timeout_ms; /* 0: default (10 s) */
	long request_timeout_ms; /* 0: default (60 s); watches set their own */
	size_t max_body;         /* 0: default (64 MiB) */
	double qps;              /* 0: no client-side rate limit */
	int burst;               /* with qps; 0 means 1 */
};

struct sc_kube_client;

int sc_kube_client_new(const struct sc_kube_config *cfg, const struct sc_kube_client_options *opts,
		       struct sc_kube_client **out, sc_error_t *err);
void sc_kube_client_free(struct sc_kube_client *c);
void sc_cleanup_kube_clientp(struct sc_kube_client **c);
#define cleanup_kube_client __attribute__((cleanup(sc_cleanup_kube_clientp)))
/* The configuration the client was made from (its own copy). */
const struct sc_kube_config *sc_kube_client_config(const struct sc_kube_client *c);
const char *sc_kube_client_user_agent(const struct sc_kube_client *c);
/* The bearer token the next request will send, re-read from the token file
 * first if it changed (for tests and diagnostics; valid until the next
 * request on this client). */
const char *sc_kube_client_token(struct sc_kube_client *c);

/* ---- URL building (pure) ---- */

/* Percent-encode everything but RFC 3986 unreserved characters. */
char *sc_kube_escape(const char *s);
/* Append "/api/v1/namespaces/ns/pods/name/sub" to out. ns is required for a
 * namespaced resource with a name (NULL lists across namespaces); name and
 * subresource may be NULL. Namespaces must be DNS-1123 labels; names and
 * subresources non-empty, not "." or "..", without '/' or '%'. */
int sc_kube_path(struct sc_buf *out, const struct sc_kube_resource *res, const char *ns,
		 const char *name, const char *subresource, sc_error_t *err);
/* Append "key=value" (both escaped) to a query string, with '&' between. */
void sc_kube_query_add(struct sc_buf *query, const char *key, const char *value);

/* ---- errors (pure) ---- */

/* Make the error for a non-2xx response from its body: a Status object's
 * reason and message, else the start of the body, else just the status. */
int sc_kube_status_error(sc_error_t *err, const char *method, const char *path, long http_status,
			 const char *body, size_t len);
/* An error from a Status object (watch ERROR events). */
int sc_kube_status_object_error(sc_error_t *err, const char *what, const json_t *status);
const char *sc_http_reason_phrase(long status);
/* How long to wait before sending again, from a response's status and its
 * Retry-After header (delta-seconds, capped); -1: do not retry. */
long long sc_kube_retry_after_ms(long http_status, const char *retry_after);

/* ---- the raw request ---- */

struct sc_kube_call {
	const char *method;       /* "GET", "POST", ... */
	const char *path;         /* from sc_kube_path */
	const char *query;        /* without '?', may be NULL */
	const char *content_type; /* for a body */
	const char *body;
	size_t body_len;
	long timeout_ms; /* 0: the client's request timeout; < 0: none */
	/* > 0: end the request (ETIMEDOUT) when no byte of the body arrived
	 * for this long, checked about once a second (a stream from a frozen
	 * server); 0: no such limit. */
	long idle_timeout_ms;
	/* Streaming: a 2xx response body goes here as it arrives instead of
	 * into a buffer; returning -1 (with *err set) ends the request. */
	int (*stream)(const char *data, size_t len, void *userdata, sc_error_t *err);
	void *stream_userdata;
	/* Checked about once a second while the request runs: when it turns
	 * true the request ends with ECANCELED. */
	const atomic_bool *stop;
};

/* Send one request. A 2xx body is parsed into *out when out is not NULL
 * (an empty body gives JSON null). Requests the server throttled (429 or
 * 5xx with Retry-After) are sent again up to SC_KUBE_MAX_RETRIES times. */
int sc_kube_call(struct sc_kube_client *c, const struct sc_kube_call *call, json_t **out,
		 sc_error_t *err);

/* ---- request counting ---- */

/* Counts every request any client of this process sends from now on in the
 * counter sc_kube_requests_total{verb,resource,code} of reg, as client-go's
 * request metrics do: process-wide, so the informers' and watches' own
 * clients are counted too. Call it once, before making clients (NULL stops
 * counting); reg must outlive every client. A request is counted when it
 * ends (a watch when its stream ends), each attempt of a retried one. */
void sc_kube_count_requests(struct sc_metrics *reg);

/* The labels of one request (pure). The verb is the API server's:
 * get, list, watch, create, update, patch, delete, deletecollection; for a
 * path that names no resource (/version, discovery) the lower-case method.
 * The resource is the plural with its subresource ("pods",
 * "stoppablecontainers/status"), "" for such paths; the caller frees it. */
const char *sc_kube_request_verb(const char *method, const char *path, const char *query);
char *sc_kube_request_resource(const char *path);

/* ---- verbs ---- */

struct sc_kube_list_options {
	const char *label_selector;
	const char *field_selector;
	long limit; /* 0: no limit */
	const char *continue_token;
	const char *resource_version;
	const char *resource_version_match; /* "Exact" / "NotOlderThan" */
	long timeout_seconds;
};

struct sc_kube_write_options {
	const char *subresource;   /* "status", or NULL */
	const char *field_manager; /* required for server-side apply */
	bool force;                /* server-side apply: take over conflicting fields */
	bool dry_run;
};

enum sc_kube_patch_type {
	SC_KUBE_PATCH_MERGE,     /* application/merge-patch+json */
	SC_KUBE_PATCH_JSON,      /* application/json-patch+json */
	SC_KUBE_PATCH_STRATEGIC, /* built-in types only */
	SC_KUBE_PATCH_APPLY,     /* server-side apply */
};

struct sc_kube_delete_options {
	const char *propagation_policy; /* "Foreground", "Background", "Orphan" */
	bool has_grace_period;
	long grace_period_seconds;
	const char *precondition_uid;
	const char *precondition_resource_version;
	bool dry_run;
};

/* For namespaced resources, ns NULL in create/update means the object's
 * metadata.namespace. In list, NULL means all namespaces. */
int sc_kube_get(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		const char *name, json_t **out, sc_error_t *err);
int sc_kube_get_subresource(struct sc_kube_client *c, const struct sc_kube_resource *res,
			    const char *ns, const char *name, const char *subresource, json_t **out,
			    sc_error_t *err);
int sc_kube_list(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		 const struct sc_kube_list_options *opts, json_t **out, sc_error_t *err);
int sc_kube_create(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		   const json_t *obj, const struct sc_kube_write_options *opts, json_t **out,
		   sc_error_t *err);
/* PUT: the object's metadata.resourceVersion makes it a compare-and-swap
 * (409 Conflict when stale). */
int sc_kube_update(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		   const json_t *obj, const struct sc_kube_write_options *opts, json_t **out,
		   sc_error_t *err);
int sc_kube_update_status(struct sc_kube_client *c, const struct sc_kube_resource *res,
			  const char *ns, const json_t *obj, json_t **out, sc_error_t *err);
int sc_kube_patch(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		  const char *name, enum sc_kube_patch_type type, const json_t *patch,
		  const struct sc_kube_write_options *opts, json_t **out, sc_error_t *err);
int sc_kube_delete(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		   const char *name, const struct sc_kube_delete_options *opts, json_t **out,
		   sc_error_t *err);

/* Add (present true) or remove a finalizer of obj with one JSON patch that
 * first tests obj's resourceVersion, so it never clobbers a concurrent
 * change of the list (the test fails with 422 Invalid or 409; re-read and
 * retry). extra_ops (may be NULL) are JSON patch operations appended to the
 * same patch, applied atomically with it. */
int sc_kube_set_finalizer(struct sc_kube_client *c, const struct sc_kube_resource *res,
			  const json_t *obj, const char *finalizer, bool present,
			  const json_t *extra_ops, sc_error_t *err);

/* Build the pieces of a request without sending it (pure; the verbs use
 * these, and the unit tests check them). */
int sc_kube_list_query(struct sc_buf *query, const struct sc_kube_list_options *opts,
		       sc_error_t *err);
void sc_kube_write_query(struct sc_buf *query, const struct sc_kube_write_options *opts,
			 enum sc_kube_patch_type type, bool is_patch);
json_t *sc_kube_delete_body(const struct sc_kube_delete_options *opts);
const char *sc_kube_patch_content_type(enum sc_kube_patch_type type);

#endif
