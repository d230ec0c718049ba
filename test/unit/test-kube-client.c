/* The pure parts of the HTTP client: URL and query building, request
 * bodies, Status decoding, the rate limiter, token rotation. The verbs
 * themselves run against a real cluster in test/integration/. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/sc-httpd.h"
#include "lib/sc-json.h"
#include "lib/sc-kube-client.h"
#include "sc-test.h"

SC_TEST(escape_keeps_only_unreserved)
{
	cleanup_free char *a = sc_kube_escape("a b/c%d~e.f_g-h?&=+#");
	SC_ASSERT_STR_EQ(a, "a%20b%2Fc%25d~e.f_g-h%3F%26%3D%2B%23");
	cleanup_free char *u = sc_kube_escape("\xc3\xa9");
	SC_ASSERT_STR_EQ(u, "%C3%A9");
	cleanup_free char *e = sc_kube_escape("");
	SC_ASSERT_STR_EQ(e, "");
}

static char *path_of(const struct sc_kube_resource *res, const char *ns, const char *name,
		     const char *sub, sc_error_t *err)
{
	struct sc_buf b = SC_BUF_INIT(4096);
	if (sc_kube_path(&b, res, ns, name, sub, err) < 0) {
		sc_buf_free(&b);
		return NULL;
	}
	return sc_buf_steal(&b);
}

SC_TEST(paths_for_core_group_and_cluster_scope)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_free char *a = path_of(&sc_kube_pods, "ns", "x", NULL, &err);
	SC_ASSERT_STR_EQ(a, "/api/v1/namespaces/ns/pods/x");
	cleanup_free char *b = path_of(&sc_kube_pods, NULL, NULL, NULL, &err);
	SC_ASSERT_STR_EQ(b, "/api/v1/pods");
	cleanup_free char *c =
	    path_of(&sc_kube_stoppablecontainers, "team-a", "demo", "status", &err);
	SC_ASSERT_STR_EQ(
	    c,
	    "/apis/stoppablecontainer.xtlsoft.top/v1alpha1/namespaces/team-a/stoppablecontainers/"
	    "demo/status");
	cleanup_free char *d = path_of(&sc_kube_leases, "kube-system", NULL, NULL, &err);
	SC_ASSERT_STR_EQ(d, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases");
	/* a cluster-scoped resource ignores the namespace */
	cleanup_free char *e = path_of(&sc_kube_namespaces, "ignored", "team-a", NULL, &err);
	SC_ASSERT_STR_EQ(e, "/api/v1/namespaces/team-a");
	/* names are escaped (a name may hold ':' or '@') */
	cleanup_free char *f = path_of(&sc_kube_configmaps, "ns", "a:b@c", NULL, &err);
	SC_ASSERT_STR_EQ(f, "/api/v1/namespaces/ns/configmaps/a%3Ab%40c");
	SC_ASSERT(err == NULL);
	cleanup_free char *g = path_of(&sc_kube_stoppablecontainerinstances, "n", NULL, NULL, &err);
	SC_ASSERT_STR_EQ(g, "/apis/stoppablecontainer.xtlsoft.top/v1alpha1/namespaces/n/"
			    "stoppablecontainerinstances");
}

SC_TEST(paths_refuse_bad_names)
{
	struct {
		const struct sc_kube_resource *res;
		const char *ns, *name, *sub, *needle;
	} cases[] = {
	    {&sc_kube_pods, NULL, "x", NULL, "a namespace is required"},
	    {&sc_kube_pods, "Bad_NS", "x", NULL, "invalid namespace \"Bad_NS\""},
	    {&sc_kube_pods, "ns", "a/b", NULL, "may not contain '/' or '%'"},
	    {&sc_kube_pods, "ns", "a%2F", NULL, "may not contain"},
	    {&sc_kube_pods, "ns", "..", NULL, "may not be '.' or '..'"},
	    {&sc_kube_pods, "ns", "", NULL, "invalid name: missing"},
	    {&sc_kube_pods, "ns", NULL, "status", "needs an object name"},
	    {&sc_kube_pods, "ns", "x", "a/b", "invalid subresource"},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		cleanup_error sc_error_t err = NULL;
		char *p = path_of(cases[i].res, cases[i].ns, cases[i].name, cases[i].sub, &err);
		SC_ASSERT(p == NULL);
		SC_ASSERT_INT_EQ(err->code, EINVAL);
		SC_ASSERT_STR_CONTAINS(err->message, cases[i].needle);
	}
}

