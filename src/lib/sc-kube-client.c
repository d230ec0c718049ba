#include "lib/sc-kube-client.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/sc-json.h"
#include "lib/sc-log.h"
#include "lib/sc-tls.h"
#include "lib/sc-validate.h"

#ifndef SC_VERSION
#define SC_VERSION "0.0.0"
#endif

#if defined(__x86_64__)
#define SC_ARCH "amd64"
#elif defined(__aarch64__)
#define SC_ARCH "arm64"
#elif defined(__i386__)
#define SC_ARCH "386"
#else
#define SC_ARCH "unknown"
#endif

/* A rotated service-account token is picked up within this long even when
 * its mtime did not change (a new file with the same mtime). */
#define TOKEN_REREAD_MS 60000LL

const struct sc_kube_resource sc_kube_pods = {"", "v1", "pods", "Pod", true};
const struct sc_kube_resource sc_kube_events = {"", "v1", "events", "Event", true};
const struct sc_kube_resource sc_kube_leases = {"coordination.k8s.io", "v1", "leases", "Lease",
						true};
const struct sc_kube_resource sc_kube_namespaces = {"", "v1", "namespaces", "Namespace", false};
const struct sc_kube_resource sc_kube_configmaps = {"", "v1", "configmaps", "ConfigMap", true};
const struct sc_kube_resource sc_kube_stoppablecontainers = {SC_KUBE_GROUP, SC_KUBE_VERSION,
							     "stoppablecontainers", SC_KIND, true};
const struct sc_kube_resource sc_kube_stoppablecontainerinstances = {
    SC_KUBE_GROUP, SC_KUBE_VERSION, "stoppablecontainerinstances", SCI_KIND, true};

