/* Watch framing: events split across reads, several per read, over-long
 * lines, garbage, ERROR 410, BOOKMARK; backoff; stopping a watch. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sc-json.h"
#include "lib/sc-watch.h"
#include "sc-test.h"

struct seen {
	int n;
	enum sc_watch_event_type types[16];
	char names[16][32];
	int fail_at; /* return an error on this event number (1-based), 0: never */
};

static int collect(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	struct seen *s = userdata;
	if (s->n >= 16)
		return sc_error_make(err, E2BIG, "too many events in a test");
	s->types[s->n] = ev->type;
	const char *name = sc_json_name(ev->object);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name ? name : "");
	s->n++;
	if (s->fail_at == s->n)
		return sc_error_make(err, ECANCELED, "handler refused event %d", s->n);
	return 0;
}

#define EV(type, name, rv)                                                                         \
	"{\"type\":\"" type "\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name \
	"\",\"resourceVersion\":\"" rv "\"}}}\n"

static const char three[] =
    EV("ADDED", "a", "10") EV("MODIFIED", "b", "11") EV("DELETED", "c", "12");

SC_TEST(several_events_in_one_chunk)
{
	struct seen s = {0};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 0, collect, &s);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, three, strlen(three), &err), 0);
	SC_ASSERT_INT_EQ(s.n, 3);
	SC_ASSERT_INT_EQ(s.types[0], SC_WATCH_ADDED);
	SC_ASSERT_INT_EQ(s.types[1], SC_WATCH_MODIFIED);
	SC_ASSERT_INT_EQ(s.types[2], SC_WATCH_DELETED);
	SC_ASSERT_STR_EQ(s.names[2], "c");
	SC_ASSERT_INT_EQ(d.line.len, 0);
	SC_ASSERT_INT_EQ(sc_watch_decoder_finish(&d, &err), 0);
	sc_watch_decoder_free(&d);
}

SC_TEST(events_split_at_every_byte)
{
	size_t len = strlen(three);
	/* two pieces, cut at every position */
	for (size_t cut = 0; cut <= len; cut++) {
		struct seen s = {0};
		struct sc_watch_decoder d;
		sc_watch_decoder_init(&d, 0, collect, &s);
		cleanup_error sc_error_t err = NULL;
		SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, three, cut, &err), 0);
		SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, three + cut, len - cut, &err), 0);
		SC_ASSERT_INT_EQ(s.n, 3);
		SC_ASSERT_STR_EQ(s.names[0], "a");
		SC_ASSERT_STR_EQ(s.names[1], "b");
		SC_ASSERT_STR_EQ(s.names[2], "c");
		sc_watch_decoder_free(&d);
	}
	/* one byte at a time */
	struct seen s = {0};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 0, collect, &s);
	cleanup_error sc_error_t err = NULL;
	for (size_t i = 0; i < len; i++)
		SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, three + i, 1, &err), 0);
	SC_ASSERT_INT_EQ(s.n, 3);
	sc_watch_decoder_free(&d);
}

SC_TEST(blank_lines_and_crlf)
{
	const char *in =
	    "\n\r\n" EV("ADDED", "x", "1") "  \n{\"type\":\"ADDED\",\"object\":{}}\r\n";
	struct seen s = {0};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 0, collect, &s);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, in, strlen(in), &err), 0);
	SC_ASSERT_INT_EQ(s.n, 2);
	sc_watch_decoder_free(&d);
}

SC_TEST(over_long_line_is_an_error_and_never_buffered)
{
	struct seen s = {0};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 64, collect, &s);
	cleanup_error sc_error_t err = NULL;
	char chunk[40];
	memset(chunk, 'x', sizeof(chunk));
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, chunk, sizeof(chunk), &err), 0);
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, chunk, sizeof(chunk), &err), -1);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
	SC_ASSERT_STR_CONTAINS(err->message, "watch event 1: longer than the limit of 64 bytes");
	SC_ASSERT(d.line.len <= 64);
	SC_ASSERT(d.line.alloc <= 65);
	sc_watch_decoder_free(&d);

	/* a complete line over the cap inside one chunk */
	struct sc_watch_decoder d2;
	sc_watch_decoder_init(&d2, 16, collect, &s);
	cleanup_error sc_error_t err2 = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d2, three, strlen(three), &err2), -1);
	SC_ASSERT_INT_EQ(err2->code, EMSGSIZE);
	SC_ASSERT_INT_EQ(s.n, 0);
	sc_watch_decoder_free(&d2);

	/* exactly at the cap is fine */
	const char *ev = EV("ADDED", "a", "1");
	size_t n = strlen(ev) - 1;
	struct sc_watch_decoder d3;
	sc_watch_decoder_init(&d3, n, collect, &s);
	cleanup_error sc_error_t err3 = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d3, ev, 5, &err3), 0);
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d3, ev + 5, n + 1 - 5, &err3), 0);
	SC_ASSERT_INT_EQ(s.n, 1);
	sc_watch_decoder_free(&d3);
}