SC_TEST(list_query_encodes_values)
{
	cleanup_buf struct sc_buf q = SC_BUF_INIT(4096);
	cleanup_error sc_error_t err = NULL;
	struct sc_kube_list_options o = {
	    .label_selector = "app=x,tier in (a,b)",
	    .field_selector = "spec.nodeName=node-1",
	    .limit = 50,
	    .continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9+/=",
	    .resource_version = "0",
	    .resource_version_match = "NotOlderThan",
	    .timeout_seconds = 30,
	};
	SC_ASSERT_INT_EQ(sc_kube_list_query(&q, &o, &err), 0);
	SC_ASSERT_STR_EQ(q.data, "labelSelector=app%3Dx%2Ctier%20in%20%28a%2Cb%29"
				 "&fieldSelector=spec.nodeName%3Dnode-1&limit=50"
				 "&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9%2B%2F%3D"
				 "&resourceVersion=0&resourceVersionMatch=NotOlderThan"
				 "&timeoutSeconds=30");
	cleanup_buf struct sc_buf empty = SC_BUF_INIT(64);
	struct sc_kube_list_options none = {0};
	SC_ASSERT_INT_EQ(sc_kube_list_query(&empty, &none, &err), 0);
	SC_ASSERT_INT_EQ(empty.len, 0);
	struct sc_kube_list_options neg = {.limit = -1};
	SC_ASSERT_INT_EQ(sc_kube_list_query(&empty, &neg, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "must not be negative");
}

SC_TEST(write_query_force_only_for_apply)
{
	struct sc_kube_write_options o = {.field_manager = "sc-controller", .force = true};
	cleanup_buf struct sc_buf apply = SC_BUF_INIT(256);
	sc_kube_write_query(&apply, &o, SC_KUBE_PATCH_APPLY, true);
	SC_ASSERT_STR_EQ(apply.data, "fieldManager=sc-controller&force=true");
	cleanup_buf struct sc_buf merge = SC_BUF_INIT(256);
	sc_kube_write_query(&merge, &o, SC_KUBE_PATCH_MERGE, true);
	SC_ASSERT_STR_EQ(merge.data, "fieldManager=sc-controller");
	cleanup_buf struct sc_buf create = SC_BUF_INIT(256);
	struct sc_kube_write_options d = {.dry_run = true};
	sc_kube_write_query(&create, &d, SC_KUBE_PATCH_APPLY, false);
	SC_ASSERT_STR_EQ(create.data, "dryRun=All");
	SC_ASSERT_STR_EQ(sc_kube_patch_content_type(SC_KUBE_PATCH_APPLY),
			 "application/apply-patch+yaml");
	SC_ASSERT_STR_EQ(sc_kube_patch_content_type(SC_KUBE_PATCH_JSON),
			 "application/json-patch+json");
	SC_ASSERT_STR_EQ(sc_kube_patch_content_type(SC_KUBE_PATCH_MERGE),
			 "application/merge-patch+json");
}

SC_TEST(delete_body_has_options_and_preconditions)
{
	struct sc_kube_delete_options o = {
	    .propagation_policy = "Foreground",
	    .has_grace_period = true,
	    .grace_period_seconds = 0,
	    .precondition_uid = "0c2b3c5e-0000-4000-8000-000000000001",
	    .precondition_resource_version = "42",
	};
	cleanup_json json_t *b = sc_kube_delete_body(&o);
	cleanup_free char *s = sc_json_dumps(b);
	SC_ASSERT_STR_EQ(s, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
			    "\"propagationPolicy\":\"Foreground\",\"gracePeriodSeconds\":0,"
			    "\"preconditions\":{\"uid\":\"0c2b3c5e-0000-4000-8000-000000000001\","
			    "\"resourceVersion\":\"42\"}}");
	cleanup_json json_t *none = sc_kube_delete_body(NULL);
	SC_ASSERT(json_object_get(none, "gracePeriodSeconds") == NULL);
	SC_ASSERT(json_object_get(none, "preconditions") == NULL);
}

static sc_error_t status_error(const char *method, const char *path, long code, const char *body)
{
	sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(
	    sc_kube_status_error(&err, method, path, code, body, body ? strlen(body) : 0), -1);
	return err;
}

SC_TEST(status_body_decoded)
{
	const char *body =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"pods \\\"x\\\" already exists\","
	    "\"reason\":\"AlreadyExists\",\"details\":{\"name\":\"x\",\"kind\":\"pods\"},"
	    "\"code\":409}";
	cleanup_error sc_error_t err =
	    status_error("POST", "/api/v1/namespaces/ns/pods", 409, body);
	SC_ASSERT_STR_EQ(
	    err->message,
	    "POST /api/v1/namespaces/ns/pods: 409 Conflict: pods \"x\" already exists");
	SC_ASSERT_INT_EQ(err->http_status, 409);
	SC_ASSERT_STR_EQ(err->reason, "AlreadyExists");
	SC_ASSERT_INT_EQ(err->code, EEXIST);
	SC_ASSERT(sc_error_is_conflict(err));
	SC_ASSERT(!sc_error_is_not_found(err));

	cleanup_error sc_error_t nf =
	    status_error("GET", "/api/v1/namespaces/ns/configmaps/gone", 404,
			 "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"configmaps "
			 "\\\"gone\\\" not "
			 "found\",\"code\":404}");
	SC_ASSERT(sc_error_is_not_found(nf));
	SC_ASSERT_INT_EQ(nf->code, ENOENT);
	SC_ASSERT_STR_CONTAINS(nf->message, ": 404 Not Found: configmaps \"gone\" not found");

	/* no message: the reason stands in */
	cleanup_error sc_error_t r =
	    status_error("GET", "/x", 410, "{\"kind\":\"Status\",\"reason\":\"Expired\"}");
	SC_ASSERT_STR_EQ(r->message, "GET /x: 410 Gone: Expired");
	SC_ASSERT(sc_error_is_gone(r));
}

SC_TEST(non_status_and_empty_bodies)
{
	cleanup_error sc_error_t html = status_error(
	    "GET", "/api/v1/pods", 502, "<html><body>bad\tgateway</body></html>\nsecond line");
	SC_ASSERT_STR_EQ(
	    html->message,
	    "GET /api/v1/pods: 502 Bad Gateway: <html><body>bad?gateway</body></html>...");
	SC_ASSERT_INT_EQ(html->http_status, 502);
	SC_ASSERT(html->reason == NULL);

	cleanup_error sc_error_t other = status_error("GET", "/x", 500, "{\"error\":\"boom\"}");
	SC_ASSERT_STR_EQ(other->message, "GET /x: 500 Internal Server Error: {\"error\":\"boom\"}");

	cleanup_error sc_error_t empty = status_error("DELETE", "/api/v1/namespaces/a", 403, NULL);
	SC_ASSERT_STR_EQ(empty->message, "DELETE /api/v1/namespaces/a: 403 Forbidden");
	SC_ASSERT_INT_EQ(empty->code, EACCES);

	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cleanup_error sc_error_t longbody = status_error("GET", "/x", 418, big);
	SC_ASSERT(strlen(longbody->message) < 260);
	SC_ASSERT_STR_CONTAINS(longbody->message, "418 Client Error: xxxx");
}

SC_TEST(status_object_error_for_watch)
{
	cleanup_json json_t *st =
	    json_pack("{s:s,s:s,s:s,s:i}", "kind", "Status", "reason", "Expired", "message",
		      "too old resource version: 1 (5)", "code", 410);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_status_object_error(&err, "watch configmaps", st), -1);
	SC_ASSERT(sc_error_is_gone(err));
	SC_ASSERT_STR_EQ(err->message,
			 "watch configmaps: 410 Gone: too old resource version: 1 (5)");
	cleanup_json json_t *bad = json_pack("{s:s}", "kind", "Status");
	cleanup_error sc_error_t err2 = NULL;
	sc_kube_status_object_error(&err2, "watch", bad);
	SC_ASSERT_INT_EQ(err2->http_status, 500);
}