/* One easy handle and its own error text: a request in flight owns it. */
struct handle {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* Idle handles kept for reuse; more requests at once get handles of their own. */
#define POOL_SIZE 8

struct sc_kube_client {
	pthread_mutex_t lock; /* the token, the rate limiter and the pool */
	/* Configured once (TLS, timeouts, user agent) and never performed: every
	 * handle is a copy of it. Requests run concurrently, one handle each, and
	 * share connections, TLS sessions and DNS through `share`. */
	CURL *proto;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	struct handle *pool[POOL_SIZE];
	size_t pooled;
	struct sc_kube_config *cfg;
	char *user_agent;
	long connect_timeout_ms;
	long request_timeout_ms;
	size_t max_body;
	bool limited;
	struct sc_rate_limiter limiter;
	/* bearer token, re-read from cfg->token_file when it changes */
	char *token;
	long long token_read_ms;
	struct stat token_stat;
	/* the server's address when it is an IP literal: sc-tls's check */
	struct sc_tls_host tls_host;
};

/* ---- rate limiter ---- */

void sc_rate_limiter_init(struct sc_rate_limiter *rl, double qps, int burst, long long now_ms)
{
	rl->qps = qps;
	rl->burst = burst > 0 ? burst : 1;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms;
}

long long sc_rate_limiter_reserve(struct sc_rate_limiter *rl, long long now_ms)
{
	if (rl->qps <= 0)
		return 0;
	if (now_ms > rl->last_ms) {
		rl->tokens += (double)(now_ms - rl->last_ms) * rl->qps / 1000.0;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	rl->tokens -= 1.0;
	if (rl->tokens >= 0)
		return 0;
	/* Round up so the caller never wakes a millisecond early. */
	double wait = -rl->tokens * 1000.0 / rl->qps;
	long long w = (long long)wait;
	return (double)w < wait ? w + 1 : w;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* ---- URL building ---- */

char *sc_kube_escape(const char *s)
{
	/* curl_easy_escape keeps exactly the RFC 3986 unreserved characters
	 * and writes %XX (upper case) for every other byte. Its result is
	 * freed with curl_free; ours with free. */
	size_t n = strlen(s);
	/* NULL only when out of memory (or for a string over 2 GiB): fatal,
	 * as for the sc_x* allocators. */
	char *e = n <= INT_MAX ? curl_easy_escape(NULL, s, (int)n) : NULL;
	if (e == NULL)
		abort();
	char *out = sc_xstrdup(e);
	curl_free(e);
	return out;
}

/* The API server's own rule for names in a path (path segment names). */
static int check_segment(const char *what, const char *value, sc_error_t *err)
{
	if (value == NULL || *value == '\0')
		return sc_error_make(err, EINVAL, "invalid %s: missing", what);
	if (strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": may not be '.' or '..'", what,
				     value);
	if (strpbrk(value, "/%") != NULL)
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": may not contain '/' or '%%'",
				     what, value);
	if (strlen(value) > 253)
		return sc_error_make(err, EINVAL, "invalid %s: longer than 253 characters", what);
	return 0;
}

static void append_segment(struct sc_buf *out, const char *seg)
{
	cleanup_free char *e = sc_kube_escape(seg);
	sc_buf_append_str(out, "/", NULL);
	sc_buf_append_str(out, e, NULL);
}

int sc_kube_path(struct sc_buf *out, const struct sc_kube_resource *res, const char *ns,
		 const char *name, const char *subresource, sc_error_t *err)
{
	if (res->namespaced && name != NULL && ns == NULL)
		return sc_error_make(err, EINVAL, "%s \"%s\": a namespace is required",
				     res->resource, name);
	if (res->namespaced && ns != NULL && sc_validate_dns1123_label("namespace", ns, err) < 0)
		return -1;
	if (name != NULL && check_segment("name", name, err) < 0)
		return -1;
	if (subresource != NULL && check_segment("subresource", subresource, err) < 0)
		return -1;
	if (subresource != NULL && name == NULL)
		return sc_error_make(err, EINVAL, "subresource %s needs an object name",
				     subresource);
	if (res->group == NULL || res->group[0] == '\0') {
		sc_buf_append_str(out, "/api", NULL);
	} else {
		sc_buf_append_str(out, "/apis", NULL);
		append_segment(out, res->group);
	}
	append_segment(out, res->version);
	if (res->namespaced && ns != NULL) {
		sc_buf_append_str(out, "/namespaces", NULL);
		append_segment(out, ns);
	}
	append_segment(out, res->resource);
	if (name != NULL)
		append_segment(out, name);
	if (subresource != NULL)
		append_segment(out, subresource);
	return 0;
}

void sc_kube_query_add(struct sc_buf *query, const char *key, const char *value)
{
	cleanup_free char *k = sc_kube_escape(key);
	cleanup_free char *v = sc_kube_escape(value);
	if (query->len > 0)
		sc_buf_append_str(query, "&", NULL);
	sc_buf_printf(query, NULL, "%s=%s", k, v);
}

int sc_kube_list_query(struct sc_buf *q, const struct sc_kube_list_options *o, sc_error_t *err)
{
	if (o == NULL)
		return 0;
	if (o->limit < 0 || o->timeout_seconds < 0)
		return sc_error_make(err, EINVAL, "list: limit and timeout must not be negative");
	if (o->label_selector != NULL && *o->label_selector)
		sc_kube_query_add(q, "labelSelector", o->label_selector);
	if (o->field_selector != NULL && *o->field_selector)
		sc_kube_query_add(q, "fieldSelector", o->field_selector);
	if (o->limit > 0) {
		char num[32];
		snprintf(num, sizeof(num), "%ld", o->limit);
		sc_kube_query_add(q, "limit", num);
	}
	if (o->continue_token != NULL && *o->continue_token)
		sc_kube_query_add(q, "continue", o->continue_token);
	if (o->resource_version != NULL)
		sc_kube_query_add(q, "resourceVersion", o->resource_version);
	if (o->resource_version_match != NULL && *o->resource_version_match)
		sc_kube_query_add(q, "resourceVersionMatch", o->resource_version_match);
	if (o->timeout_seconds > 0) {
		char num[32];
		snprintf(num, sizeof(num), "%ld", o->timeout_seconds);
		sc_kube_query_add(q, "timeoutSeconds", num);
	}
	return 0;
}

void sc_kube_write_query(struct sc_buf *q, const struct sc_kube_write_options *o,
			 enum sc_kube_patch_type type, bool is_patch)
{
	if (o == NULL)
		return;
	if (o->field_manager != NULL && *o->field_manager)
		sc_kube_query_add(q, "fieldManager", o->field_manager);
	/* force is only meaningful (and only accepted) for apply. */
	if (is_patch && type == SC_KUBE_PATCH_APPLY && o->force)
		sc_kube_query_add(q, "force", "true");
	if (o->dry_run)
		sc_kube_query_add(q, "dryRun", "All");
}

json_t *sc_kube_delete_body(const struct sc_kube_delete_options *o)
{
	json_t *body = json_pack("{s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
	if (o == NULL)
		return body;
	if (o->propagation_policy != NULL)
		json_object_set_new(body, "propagationPolicy", json_string(o->propagation_policy));
	if (o->has_grace_period)
		json_object_set_new(body, "gracePeriodSeconds",
				    json_integer(o->grace_period_seconds));
	if (o->precondition_uid != NULL || o->precondition_resource_version != NULL) {
		json_t *pre = json_object();
		if (o->precondition_uid != NULL)
			json_object_set_new(pre, "uid", json_string(o->precondition_uid));
		if (o->precondition_resource_version != NULL)
			json_object_set_new(pre, "resourceVersion",
					    json_string(o->precondition_resource_version));
		json_object_set_new(body, "preconditions", pre);
	}
	if (o->dry_run)
		json_object_set_new(body, "dryRun", json_pack("[s]", "All"));
	return body;
}

const char *sc_kube_patch_content_type(enum sc_kube_patch_type type)
{
	switch (type) {
	case SC_KUBE_PATCH_MERGE:
		return "application/merge-patch+json";
	case SC_KUBE_PATCH_JSON:
		return "application/json-patch+json";
	case SC_KUBE_PATCH_STRATEGIC:
		return "application/strategic-merge-patch+json";
	case SC_KUBE_PATCH_APPLY:
		/* JSON is YAML: the API server takes a JSON body here. */
		return "application/apply-patch+yaml";
	}
	return "application/merge-patch+json";
}

/* ---- errors ---- */

/* libmicrohttpd's table (the library is linked for the health endpoint);
 * a code it does not name gets its class. */
const char *sc_http_reason_phrase(long status)
{
	if (status > 0 && status < 1000 && MHD_get_reason_phrase_len_for((unsigned)status) > 0)
		return MHD_get_reason_phrase_for((unsigned)status);
	return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Unexpected";
}

/* A short, printable excerpt of a body that is not a Status: its first
 * line, at most 200 bytes, control bytes replaced. */
static char *body_excerpt(const char *body, size_t len)
{
	size_t n = 0;
	while (n < len && n < 200 && body[n] != '\n' && body[n] != '\r')
		n++;
	char *out = sc_xmalloc(n + 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)body[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(out + n, "...", 4);
	} else {
		out[n] = '\0';
	}
	return out;
}

int sc_kube_status_error(sc_error_t *err, const char *method, const char *path, long http_status,
			 const char *body, size_t len)
{
	const char *phrase = sc_http_reason_phrase(http_status);
	cleanup_json json_t *j = NULL;
	if (len > 0 && body != NULL) {
		json_error_t jerr;
		j = json_loadb(body, len, 0, &jerr);
	}
	const char *kind = sc_json_path_str(j, "kind");
	if (j != NULL && kind != NULL && strcmp(kind, "Status") == 0) {
		const char *reason = sc_json_path_str(j, "reason");
		const char *message = sc_json_path_str(j, "message");
		if (message == NULL || *message == '\0')
			message = reason;
		if (message != NULL && *message != '\0')
			return sc_error_make_http(err, (int)http_status, reason,
						  "%s %s: %ld %s: %s", method, path, http_status,
						  phrase, message);
		return sc_error_make_http(err, (int)http_status, reason, "%s %s: %ld %s", method,
					  path, http_status, phrase);
	}
	if (len == 0 || body == NULL)
		return sc_error_make_http(err, (int)http_status, NULL, "%s %s: %ld %s", method,
					  path, http_status, phrase);
	cleanup_free char *excerpt = body_excerpt(body, len);
	return sc_error_make_http(err, (int)http_status, NULL, "%s %s: %ld %s: %s", method, path,
				  http_status, phrase, excerpt);
}

int sc_kube_status_object_error(sc_error_t *err, const char *what, const json_t *status)
{
	json_t *code = sc_json_path(status, "code");
	long http = json_is_integer(code) ? (long)json_integer_value(code) : 500;
	if (http < 100 || http > 599)
		http = 500;
	const char *reason = sc_json_path_str(status, "reason");
	const char *message = sc_json_path_str(status, "message");
	if (message == NULL || *message == '\0')
		message = reason ? reason : "(no message)";
	return sc_error_make_http(err, (int)http, reason, "%s: %ld %s: %s", what, http,
				  sc_http_reason_phrase(http), message);
}

long long sc_kube_retry_after_ms(long http_status, const char *retry_after)
{
	if (http_status != 429 && http_status < 500)
		return -1;
	if (retry_after == NULL)
		return -1;
	long secs = 0;
	/* Only delta-seconds: the API server never sends an HTTP date. */
	if (sc_parse_long(retry_after, 0, 24 * 3600, &secs) < 0)
		return -1;
	long long ms = (long long)secs * 1000;
	return ms > SC_KUBE_MAX_RETRY_AFTER_MS ? SC_KUBE_MAX_RETRY_AFTER_MS : ms;
}

/* ---- the client ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
	/* Must happen once, before threads use curl. */
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const struct sc_kube_config *sc_kube_client_config(const struct sc_kube_client *c)
{
	return c->cfg;
}

const char *sc_kube_client_user_agent(const struct sc_kube_client *c)
{
	return c->user_agent;
}

static int set_blob(CURL *curl, CURLoption opt, const char *data, size_t len)
{
	struct curl_blob blob = {.data = (void *)data, .len = len, .flags = CURL_BLOB_COPY};
	return curl_easy_setopt(curl, opt, &blob) == CURLE_OK ? 0 : -1;
}

static int setup_tls(struct sc_kube_client *c, sc_error_t *err)
{
	const struct sc_kube_config *cfg = c->cfg;
	CURL *h = c->proto;
	CURLcode rc = CURLE_OK;
	if (cfg->insecure_skip_tls_verify) {
		rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cfg->ca_file != NULL)
		rc |= curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->ca_data != NULL &&
	    set_blob(h, CURLOPT_CAINFO_BLOB, cfg->ca_data, cfg->ca_data_len) < 0)
		return sc_error_make(err, ENOTSUP,
				     "this libcurl cannot take a CA from memory "
				     "(certificate-authority-data)");
	if (cfg->cert_file != NULL) {
		rc |= curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
		rc |= curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (cfg->cert_data != NULL) {
		if (set_blob(h, CURLOPT_SSLCERT_BLOB, cfg->cert_data, cfg->cert_data_len) < 0)
			return sc_error_make(err, ENOTSUP,
					     "this libcurl cannot take a client certificate from "
					     "memory");
		rc |= curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (cfg->key_file != NULL) {
		rc |= curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
		rc |= curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (cfg->key_data != NULL) {
		if (set_blob(h, CURLOPT_SSLKEY_BLOB, cfg->key_data,
			     sc_tls_key_blob_len(cfg->key_data, cfg->key_data_len)) < 0)
			return sc_error_make(err, ENOTSUP,
					     "this libcurl cannot take a client key from memory");
		rc |= curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (!cfg->insecure_skip_tls_verify && sc_tls_setup(h, cfg->server, &c->tls_host, err) < 0)
		return -1;
	if (cfg->username != NULL) {
		rc |= curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username);
		rc |= curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
		rc |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (rc != CURLE_OK)
		return sc_error_make(err, EINVAL, "setting up TLS for %s failed", cfg->server);
	return 0;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userptr)
{
	(void)h, (void)access;
	struct sc_kube_client *c = userptr;
	pthread_mutex_lock(&c->share_locks[(size_t)data % CURL_LOCK_DATA_LAST]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userptr)
{
	(void)h;
	struct sc_kube_client *c = userptr;
	pthread_mutex_unlock(&c->share_locks[(size_t)data % CURL_LOCK_DATA_LAST]);
}

static void handle_free(struct handle *hd)
{
	if (hd == NULL)
		return;
	curl_easy_cleanup(hd->curl);
	free(hd);
}

/* A handle for one request: an idle one, or a new copy of the prototype. */
static struct handle *handle_get(struct sc_kube_client *c)
{
	struct handle *hd = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->pooled > 0)
		hd = c->pool[--c->pooled];
	pthread_mutex_unlock(&c->lock);
	if (hd != NULL)
		return hd;
	CURL *h = curl_easy_duphandle(c->proto);
	if (h == NULL)
		return NULL;
	hd = sc_xzalloc(sizeof(*hd));
	hd->curl = h;
	if (curl_easy_setopt(h, CURLOPT_ERRORBUFFER, hd->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SHARE, c->share) != CURLE_OK) {
		handle_free(hd);
		return NULL;
	}
	return hd;
}

static void handle_put(struct sc_kube_client *c, struct handle *hd)
{
	pthread_mutex_lock(&c->lock);
	if (c->pooled < POOL_SIZE) {
		c->pool[c->pooled++] = hd;
		hd = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	handle_free(hd);
}

int sc_kube_client_new(const struct sc_kube_config *cfg, const struct sc_kube_client_options *opts,
		       struct sc_kube_client **out, sc_error_t *err)
{
	static const struct sc_kube_client_options defaults = {0};
	if (opts == NULL)
		opts = &defaults;
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK)
		return sc_error_make(err, EIO, "initialising libcurl: %s",
				     curl_easy_strerror(curl_init_result));
	if (cfg == NULL || cfg->server == NULL)
		return sc_error_make(err, EINVAL, "Kubernetes client: no server configured");

	struct sc_kube_client *c = sc_xzalloc(sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->cfg = sc_kube_config_dup(cfg);
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							     : SC_KUBE_DEFAULT_CONNECT_TIMEOUT_MS;
	c->request_timeout_ms = opts->request_timeout_ms > 0 ? opts->request_timeout_ms
							     : SC_KUBE_DEFAULT_REQUEST_TIMEOUT_MS;
	c->max_body = opts->max_body > 0 ? opts->max_body : SC_KUBE_DEFAULT_MAX_BODY;
	if (opts->qps > 0) {
		c->limited = true;
		sc_rate_limiter_init(&c->limiter, opts->qps, opts->burst, sc_now_ms());
	}
	c->user_agent =
	    sc_xasprintf("%s/%s (linux/" SC_ARCH ") stoppablecontainer",
			 opts->component ? opts->component : program_invocation_short_name,
			 opts->version ? opts->version : SC_VERSION);
	if (cfg->token != NULL)
		c->token = sc_xstrdup(cfg->token);
	c->token_read_ms = sc_now_ms();
	if (cfg->token_file != NULL && stat(cfg->token_file, &c->token_stat) < 0)
		memset(&c->token_stat, 0, sizeof(c->token_stat));

	for (size_t i = 0; i < SC_ARRAY_SIZE(c->share_locks); i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	c->proto = curl_easy_init();
	c->share = curl_share_init();
	if (c->proto == NULL || c->share == NULL) {
		sc_kube_client_free(c);
		return sc_error_make(err, ENOMEM, "creating a curl handle");
	}
	CURLSHcode sc = CURLSHE_OK;
	sc |= curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	sc |= curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	sc |= curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	sc |= curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	sc |= curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	sc |= curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	CURL *h = c->proto;
	CURLcode rc = sc != CURLSHE_OK ? CURLE_FAILED_INIT : CURLE_OK;
	rc |= curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	/* Threads: no SIGALRM for DNS timeouts. */
	rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Never follow a redirect or speak anything but HTTP(S): the server
	 * URL comes from a config file, not from a response. */
	rc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* gzip for large lists; the body cap applies to decoded bytes. */
	rc |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (rc != CURLE_OK) {
		sc_kube_client_free(c);
		return sc_error_make(err, EINVAL, "configuring curl failed");
	}
	if (setup_tls(c, err) < 0) {
		sc_kube_client_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void sc_kube_client_free(struct sc_kube_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->pooled; i++)
		handle_free(c->pool[i]);
	if (c->proto != NULL)
		curl_easy_cleanup(c->proto);
	/* after every handle that used it */
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	for (size_t i = 0; i < SC_ARRAY_SIZE(c->share_locks); i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	sc_kube_config_free(c->cfg);
	free(c->user_agent);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void sc_cleanup_kube_clientp(struct sc_kube_client **c)
{
	sc_kube_client_free(*c);
}

/* Re-read a token file when it changed (projected service-account tokens
 * are swapped by a symlink: new inode and mtime) or a minute has passed. A
 * failed re-read keeps the old token and logs: the next request may still
 * work, and the API server will say 401 if not. */
static void refresh_token(struct sc_kube_client *c)
{
	const char *path = c->cfg->token_file;
	if (path == NULL)
		return; /* an inline token (or none) never changes */
	struct stat st;
	long long now = sc_now_ms();
	if (stat(path, &st) < 0) {
		SC_LOG_V(2, "token file %s: %s", path, strerror(errno));
		return;
	}
	bool changed = st.st_ino != c->token_stat.st_ino || st.st_size != c->token_stat.st_size ||
		       st.st_mtim.tv_sec != c->token_stat.st_mtim.tv_sec ||
		       st.st_mtim.tv_nsec != c->token_stat.st_mtim.tv_nsec;
	if (!changed && now - c->token_read_ms < TOKEN_REREAD_MS)
		return;
	cleanup_free char *data = NULL;
	size_t len = 0;
	cleanup_error sc_error_t err = NULL;
	if (sc_read_file(path, SC_KUBE_SA_FILE_MAX_SIZE, &data, &len, &err) < 0) {
		SC_LOG_WARN("keeping the old token: %s", sc_error_message(err));
		return;
	}
	size_t b = 0, e = len;
	while (b < e && (data[b] == ' ' || data[b] == '\n' || data[b] == '\r' || data[b] == '\t'))
		b++;
	while (e > b && (data[e - 1] == ' ' || data[e - 1] == '\n' || data[e - 1] == '\r' ||
			 data[e - 1] == '\t'))
		e--;
	if (e == b || memchr(data + b, '\0', e - b) != NULL) {
		SC_LOG_WARN("keeping the old token: %s is empty or holds a NUL byte", path);
		return;
	}
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	c->token = sc_xstrndup(data + b, e - b);
	explicit_bzero(data, len);
	c->token_stat = st;
	c->token_read_ms = now;
}

const char *sc_kube_client_token(struct sc_kube_client *c)
{
	pthread_mutex_lock(&c->lock);
	refresh_token(c);
	const char *t = c->token;
	pthread_mutex_unlock(&c->lock);
	return t;
}

struct call_ctx {
	struct sc_kube_client *c;
	struct handle *hd;
	const struct sc_kube_call *call;
	struct sc_buf body;
	bool checked;
	bool streaming;
	sc_error_t write_err;
	/* idle_timeout_ms: body bytes seen so far and when that count last
	 * moved (or the request started) */
	curl_off_t idle_dlnow;
	long long idle_since_ms;
	bool idle_expired;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct call_ctx *ctx = userdata;
	size_t n = size * nmemb;
	if (!ctx->checked) {
		long code = 0;
		curl_easy_getinfo(ctx->hd->curl, CURLINFO_RESPONSE_CODE, &code);
		/* Only a 2xx body is a stream of events; an error response is
		 * a Status object to decode like any other. */
		ctx->streaming = ctx->call->stream != NULL && code >= 200 && code < 300;
		ctx->checked = true;
	}
	if (ctx->streaming) {
		if (ctx->call->stream(data, n, ctx->call->stream_userdata, &ctx->write_err) < 0)
			return 0;
		return n;
	}
	if (sc_buf_append(&ctx->body, data, n, &ctx->write_err) < 0)
		return 0;
	return n;
}

/* curl calls this often while data flows and about once a second while
 * nothing does. Not curl's low-speed limit for the idle timeout: that one
 * averages over several seconds, so a burst of bytes kept a silent stream
 * alive for seconds past its limit. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)ultotal, (void)ulnow;
	struct call_ctx *ctx = userdata;
	const struct sc_kube_call *call = ctx->call;
	if (call->stop != NULL && atomic_load(call->stop))
		return 1;
	if (call->idle_timeout_ms > 0) {
		long long now = sc_now_ms();
		if (dlnow != ctx->idle_dlnow) {
			ctx->idle_dlnow = dlnow;
			ctx->idle_since_ms = now;
		} else if (now - ctx->idle_since_ms >= call->idle_timeout_ms) {
			ctx->idle_expired = true;
			return 1;
		}
	}
	return 0;
}

static int transport_error(struct sc_kube_client *c, const struct handle *hd,
			   const struct sc_kube_call *call, CURLcode rc, sc_error_t *err)
{
	/* An if-chain, not a switch: curl has ~100 codes and -Wswitch-enum. */
	int code = EIO;
	if (rc == CURLE_COULDNT_CONNECT)
		code = ECONNREFUSED;
	else if (rc == CURLE_COULDNT_RESOLVE_HOST)
		code = EHOSTUNREACH;
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		code = ETIMEDOUT;
	else if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
		 rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE)
		code = EPROTO;
	else if (rc == CURLE_ABORTED_BY_CALLBACK)
		code = ECANCELED;
	const char *detail = hd->errbuf[0] ? hd->errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		detail = "stopped";
	return sc_error_make(err, code, "%s %s%s: %s", call->method, c->cfg->server, call->path,
			     detail);
}

/* ---- request counting ---- */

/* Set once at start-up, read by every request of every thread. */
static _Atomic(struct sc_metric *) request_counter;

void sc_kube_count_requests(struct sc_metrics *reg)
{
	struct sc_metric *m = NULL;
	if (reg != NULL)
		m = sc_metrics_counter(reg, "sc_kube_requests_total",
				       "Kubernetes API requests sent, by verb, resource and HTTP "
				       "status (\"error\": no response).",
				       "verb,resource,code");
	atomic_store(&request_counter, m);
}

static bool segment_is(const char *seg, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(seg, word, len) == 0;
}

#define MAX_COUNTED_SEGMENTS 8

/* The segments of path after its group-version prefix (/api/v1 or
 * /apis/GROUP/VERSION), pointing into path with their lengths; returns how
 * many (at most MAX_COUNTED_SEGMENTS), or -1 for a path without that prefix. */
static int resource_segments(const char *path, const char **seg, size_t *len)
{
	const char *all[MAX_COUNTED_SEGMENTS + 3];
	size_t all_len[MAX_COUNTED_SEGMENTS + 3];
	int n = 0;
	const char *p = path ? path : "";
	while (n < (int)SC_ARRAY_SIZE(all)) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		const char *end = strchr(p, '/');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		all[n] = p;
		all_len[n++] = l;
		p += l;
	}
	int skip;
	if (n >= 2 && segment_is(all[0], all_len[0], "api"))
		skip = 2;
	else if (n >= 3 && segment_is(all[0], all_len[0], "apis"))
		skip = 3;
	else
		return -1;
	for (int i = skip; i < n; i++) {
		seg[i - skip] = all[i];
		len[i - skip] = all_len[i];
	}
	return n - skip;
}

/* Resource, name and subresource segments (index into seg; -1: absent). */
static void resource_parts(int n, const char **seg, const size_t *len, int *res, int *name,
			   int *sub)
{
	int base = 0;
	if (n >= 3 && segment_is(seg[0], len[0], "namespaces"))
		base = 2;
	*res = n > base ? base : -1;
	*name = n > base + 1 ? base + 1 : -1;
	*sub = n > base + 2 ? base + 2 : -1;
}

char *sc_kube_request_resource(const char *path)
{
	const char *seg[MAX_COUNTED_SEGMENTS];
	size_t len[MAX_COUNTED_SEGMENTS];
	int n = resource_segments(path, seg, len), res, name, sub;
	resource_parts(n, seg, len, &res, &name, &sub);
	if (res < 0)
		return sc_xstrdup("");
	if (sub < 0)
		return sc_xstrndup(seg[res], len[res]);
	return sc_xasprintf("%.*s/%.*s", (int)len[res], seg[res], (int)len[sub], seg[sub]);
}

static bool query_watches(const char *query)
{
	for (const char *p = query; p != NULL && *p;) {
		const char *end = strchr(p, '&');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (segment_is(p, l, "watch=true") || segment_is(p, l, "watch=1"))
			return true;
		p = end ? end + 1 : p + l;
	}
	return false;
}

const char *sc_kube_request_verb(const char *method, const char *path, const char *query)
{
	static const char *const plain[][2] = {
	    {"GET", "get"},     {"POST", "post"},     {"PUT", "put"},
	    {"PATCH", "patch"}, {"DELETE", "delete"}, {"HEAD", "head"},
	};
	const char *seg[MAX_COUNTED_SEGMENTS];
	size_t len[MAX_COUNTED_SEGMENTS];
	int n = resource_segments(path, seg, len), res, name, sub;
	resource_parts(n, seg, len, &res, &name, &sub);
	if (method == NULL)
		return "other";
	if (res >= 0) {
		if (strcmp(method, "GET") == 0)
			return query_watches(query) ? "watch" : (name >= 0 ? "get" : "list");
		if (strcmp(method, "POST") == 0)
			return "create";
		if (strcmp(method, "PUT") == 0)
			return "update";
		if (strcmp(method, "PATCH") == 0)
			return "patch";
		if (strcmp(method, "DELETE") == 0)
			return name >= 0 ? "delete" : "deletecollection";
	}
	for (size_t i = 0; i < SC_ARRAY_SIZE(plain); i++)
		if (strcmp(method, plain[i][0]) == 0)
			return plain[i][1];
	return "other";
}

static void count_request(const struct sc_kube_call *call, long http_status)
{
	struct sc_metric *m = atomic_load(&request_counter);
	if (m == NULL)
		return;
	cleanup_free char *resource = sc_kube_request_resource(call->path);
	char code[24] = "error";
	if (http_status > 0)
		snprintf(code, sizeof(code), "%ld", http_status);
	sc_metric_add(m, 1, sc_kube_request_verb(call->method, call->path, call->query), resource,
		      code);
}

/* The request's headers; *auth is the Authorization header's text (wiped
 * and freed by the caller), or NULL. */
static struct curl_slist *request_headers(const struct sc_kube_client *c,
					  const struct sc_kube_call *call, char **auth)
{
	struct curl_slist *headers = NULL;
	headers = curl_slist_append(headers, "Accept: application/json");
	/* curl would send "Expect: 100-continue" for large bodies and wait
	 * for an answer the API server never needs. */
	headers = curl_slist_append(headers, "Expect:");
	if (call->body != NULL) {
		cleanup_free char *ct =
		    sc_xasprintf("Content-Type: %s",
				 call->content_type ? call->content_type : "application/json");
		headers = curl_slist_append(headers, ct);
	}
	*auth = NULL;
	if (c->token != NULL) {
		*auth = sc_xasprintf("Authorization: Bearer %s", c->token);
		headers = curl_slist_append(headers, *auth);
	}
	return headers;
}

/* Every option of the (reused) handle that a call sets. */
static CURLcode set_request(struct sc_kube_client *c, const struct sc_kube_call *call,
			    const char *url, struct curl_slist *headers, struct call_ctx *ctx)
{
	CURL *h = ctx->hd->curl;
	long timeout = call->timeout_ms == 0 ? c->request_timeout_ms
					     : (call->timeout_ms < 0 ? 0 : call->timeout_ms);
	CURLcode rc = CURLE_OK;
	rc |= curl_easy_setopt(h, CURLOPT_URL, url);
	rc |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); /* resets any earlier body */
	if (strcmp(call->method, "GET") != 0)
		rc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
	else
		rc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	if (call->body != NULL) {
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body);
	}
	rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	rc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	rc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, ctx);
	/* the handle is reused: always set */
	if (call->stop != NULL || call->idle_timeout_ms > 0) {
		rc |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		rc |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		rc |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)ctx);
	} else {
		rc |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
	}
	return rc;
}

/* What a performed request (curl's rc) amounts to: *out, or an error with
 * *http_status and *retry_after_ms for the retry loop. */
static int call_result(struct sc_kube_client *c, const struct sc_kube_call *call, CURLcode rc,
		       struct call_ctx *ctx, json_t **out, long long *retry_after_ms,
		       long *http_status, sc_error_t *err)
{
	CURL *h = ctx->hd->curl;
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*http_status = status;
	if (rc == CURLE_WRITE_ERROR && ctx->write_err != NULL) {
		/* Our own callback refused: body cap or stream error. */
		*err = steal_pointer(&ctx->write_err);
		if (!ctx->streaming)
			return sc_error_wrap(err, "%s %s: response body", call->method, call->path);
		return sc_error_wrap(err, "%s %s", call->method, call->path);
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && ctx->idle_expired)
		return sc_error_make(err, ETIMEDOUT, "%s %s%s: no data for %ld ms", call->method,
				     c->cfg->server, call->path, call->idle_timeout_ms);
	if (rc != CURLE_OK)
		return transport_error(c, ctx->hd, call, rc, err);
	if (status < 200 || status > 299) {
		struct curl_header *ra = NULL;
		if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &ra) == CURLHE_OK)
			*retry_after_ms = sc_kube_retry_after_ms(status, ra->value);
		return sc_kube_status_error(err, call->method, call->path, status, ctx->body.data,
					    ctx->body.len);
	}
	if (out != NULL && !ctx->streaming) {
		if (ctx->body.len == 0)
			*out = json_null();
		else if (sc_json_parse(ctx->body.data, ctx->body.len, out, err) < 0)
			return sc_error_wrap(err, "%s %s: response", call->method, call->path);
	}
	return 0;
}

/* One attempt of a request, on a handle of its own: requests of several
 * threads run at once (the lock is held only to read the token). */
static int call_once(struct sc_kube_client *c, const struct sc_kube_call *call, json_t **out,
		     long long *retry_after_ms, long *http_status, sc_error_t *err)
{
	*retry_after_ms = -1;
	*http_status = 0;
	struct handle *hd = handle_get(c);
	if (hd == NULL)
		return sc_error_make(err, ENOMEM, "%s %s: creating a curl handle", call->method,
				     call->path);
	CURL *h = hd->curl;

	struct sc_buf url = SC_BUF_INIT((size_t)-2);
	sc_buf_append_str(&url, c->cfg->server, NULL);
	sc_buf_append_str(&url, call->path, NULL);
	if (call->query != NULL && *call->query) {
		sc_buf_append_str(&url, "?", NULL);
		sc_buf_append_str(&url, call->query, NULL);
	}

	char *auth = NULL;
	pthread_mutex_lock(&c->lock);
	refresh_token(c);
	struct curl_slist *headers = request_headers(c, call, &auth);
	pthread_mutex_unlock(&c->lock);
	struct call_ctx ctx = {.c = c,
			       .hd = hd,
			       .call = call,
			       .body = SC_BUF_INIT(c->max_body),
			       .idle_since_ms = sc_now_ms()};
	hd->errbuf[0] = '\0';
	int r;
	if (set_request(c, call, url.data, headers, &ctx) != CURLE_OK)
		r = sc_error_make(err, EINVAL, "%s %s: configuring the request failed",
				  call->method, call->path);
	else
		r = call_result(c, call, curl_easy_perform(h), &ctx, out, retry_after_ms,
				http_status, err);
	/* Do not leave pointers to this call's memory in the handle. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (char *)NULL);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)NULL);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)NULL);
	handle_put(c, hd);
	curl_slist_free_all(headers);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	sc_buf_free(&url);
	sc_buf_free(&ctx.body);
	sc_error_release(&ctx.write_err);
	return r;
}

int sc_kube_call(struct sc_kube_client *c, const struct sc_kube_call *call, json_t **out,
		 sc_error_t *err)
{
	for (int attempt = 0;; attempt++) {
		if (c->limited) {
			pthread_mutex_lock(&c->lock);
			long long wait = sc_rate_limiter_reserve(&c->limiter, sc_now_ms());
			pthread_mutex_unlock(&c->lock);
			if (wait > 0)
				sleep_ms(wait);
		}
		long long retry_after = -1;
		long status = 0;
		sc_error_t e = NULL;
		int r = call_once(c, call, out, &retry_after, &status, &e);
		count_request(call, status);
		/* As client-go: a 429 (or 5xx) with Retry-After was not acted
		 * upon, so it is safe to send again, a few times. A stream's
		 * body went to its consumer already; it is not repeated. */
		bool stopped = call->stop != NULL && atomic_load(call->stop);
		if (r < 0 && retry_after >= 0 && attempt < SC_KUBE_MAX_RETRIES &&
		    call->stream == NULL && !stopped) {
			SC_LOG_V(2, "%s; retrying in %lld ms", sc_error_message(e), retry_after);
			sc_error_release(&e);
			sleep_ms(retry_after);
			continue;
		}
		if (r < 0) {
			SC_LOG_V(4, "%s", sc_error_message(e));
			*err = e;
		}
		return r;
	}
}