SC_TEST(garbage_lines_are_errors)
{
	struct {
		const char *in, *needle;
	} cases[] = {
	    {EV("ADDED", "a", "1") "not json\n", "watch event 2: invalid JSON"},
	    {"[1,2]\n", "watch event 1: an event must be a JSON object"},
	    {"{\"object\":{}}\n", "event without a \"type\""},
	    {"{\"type\":\"EXPLODED\",\"object\":{}}\n", "unknown event type \"EXPLODED\""},
	    {"{\"type\":\"ADDED\",\"object\":3}\n", "ADDED event without an object"},
	    {"{\"type\":\"ADDED\"}\n", "ADDED event without an object"},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		struct seen s = {0};
		struct sc_watch_decoder d;
		sc_watch_decoder_init(&d, 0, collect, &s);
		cleanup_error sc_error_t err = NULL;
		SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, cases[i].in, strlen(cases[i].in), &err),
				 -1);
		SC_ASSERT_INT_EQ(err->code, EBADMSG);
		SC_ASSERT_STR_CONTAINS(err->message, cases[i].needle);
		sc_watch_decoder_free(&d);
	}
}

SC_TEST(unfinished_event_at_end_of_stream)
{
	struct seen s = {0};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 0, collect, &s);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, three, 30, &err), 0);
	SC_ASSERT_INT_EQ(sc_watch_decoder_finish(&d, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EPROTO);
	SC_ASSERT_STR_CONTAINS(err->message, "ended inside event 1 (30 bytes unfinished)");
	sc_watch_decoder_reset(&d);
	cleanup_error sc_error_t err2 = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_finish(&d, &err2), 0);
	sc_watch_decoder_free(&d);
}

SC_TEST(error_410_and_bookmark)
{
	const char *in =
	    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":"
	    "{\"resourceVersion\":\"12345\",\"annotations\":{\"k8s.io/"
	    "initial-events-end\":\"true\"}}}}"
	    "\n{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	    "\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (2001)\","
	    "\"reason\":\"Expired\",\"code\":410}}\n";
	enum sc_watch_event_type t;
	cleanup_json json_t *bm = NULL;
	cleanup_error sc_error_t err = NULL;
	const char *nl = strchr(in, '\n');
	SC_ASSERT_INT_EQ(sc_watch_parse_event(in, (size_t)(nl - in), &t, &bm, &err), 0);
	SC_ASSERT_INT_EQ(t, SC_WATCH_BOOKMARK);
	SC_ASSERT_STR_EQ(sc_json_resource_version(bm), "12345");
	cleanup_json json_t *st = NULL;
	SC_ASSERT_INT_EQ(sc_watch_parse_event(nl + 1, strlen(nl + 1) - 1, &t, &st, &err), 0);
	SC_ASSERT_INT_EQ(t, SC_WATCH_ERROR);
	SC_ASSERT_STR_EQ(sc_watch_event_type_name(t), "ERROR");
	SC_ASSERT_INT_EQ(sc_kube_status_object_error(&err, "watch configmaps", st), -1);
	SC_ASSERT(sc_error_is_gone(err));
	SC_ASSERT_STR_CONTAINS(err->message, "410 Gone: too old resource version");

	/* through the decoder both reach the callback in order */
	struct seen s = {0};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 0, collect, &s);
	cleanup_error sc_error_t err2 = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, in, strlen(in), &err2), 0);
	SC_ASSERT_INT_EQ(s.n, 2);
	SC_ASSERT_INT_EQ(s.types[0], SC_WATCH_BOOKMARK);
	SC_ASSERT_INT_EQ(s.types[1], SC_WATCH_ERROR);
	sc_watch_decoder_free(&d);
}

SC_TEST(callback_error_stops_decoding)
{
	struct seen s = {.fail_at = 2};
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, 0, collect, &s);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_decoder_feed(&d, three, strlen(three), &err), -1);
	SC_ASSERT_INT_EQ(s.n, 2);
	SC_ASSERT_INT_EQ(err->code, ECANCELED);
	SC_ASSERT_STR_CONTAINS(err->message, "handler refused event 2");
	sc_watch_decoder_free(&d);
}

