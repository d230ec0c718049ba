#include <curl/curl.h>

#include "lib/sc-httpd.h"
#include "lib/sc-metrics.h"
#include "sc-test.h"

static char *render(struct sc_metrics *reg)
{
	struct sc_buf b = SC_BUF_INIT(1 << 20);
	cleanup_error sc_error_t err = NULL;
	if (sc_metrics_render(reg, &b, &err) < 0)
		return NULL;
	return sc_buf_steal(&b);
}

SC_TEST(counters_with_labels)
{
	struct sc_metrics *reg = sc_metrics_new();
	struct sc_metric *c =
	    sc_metrics_counter(reg, "sc_reconcile_total", "Reconciles.", "result");
	sc_metric_add(c, 1, "success");
	sc_metric_add(c, 2, "success");
	sc_metric_add(c, 1, "error");
	cleanup_free char *text = render(reg);
	SC_ASSERT_STR_CONTAINS(text, "# HELP sc_reconcile_total Reconciles.\n"
				     "# TYPE sc_reconcile_total counter\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_reconcile_total{result=\"success\"} 3\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_reconcile_total{result=\"error\"} 1\n");
	sc_metrics_free(reg);
}

SC_TEST(gauges_and_escaping)
{
	struct sc_metrics *reg = sc_metrics_new();
	struct sc_metric *g = sc_metrics_gauge(reg, "sc_things", "Things.", "a,b");
	sc_metric_set(g, 2.5, "x\"y", "line\nbreak");
	struct sc_metric *plain = sc_metrics_gauge(reg, "sc_depth", "Depth.", NULL);
	(void)plain;
	cleanup_free char *text = render(reg);
	SC_ASSERT_STR_CONTAINS(text, "sc_things{a=\"x\\\"y\",b=\"line\\nbreak\"} 2.5\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_depth 0\n");
	sc_metric_reset(g);
	cleanup_free char *text2 = render(reg);
	SC_ASSERT_STR_CONTAINS(text2, "sc_things{a=\"x\\\"y\",b=\"line\\nbreak\"} 0\n");
	sc_metrics_free(reg);
}

SC_TEST(build_info)
{
	struct sc_metrics *reg = sc_metrics_new();
	sc_metrics_build_info(reg, "sc-test");
	cleanup_free char *text = render(reg);
	SC_ASSERT_STR_CONTAINS(text, "# TYPE sc_build_info gauge\n");
	/* The commit label is the build's -Dcommit, "unknown" without one. */
	cleanup_free char *want =
	    sc_xasprintf("sc_build_info{component=\"sc-test\",version=\"%s\",commit=\"%s\"} 1\n",
			 SC_VERSION, *SC_COMMIT ? SC_COMMIT : "unknown");
	SC_ASSERT_STR_CONTAINS(text, want);
	SC_ASSERT(strcmp(SC_VERSION, "") != 0);
	sc_metrics_free(reg);
}

SC_TEST(histogram_buckets_are_cumulative)
{
	struct sc_metrics *reg = sc_metrics_new();
	const double bounds[] = {0.1, 1};
	struct sc_metric *h = sc_metrics_histogram(reg, "sc_lat_seconds", "Latency.", bounds, 2);
	sc_metric_observe(h, 0.05);
	sc_metric_observe(h, 0.5);
	sc_metric_observe(h, 5);
	cleanup_free char *text = render(reg);
	SC_ASSERT_STR_CONTAINS(text, "sc_lat_seconds_bucket{le=\"0.1\"} 1\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_lat_seconds_bucket{le=\"1\"} 2\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_lat_seconds_bucket{le=\"+Inf\"} 3\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_lat_seconds_sum 5.55\n");
	SC_ASSERT_STR_CONTAINS(text, "sc_lat_seconds_count 3\n");
	sc_metrics_free(reg);
}

SC_TEST(series_are_capped)
{
	struct sc_metrics *reg = sc_metrics_new();
	struct sc_metric *c = sc_metrics_counter(reg, "sc_many", "Many.", "k");
	char v[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		sc_metric_add(c, 1, v);
	}
	cleanup_free char *text = render(reg);
	SC_ASSERT_STR_CONTAINS(text, "sc_many{k=\"1023\"} 1\n");
	SC_ASSERT(strstr(text, "sc_many{k=\"1024\"}") == NULL);
	sc_metrics_free(reg);
}

struct fetched {
	long status;
	struct sc_buf body;
};

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	struct fetched *f = data;
	cleanup_error sc_error_t err = NULL;
	return sc_buf_append(&f->body, p, size * n, &err) < 0 ? 0 : size * n;
}

static void fetch(int port, const char *path, struct fetched *f)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	sc_buf_init(&f->body, 1 << 20);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	f->status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	curl_easy_cleanup(c);
}

static bool ready_flag;
static bool is_ready(void *data, const char **why)
{
	(void)data;
	*why = "caches not synced";
	return ready_flag;
}

SC_TEST(http_endpoints)
{
	struct sc_metrics *reg = sc_metrics_new();
	sc_metric_add(sc_metrics_counter(reg, "sc_hits_total", "Hits.", NULL), 1);
	struct sc_httpd *h = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_httpd_start("127.0.0.1:0", reg, is_ready, NULL, &h, &err), 0);
	int port = sc_httpd_port(h);
	SC_ASSERT(port > 0);
	struct fetched f;
	fetch(port, "/healthz", &f);
	SC_ASSERT_INT_EQ(f.status, 200);
	sc_buf_free(&f.body);
	ready_flag = false;
	fetch(port, "/readyz", &f);
	SC_ASSERT_INT_EQ(f.status, 503);
	SC_ASSERT_STR_CONTAINS(f.body.data, "caches not synced");
	sc_buf_free(&f.body);
	ready_flag = true;
	fetch(port, "/readyz", &f);
	SC_ASSERT_INT_EQ(f.status, 200);
	sc_buf_free(&f.body);
	fetch(port, "/metrics", &f);
	SC_ASSERT_INT_EQ(f.status, 200);
	SC_ASSERT_STR_CONTAINS(f.body.data, "sc_hits_total 1\n");
	sc_buf_free(&f.body);
	fetch(port, "/nope", &f);
	SC_ASSERT_INT_EQ(f.status, 404);
	sc_buf_free(&f.body);
	sc_httpd_stop(h);
	sc_metrics_free(reg);
}

SC_TEST(bad_listen_addresses)
{
	struct sc_httpd *h = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_httpd_start("8080", NULL, NULL, NULL, &h, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "want [HOST]:PORT");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_httpd_start(":99999", NULL, NULL, NULL, &h, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "invalid port");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_httpd_start("nohost:80", NULL, NULL, NULL, &h, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "invalid host");
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = sc_test_run();
	curl_global_cleanup();
	return rc;
}