/* ---- verbs ---- */

static int do_simple(struct sc_kube_client *c, const char *method, const struct sc_buf *path,
		     const struct sc_buf *query, const char *content_type, const json_t *body,
		     json_t **out, sc_error_t *err)
{
	cleanup_free char *text = body ? sc_json_dumps(body) : NULL;
	struct sc_kube_call call = {
	    .method = method,
	    .path = path->data,
	    .query = query ? query->data : NULL,
	    .content_type = content_type,
	    .body = text,
	    .body_len = text ? strlen(text) : 0,
	};
	return sc_kube_call(c, &call, out, err);
}

int sc_kube_get_subresource(struct sc_kube_client *c, const struct sc_kube_resource *res,
			    const char *ns, const char *name, const char *subresource, json_t **out,
			    sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT((size_t)-2);
	if (name == NULL)
		return sc_error_make(err, EINVAL, "get %s: a name is required", res->resource);
	if (sc_kube_path(&path, res, ns, name, subresource, err) < 0)
		return -1;
	return do_simple(c, "GET", &path, NULL, NULL, NULL, out, err);
}

int sc_kube_get(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		const char *name, json_t **out, sc_error_t *err)
{
	return sc_kube_get_subresource(c, res, ns, name, NULL, out, err);
}

int sc_kube_list(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		 const struct sc_kube_list_options *opts, json_t **out, sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT((size_t)-2);
	cleanup_buf struct sc_buf query = SC_BUF_INIT((size_t)-2);
	if (sc_kube_path(&path, res, ns, NULL, NULL, err) < 0 ||
	    sc_kube_list_query(&query, opts, err) < 0)
		return -1;
	return do_simple(c, "GET", &path, &query, NULL, NULL, out, err);
}