SC_TEST(backoff_grows_caps_and_jitters)
{
	SC_ASSERT_INT_EQ(sc_backoff_delay(200, 30000, 0, 0.0), 100);
	SC_ASSERT_INT_EQ(sc_backoff_delay(200, 30000, 0, 0.999), 199);
	SC_ASSERT_INT_EQ(sc_backoff_delay(200, 30000, 1, 0.0), 200);
	SC_ASSERT_INT_EQ(sc_backoff_delay(200, 30000, 3, 0.0), 800);
	SC_ASSERT_INT_EQ(sc_backoff_delay(200, 30000, 20, 0.0), 15000);
	SC_ASSERT_INT_EQ(sc_backoff_delay(200, 30000, 4000000000u, 0.999999), 29999);
	long long prev = 0;
	for (unsigned a = 0; a < 12; a++) {
		long long lo = sc_backoff_delay(200, 30000, a, 0.0);
		long long hi = sc_backoff_delay(200, 30000, a, 0.99);
		SC_ASSERT(lo <= hi);
		SC_ASSERT(hi <= 30000);
		SC_ASSERT(lo >= prev);
		prev = lo;
	}
}

static struct sc_kube_client *refused_client(void)
{
	struct sc_kube_config cfg = {.server = "http://127.0.0.1:1", .namespace = "default"};
	struct sc_kube_client *c = NULL;
	cleanup_error sc_error_t err = NULL;
	if (sc_kube_client_new(&cfg, NULL, &c, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	return c;
}

SC_TEST(watch_query_resumes_from_resource_version)
{
	cleanup_kube_client struct sc_kube_client *c = refused_client();
	struct sc_watch_options o = {
	    .namespace = "ns",
	    .label_selector = "app=x",
	    .field_selector = "spec.nodeName=n1",
	    .resource_version = "100",
	    .timeout_seconds = 60,
	};
	struct sc_watch *w = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_new(c, &sc_kube_pods, &o, &w, &err), 0);
	cleanup_buf struct sc_buf q = SC_BUF_INIT(4096);
	sc_watch_query(w, &q);
	SC_ASSERT_STR_EQ(q.data, "watch=true&allowWatchBookmarks=true&labelSelector=app%3Dx"
				 "&fieldSelector=spec.nodeName%3Dn1&resourceVersion=100"
				 "&timeoutSeconds=60");
	sc_watch_set_resource_version(w, "205");
	SC_ASSERT_STR_EQ(sc_watch_resource_version(w), "205");
	sc_buf_reset(&q);
	sc_watch_query(w, &q);
	SC_ASSERT_STR_CONTAINS(q.data, "resourceVersion=205&");
	sc_watch_free(w);

	struct sc_watch_options bad = {.namespace = "Not_A_Namespace"};
	SC_ASSERT_INT_EQ(sc_watch_new(c, &sc_kube_pods, &bad, &w, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "watch pods: invalid namespace");
}

struct run_args {
	struct sc_watch *w;
	int result;
	sc_error_t err;
};

static void *run_watch(void *p)
{
	struct run_args *a = p;
	a->result = sc_watch_run(a->w, NULL, NULL, &a->err);
	return NULL;
}

/* No server (a closed port): the watch keeps failing and backing off. Stop
 * must end it at once, not after the 20 s backoff. */
SC_TEST(stop_ends_a_watch_in_backoff)
{
	cleanup_kube_client struct sc_kube_client *c = refused_client();
	struct sc_watch_options o = {.backoff_initial_ms = 40000, .backoff_max_ms = 40000};
	struct sc_watch *w = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_new(c, &sc_kube_configmaps, &o, &w, &err), 0);
	struct run_args a = {.w = w};
	pthread_t t;
	long long start = sc_now_ms();
	SC_ASSERT_INT_EQ(pthread_create(&t, NULL, run_watch, &a), 0);
	sc_watch_stop(w);
	pthread_join(t, NULL);
	long long took = sc_now_ms() - start;
	SC_ASSERT(sc_watch_stopping(w));
	SC_ASSERT_INT_EQ(a.result, 0);
	SC_ASSERT(a.err == NULL);
	/* well under the backoff: the wait was cut short */
	SC_ASSERT(took < 20000);
	sc_watch_free(w);
}

int main(void)
{
	return sc_test_run();
}