SC_TEST(retry_after_only_for_throttling)
{
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(429, "2"), 2000);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(503, "0"), 0);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(429, "3600"), SC_KUBE_MAX_RETRY_AFTER_MS);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(429, NULL), -1);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(409, "1"), -1);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(429, "Wed, 21 Oct 2015 07:28:00 GMT"), -1);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(429, "-1"), -1);
	SC_ASSERT_INT_EQ(sc_kube_retry_after_ms(429, "1x"), -1);
}

SC_TEST(rate_limiter_bucket)
{
	struct sc_rate_limiter rl;
	sc_rate_limiter_init(&rl, 10, 2, 0);
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 0), 0);
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 0), 0);
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 0), 100);
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 0), 200);
	/* 50 ms later: half a token back, the next waits until its turn */
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 50), 250);
	/* after a long pause the bucket holds at most burst tokens */
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 10000), 0);
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 10000), 0);
	SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&rl, 10000), 100);
	struct sc_rate_limiter off;
	sc_rate_limiter_init(&off, 0, 0, 0);
	for (int i = 0; i < 100; i++)
		SC_ASSERT_INT_EQ(sc_rate_limiter_reserve(&off, 0), 0);
}

static struct sc_kube_config *config_for(const char *server)
{
	struct sc_kube_config *cfg = sc_xzalloc(sizeof(*cfg));
	cfg->server = sc_xstrdup(server);
	cfg->namespace = sc_xstrdup("default");
	return cfg;
}