static const char *object_namespace(const struct sc_kube_resource *res, const char *ns,
				    const json_t *obj)
{
	if (!res->namespaced)
		return NULL;
	return ns != NULL ? ns : sc_json_namespace(obj);
}

int sc_kube_create(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		   const json_t *obj, const struct sc_kube_write_options *opts, json_t **out,
		   sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT((size_t)-2);
	cleanup_buf struct sc_buf query = SC_BUF_INIT((size_t)-2);
	if (!json_is_object(obj))
		return sc_error_make(err, EINVAL, "create %s: the object must be a JSON object",
				     res->resource);
	ns = object_namespace(res, ns, obj);
	if (res->namespaced && ns == NULL)
		return sc_error_make(err, EINVAL, "create %s: a namespace is required",
				     res->resource);
	if (sc_kube_path(&path, res, ns, NULL, opts ? opts->subresource : NULL, err) < 0)
		return -1;
	sc_kube_write_query(&query, opts, SC_KUBE_PATCH_MERGE, false);
	return do_simple(c, "POST", &path, &query, "application/json", obj, out, err);
}

int sc_kube_update(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		   const json_t *obj, const struct sc_kube_write_options *opts, json_t **out,
		   sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT((size_t)-2);
	cleanup_buf struct sc_buf query = SC_BUF_INIT((size_t)-2);
	const char *name = sc_json_name(obj);
	if (name == NULL)
		return sc_error_make(err, EINVAL, "update %s: metadata.name is missing",
				     res->resource);
	ns = object_namespace(res, ns, obj);
	if (sc_kube_path(&path, res, ns, name, opts ? opts->subresource : NULL, err) < 0)
		return -1;
	sc_kube_write_query(&query, opts, SC_KUBE_PATCH_MERGE, false);
	return do_simple(c, "PUT", &path, &query, "application/json", obj, out, err);
}

int sc_kube_update_status(struct sc_kube_client *c, const struct sc_kube_resource *res,
			  const char *ns, const json_t *obj, json_t **out, sc_error_t *err)
{
	struct sc_kube_write_options o = {.subresource = "status"};
	return sc_kube_update(c, res, ns, obj, &o, out, err);
}

int sc_kube_patch(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		  const char *name, enum sc_kube_patch_type type, const json_t *patch,
		  const struct sc_kube_write_options *opts, json_t **out, sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT((size_t)-2);
	cleanup_buf struct sc_buf query = SC_BUF_INIT((size_t)-2);
	if (name == NULL)
		return sc_error_make(err, EINVAL, "patch %s: a name is required", res->resource);
	if (type == SC_KUBE_PATCH_APPLY &&
	    (opts == NULL || opts->field_manager == NULL || *opts->field_manager == '\0'))
		return sc_error_make(err, EINVAL,
				     "patch %s \"%s\": server-side apply needs a field manager",
				     res->resource, name);
	if (type == SC_KUBE_PATCH_JSON ? !json_is_array(patch) : !json_is_object(patch))
		return sc_error_make(err, EINVAL, "patch %s \"%s\": a %s must be a JSON %s",
				     res->resource, name,
				     type == SC_KUBE_PATCH_JSON ? "JSON patch" : "patch",
				     type == SC_KUBE_PATCH_JSON ? "array" : "object");
	if (sc_kube_path(&path, res, ns, name, opts ? opts->subresource : NULL, err) < 0)
		return -1;
	sc_kube_write_query(&query, opts, type, true);
	return do_simple(c, "PATCH", &path, &query, sc_kube_patch_content_type(type), patch, out,
			 err);
}