SC_TEST(user_agent_and_missing_server)
{
	cleanup_kube_config struct sc_kube_config *cfg = config_for("https://127.0.0.1:1");
	struct sc_kube_client_options o = {.component = "sc-test", .version = "1.2.3"};
	cleanup_kube_client struct sc_kube_client *c = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_client_new(cfg, &o, &c, &err), 0);
	const char *ua = sc_kube_client_user_agent(c);
	SC_ASSERT(sc_str_has_prefix(ua, "sc-test/1.2.3 (linux/"));
	SC_ASSERT(sc_str_has_suffix(ua, ") stoppablecontainer"));
	SC_ASSERT_STR_EQ(sc_kube_client_config(c)->server, "https://127.0.0.1:1");

	struct sc_kube_config empty = {0};
	struct sc_kube_client *none = NULL;
	SC_ASSERT_INT_EQ(sc_kube_client_new(&empty, NULL, &none, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "no server configured");
}

/* A closed local port: no server at all, so the transport error path runs.
 * (Everything with a server runs against the real cluster.) */
SC_TEST(refused_connection_names_the_server)
{
	cleanup_kube_config struct sc_kube_config *cfg = config_for("http://127.0.0.1:1");
	cleanup_kube_client struct sc_kube_client *c = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_client_new(cfg, NULL, &c, &err), 0);
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_namespaces, NULL, "default", &out, &err), -1);
	SC_ASSERT(out == NULL);
	SC_ASSERT_INT_EQ(err->code, ECONNREFUSED);
	SC_ASSERT_INT_EQ(err->http_status, 0);
	SC_ASSERT_STR_CONTAINS(err->message, "GET http://127.0.0.1:1/api/v1/namespaces/default: ");
	SC_ASSERT(strchr(err->message, '\n') == NULL);
}