int sc_kube_delete(struct sc_kube_client *c, const struct sc_kube_resource *res, const char *ns,
		   const char *name, const struct sc_kube_delete_options *opts, json_t **out,
		   sc_error_t *err)
{
	cleanup_buf struct sc_buf path = SC_BUF_INIT((size_t)-2);
	if (name == NULL)
		return sc_error_make(err, EINVAL, "delete %s: a name is required", res->resource);
	if (sc_kube_path(&path, res, ns, name, NULL, err) < 0)
		return -1;
	cleanup_json json_t *body = sc_kube_delete_body(opts);
	return do_simple(c, "DELETE", &path, NULL, "application/json", body, out, err);
}

int sc_kube_set_finalizer(struct sc_kube_client *c, const struct sc_kube_resource *res,
			  const json_t *obj, const char *finalizer, bool present,
			  const json_t *extra_ops, sc_error_t *err)
{
	json_t *list = sc_json_path(obj, "metadata.finalizers");
	json_t *next = json_array();
	size_t i;
	json_t *f;
	json_array_foreach (list, i, f) {
		if (json_is_string(f) && strcmp(json_string_value(f), finalizer) == 0)
			continue;
		json_array_append(next, f);
	}
	if (present)
		json_array_append_new(next, json_string(finalizer));
	const char *rv = sc_json_resource_version(obj);
	json_t *patch =
	    json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:o}]", "op", "test", "path",
		      "/metadata/resourceVersion", "value", rv ? rv : "", "op",
		      list ? "replace" : "add", "path", "/metadata/finalizers", "value", next);
	if (extra_ops != NULL)
		json_array_extend(patch, (json_t *)extra_ops);
	int r = sc_kube_patch(c, res, sc_json_namespace(obj), sc_json_name(obj), SC_KUBE_PATCH_JSON,
			      patch, NULL, NULL, err);
	json_decref(patch);
	return r;
}