SC_TEST(request_labels_name_the_verb_and_resource)
{
	static const struct {
		const char *method, *path, *query, *verb, *resource;
	} cases[] = {
	    {"GET", "/api/v1/namespaces/ns/pods/x", NULL, "get", "pods"},
	    {"GET", "/api/v1/namespaces/ns/pods", "labelSelector=a%3Db&limit=500", "list", "pods"},
	    {"GET", "/api/v1/pods", "allowWatchBookmarks=true&watch=true", "watch", "pods"},
	    {"GET", "/api/v1/pods", "watch=1", "watch", "pods"},
	    {"GET", "/api/v1/pods", "watchx=true&xwatch=true", "list", "pods"},
	    {"GET", "/api/v1/namespaces", NULL, "list", "namespaces"},
	    {"GET", "/api/v1/namespaces/team-a", NULL, "get", "namespaces"},
	    {"POST", "/api/v1/namespaces/ns/events", NULL, "create", "events"},
	    {"PUT",
	     "/apis/stoppablecontainer.xtlsoft.top/v1alpha1/namespaces/n/stoppablecontainers/a/"
	     "status",
	     NULL, "update", "stoppablecontainers/status"},
	    {"PATCH", "/apis/coordination.k8s.io/v1/namespaces/n/leases/l", NULL, "patch",
	     "leases"},
	    {"DELETE", "/api/v1/namespaces/ns/pods/x", NULL, "delete", "pods"},
	    {"DELETE", "/api/v1/namespaces/ns/pods", NULL, "deletecollection", "pods"},
	    {"GET", "/version", NULL, "get", ""},
	    {"GET", "/apis/stoppablecontainer.xtlsoft.top/v1alpha1", NULL, "get", ""},
	    {"OPTIONS", "/api/v1/pods", NULL, "other", "pods"},
	    {"GET", NULL, NULL, "get", ""},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		SC_ASSERT_STR_EQ(
		    sc_kube_request_verb(cases[i].method, cases[i].path, cases[i].query),
		    cases[i].verb);
		cleanup_free char *res = sc_kube_request_resource(cases[i].path);
		SC_ASSERT_STR_EQ(res, cases[i].resource);
	}
}

/* Our own /metrics server stands in for an API server: what matters is
 * that every request, answered or not, is counted once with its status. */
SC_TEST(requests_are_counted_by_verb_resource_and_code)
{
	struct sc_metrics *reg = sc_metrics_new();
	struct sc_httpd *h = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_httpd_start("127.0.0.1:0", reg, NULL, NULL, &h, &err), 0);
	char server[64];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", sc_httpd_port(h));
	cleanup_kube_config struct sc_kube_config *cfg = config_for(server);
	cleanup_kube_config struct sc_kube_config *dead = config_for("http://127.0.0.1:1");
	cleanup_kube_client struct sc_kube_client *c = NULL, *d = NULL;
	SC_ASSERT_INT_EQ(sc_kube_client_new(cfg, NULL, &c, &err), 0);
	SC_ASSERT_INT_EQ(sc_kube_client_new(dead, NULL, &d, &err), 0);

	/* not counted: counting is off until asked for */
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_pods, "ns", "x", &out, &err), -1);
	sc_error_release(&err);

	sc_kube_count_requests(reg);
	SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_pods, "ns", "x", &out, &err), -1);
	SC_ASSERT_INT_EQ(err->http_status, 404);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_kube_list(c, &sc_kube_pods, "ns", NULL, &out, &err), -1);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_kube_list(c, &sc_kube_pods, "ns", NULL, &out, &err), -1);
	sc_error_release(&err);
	struct sc_kube_call healthz = {.method = "GET", .path = "/healthz"};
	SC_ASSERT_INT_EQ(sc_kube_call(c, &healthz, NULL, &err), 0);
	SC_ASSERT_INT_EQ(sc_kube_delete(d, &sc_kube_pods, "ns", "x", NULL, &out, &err), -1);
	SC_ASSERT_INT_EQ(err->code, ECONNREFUSED);
	sc_error_release(&err);

	struct sc_buf b = SC_BUF_INIT(1 << 20);
	SC_ASSERT_INT_EQ(sc_metrics_render(reg, &b, &err), 0);
	SC_ASSERT_STR_CONTAINS(b.data, "# TYPE sc_kube_requests_total counter\n");
	SC_ASSERT_STR_CONTAINS(
	    b.data, "sc_kube_requests_total{verb=\"get\",resource=\"pods\",code=\"404\"} 1\n");
	SC_ASSERT_STR_CONTAINS(
	    b.data, "sc_kube_requests_total{verb=\"list\",resource=\"pods\",code=\"404\"} 2\n");
	SC_ASSERT_STR_CONTAINS(
	    b.data, "sc_kube_requests_total{verb=\"get\",resource=\"\",code=\"200\"} 1\n");
	SC_ASSERT_STR_CONTAINS(
	    b.data, "sc_kube_requests_total{verb=\"delete\",resource=\"pods\",code=\"error\"} 1\n");
	sc_buf_free(&b);

	sc_kube_count_requests(NULL);
	sc_httpd_stop(h);
	sc_metrics_free(reg);
}

SC_TEST(verbs_check_arguments_before_sending)
{
	cleanup_kube_config struct sc_kube_config *cfg = config_for("http://127.0.0.1:1");
	cleanup_kube_client struct sc_kube_client *c = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_client_new(cfg, NULL, &c, &err), 0);
	cleanup_json json_t *patch = json_object();
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_patch(c, &sc_kube_configmaps, "ns", "x", SC_KUBE_PATCH_APPLY,
				       patch, NULL, &out, &err),
			 -1);
	SC_ASSERT_STR_CONTAINS(err->message, "server-side apply needs a field manager");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_kube_patch(c, &sc_kube_configmaps, "ns", "x", SC_KUBE_PATCH_JSON, patch,
				       NULL, &out, &err),
			 -1);
	SC_ASSERT_STR_CONTAINS(err->message, "a JSON patch must be a JSON array");
	sc_error_release(&err);
	cleanup_json json_t *noname = json_pack("{s:{}}", "metadata");
	SC_ASSERT_INT_EQ(sc_kube_update(c, &sc_kube_configmaps, "ns", noname, NULL, &out, &err),
			 -1);
	SC_ASSERT_STR_CONTAINS(err->message, "metadata.name is missing");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_kube_create(c, &sc_kube_configmaps, NULL, noname, NULL, &out, &err),
			 -1);
	SC_ASSERT_STR_CONTAINS(err->message, "a namespace is required");
}

SC_TEST(token_file_is_reread_when_it_changes)
{
	char dir[] = "/tmp/sc-test-token-XXXXXX";
	SC_ASSERT(mkdtemp(dir) != NULL);
	cleanup_free char *tok = sc_xasprintf("%s/token", dir);
	cleanup_free char *tmp = sc_xasprintf("%s/token.new", dir);
	int fd = open(tok, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	SC_ASSERT_INT_EQ(write(fd, "first\n", 6), 6);
	close(fd);
	cleanup_kube_config struct sc_kube_config *cfg = config_for("https://127.0.0.1:1");
	cfg->token = sc_xstrdup("first");
	cfg->token_file = sc_xstrdup(tok);
	cleanup_kube_client struct sc_kube_client *c = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_client_new(cfg, NULL, &c, &err), 0);
	SC_ASSERT_STR_EQ(sc_kube_client_token(c), "first");
	/* rotate the way the kubelet does: a new file renamed over the old */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	SC_ASSERT_INT_EQ(write(fd, "second-token\n", 13), 13);
	close(fd);
	SC_ASSERT_INT_EQ(rename(tmp, tok), 0);
	SC_ASSERT_STR_EQ(sc_kube_client_token(c), "second-token");
	/* a vanished file keeps the last good token */
	unlink(tok);
	SC_ASSERT_STR_EQ(sc_kube_client_token(c), "second-token");
	rmdir(dir);
}

int main(void)
{
	return sc_test_run();
}
