/* The client's retries and failures against a small HTTP server of the
 * test's own on 127.0.0.1 (plain sockets, so it can reset a connection or
 * fall silent): throttling and Retry-After, 5xx, the retry cap, bodies cut
 * short, the body cap, the client-side rate limit, a silent stream, a watch
 * that fails and recovers, and an informer that lists again after 410 Gone.
 * This server only injects transport faults: everything else about the API
 * runs against a real API server in test/integration/. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-watch.h"
#include "sc-test.h"

/* ---- the server ---- */

enum after {
	AFTER_CLOSE, /* close normally (FIN) */
	AFTER_RESET, /* SO_LINGER 0, then close: the peer sees a RST */
	AFTER_HOLD,  /* send nothing more until the client hangs up */
};

/* One scripted answer: the raw bytes of a response (status line, headers,
 * as much body as wanted), then what happens to the connection. */
struct step {
	char *raw;
	enum after after;
	bool gated; /* hold the answer back until server_open_gate() */
	/* when set: after raw, this long of silence, then these bytes (unless
	 * the client hung up in the silence) */
	long later_ms;
	const char *later;
};

#define MAX_STEPS 16
#define MAX_SEEN  32
#define MAX_CONNS 64

struct server {
	int lfd;
	int wake[2]; /* written once by server_stop; stays readable */
	int port;
	char url[64];
	pthread_t thread;
	struct step steps[MAX_STEPS];
	size_t nsteps;

	pthread_mutex_t lock; /* with cond: what follows */
	pthread_cond_t cond;
	size_t requests;
	char *seen[MAX_SEEN]; /* request lines */
	long long seen_ms[MAX_SEEN];
	bool gate_open;
	bool stopping;
	size_t hung_up_in_silence; /* clients that left before `later` */
	pthread_t conns[MAX_CONNS];
	size_t nconns;
};

/* Answers a request the script does not foresee: never retried by the
 * client (a 5xx without Retry-After), and visible in the request count. */
static const char unscripted[] = "HTTP/1.1 500 Internal Server Error\r\n"
				 "Content-Type: text/plain\r\nContent-Length: 10\r\n"
				 "Connection: close\r\n\r\nunscripted";

static char *response(int status, const char *reason, const char *headers, const char *body)
{
	return sc_xasprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
			    status, reason, strlen(body), headers ? headers : "", body);
}

static char *status_body(int code, const char *reason, const char *message)
{
	return sc_xasprintf("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
			    "\"status\":\"Failure\",\"message\":\"%s\",\"reason\":\"%s\","
			    "\"code\":%d}",
			    message, reason, code);
}

/* A streamed (chunked) 200 with these lines as its first chunks; end adds
 * the last chunk, as a server that ends the stream does. */
static char *stream_response(const char *const *lines, size_t n, bool end)
{
	struct sc_buf b = SC_BUF_INIT(1 << 20);
	sc_buf_append_str(&b,
			  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
			  NULL);
	for (size_t i = 0; i < n; i++)
		sc_buf_printf(&b, NULL, "%zx\r\n%s\r\n", strlen(lines[i]), lines[i]);
	if (end)
		sc_buf_append_str(&b, "0\r\n\r\n", NULL);
	return sc_buf_steal(&b);
}

static void server_add(struct server *s, char *raw, enum after after, bool gated)
{
	if (s->nsteps >= MAX_STEPS)
		sc_test_fail(__FILE__, __LINE__, "too many steps");
	s->steps[s->nsteps++] = (struct step){.raw = raw, .after = after, .gated = gated};
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the client hung up: its business */
		data += n;
		len -= (size_t)n;
	}
}

/* Wait until fd is readable or the server stops; false when stopping. */
static bool wait_readable(struct server *s, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
	for (;;) {
		int r = poll(p, 2, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || p[1].revents != 0)
			return false;
		if (p[0].revents != 0)
			return true;
	}
}

/* Read one request's head (the client sends GETs, no bodies); false when
 * the client hung up first or the server stops. */
static bool read_request(struct server *s, int fd, char *head, size_t size)
{
	size_t len = 0;
	while (len + 1 < size) {
		if (!wait_readable(s, fd))
			return false;
		ssize_t n = recv(fd, head + len, size - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		len += (size_t)n;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			return true;
	}
	return false;
}

static void serve_connection(struct server *s, int fd)
{
	char head[8192];
	if (!read_request(s, fd, head, sizeof(head)))
		return;
	const char *eol = strstr(head, "\r\n");
	pthread_mutex_lock(&s->lock);
	size_t i = s->requests++;
	if (i < MAX_SEEN) {
		s->seen[i] = sc_xstrndup(head, (size_t)(eol - head));
		s->seen_ms[i] = sc_now_ms();
	}
	pthread_cond_broadcast(&s->cond);
	const struct step *st = i < s->nsteps ? &s->steps[i] : NULL;
	while (st != NULL && st->gated && !s->gate_open && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	bool stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	if (stopping)
		return;
	if (st == NULL) {
		send_all(fd, unscripted, strlen(unscripted));
		return;
	}
	send_all(fd, st->raw, strlen(st->raw));
	if (st->later != NULL) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r;
		while ((r = poll(&p, 1, (int)st->later_ms)) < 0 && errno == EINTR)
			;
		if (r > 0) {
			pthread_mutex_lock(&s->lock);
			s->hung_up_in_silence++;
			pthread_mutex_unlock(&s->lock);
			return;
		}
		send_all(fd, st->later, strlen(st->later));
	}
	switch (st->after) {
	case AFTER_CLOSE:
		break;
	case AFTER_RESET: {
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		break;
	}
	case AFTER_HOLD: {
		/* Silent until the client hangs up (recv sees the end) or the
		 * server stops. */
		char sink[256];
		while (wait_readable(s, fd) && recv(fd, sink, sizeof(sink), 0) > 0)
			;
		break;
	}
	}
}

struct connection {
	struct server *s;
	int fd;
};

static void *connection_main(void *p)
{
	struct connection *conn = p;
	serve_connection(conn->s, conn->fd);
	close(conn->fd);
	free(conn);
	return NULL;
}

/* One thread per connection, so requests in flight at once are served at
 * once (the requests are numbered in the order they are read). */
static void *server_main(void *p)
{
	struct server *s = p;
	while (wait_readable(s, s->lfd)) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct connection *conn = sc_xmalloc(sizeof(*conn));
		*conn = (struct connection){.s = s, .fd = fd};
		pthread_mutex_lock(&s->lock);
		bool room = s->nconns < MAX_CONNS;
		if (room && pthread_create(&s->conns[s->nconns], NULL, connection_main, conn) == 0)
			s->nconns++;
		else
			room = false;
		pthread_mutex_unlock(&s->lock);
		if (!room) {
			close(fd);
			free(conn);
		}
	}
	/* every connection's thread ends: it sees `stopping` or the wake pipe */
	pthread_mutex_lock(&s->lock);
	size_t n = s->nconns;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		pthread_join(s->conns[i], NULL);
	return NULL;
}

static struct server *server_new(void)
{
	struct server *s = sc_xzalloc(sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->lfd, 16) < 0 || getsockname(s->lfd, (struct sockaddr *)&a, &alen) < 0 ||
	    pipe2(s->wake, O_CLOEXEC) < 0)
		sc_test_fail(__FILE__, __LINE__, "server socket: %s", strerror(errno));
	s->port = ntohs(a.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	return s;
}

static void server_start(struct server *s)
{
	if (pthread_create(&s->thread, NULL, server_main, s) != 0)
		sc_test_fail(__FILE__, __LINE__, "server thread");
}

/* Stop the thread (whatever it waits for), then free everything. */
static void server_free(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	ssize_t n = write(s->wake[1], "x", 1);
	(void)n;
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	for (size_t i = 0; i < s->nsteps; i++)
		free(s->steps[i].raw);
	for (size_t i = 0; i < MAX_SEEN; i++)
		free(s->seen[i]);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void server_open_gate(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->gate_open = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static size_t server_requests(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n = s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Wait until the server saw n requests or timeout_ms passed; the count. */
static size_t server_wait_requests(struct server *s, size_t n, long timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (s->requests < n)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT)
			break;
	size_t got = s->requests;
	pthread_mutex_unlock(&s->lock);
	return got;
}

/* The request line of request i (0-based), a copy. */
static char *server_seen(struct server *s, size_t i)
{
	pthread_mutex_lock(&s->lock);
	char *line = i < MAX_SEEN && s->seen[i] ? sc_xstrdup(s->seen[i]) : NULL;
	pthread_mutex_unlock(&s->lock);
	return line;
}

static long long server_seen_ms(struct server *s, size_t i)
{
	pthread_mutex_lock(&s->lock);
	long long t = i < MAX_SEEN ? s->seen_ms[i] : 0;
	pthread_mutex_unlock(&s->lock);
	return t;
}

/* ---- helpers ---- */

static struct sc_kube_client *client_for(struct server *s, const struct sc_kube_client_options *o)
{
	struct sc_kube_config cfg = {.server = s->url, .namespace = "default"};
	struct sc_kube_client *c = NULL;
	cleanup_error sc_error_t err = NULL;
	if (sc_kube_client_new(&cfg, o, &c, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	return c;
}

/* Poll a condition every 10 ms until it holds or timeout_ms passed. */
static bool wait_until(bool (*cond)(void *), void *arg, long timeout_ms)
{
	long long deadline = sc_now_ms() + timeout_ms;
	for (;;) {
		if (cond(arg))
			return true;
		if (sc_now_ms() >= deadline)
			return false;
		struct timespec ts = {.tv_nsec = 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

#define CM_X "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"7\"}}"

/* ---- throttling and server errors ---- */

SC_TEST(retry_after_429_waits_then_succeeds)
{
	struct server *s = server_new();
	cleanup_free char *busy = status_body(429, "TooManyRequests", "slow down");
	server_add(s, response(429, "Too Many Requests", "Retry-After: 1\r\n", busy), AFTER_CLOSE,
		   false);
	server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, false);
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *out = NULL;
	long long start = sc_now_ms();
	int r = sc_kube_get(c, &sc_kube_configmaps, "default", "x", &out, &err);
	long long took = sc_now_ms() - start;
	SC_ASSERT_INT_EQ(r, 0);
	SC_ASSERT(err == NULL);
	SC_ASSERT_STR_EQ(sc_json_name(out), "x");
	SC_ASSERT_STR_EQ(sc_json_resource_version(out), "7");
	SC_ASSERT_INT_EQ(server_requests(s), 2);
	/* waited the second it was told to, between the two requests */
	SC_ASSERT(took >= 900);
	SC_ASSERT(server_seen_ms(s, 1) - server_seen_ms(s, 0) >= 900);
	cleanup_free char *first = server_seen(s, 0);
	cleanup_free char *second = server_seen(s, 1);
	SC_ASSERT_STR_EQ(first, "GET /api/v1/namespaces/default/configmaps/x HTTP/1.1");
	SC_ASSERT_STR_EQ(second, first);
	server_free(s);
}

/* The documented rule (sc-kube-client.h): 429 and 5xx are sent again only
 * with a Retry-After; without one, or for another status, the first answer
 * is the result. */
SC_TEST(server_errors_retried_only_with_retry_after)
{
	static const struct {
		int status;
		const char *reason, *retry_after;
		size_t requests; /* the server sees */
		int result;
	} cases[] = {
	    {503, "Service Unavailable", "0", 3, 0},
	    {500, "Internal Server Error", "0", 3, 0},
	    {503, "Service Unavailable", NULL, 1, -1},
	    {500, "Internal Server Error", NULL, 1, -1},
	    {502, "Bad Gateway", NULL, 1, -1},
	    {429, "Too Many Requests", NULL, 1, -1},
	    {409, "Conflict", "0", 1, -1},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		struct server *s = server_new();
		cleanup_free char *hdr =
		    cases[i].retry_after ? sc_xasprintf("Retry-After: %s\r\n", cases[i].retry_after)
					 : NULL;
		cleanup_free char *body = status_body(cases[i].status, "Whatever", "try later");
		/* two failures, then success */
		for (int k = 0; k < 2; k++)
			server_add(s, response(cases[i].status, cases[i].reason, hdr, body),
				   AFTER_CLOSE, false);
		server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, false);
		server_start(s);
		cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
		cleanup_error sc_error_t err = NULL;
		cleanup_json json_t *out = NULL;
		int r = sc_kube_get(c, &sc_kube_configmaps, "default", "x", &out, &err);
		printf("# %d Retry-After %s: %zu requests\n", cases[i].status,
		       cases[i].retry_after ? cases[i].retry_after : "(none)", server_requests(s));
		SC_ASSERT_INT_EQ(r, cases[i].result);
		SC_ASSERT_INT_EQ(server_requests(s), cases[i].requests);
		if (r == 0) {
			SC_ASSERT_STR_EQ(sc_json_name(out), "x");
		} else {
			SC_ASSERT(out == NULL);
			SC_ASSERT_INT_EQ(err->http_status, cases[i].status);
			SC_ASSERT_STR_CONTAINS(err->message, ": try later");
		}
		server_free(s);
	}
}

SC_TEST(throttled_beyond_max_retries_fails_with_the_status)
{
	struct server *s = server_new();
	cleanup_free char *busy =
	    status_body(429, "TooManyRequests", "too many requests, please try again later");
	for (int k = 0; k < SC_KUBE_MAX_RETRIES + 2; k++)
		server_add(s, response(429, "Too Many Requests", "Retry-After: 0\r\n", busy),
			   AFTER_CLOSE, false);
	server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, false);
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *out = NULL;
	SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_configmaps, "default", "x", &out, &err), -1);
	SC_ASSERT(out == NULL);
	SC_ASSERT_INT_EQ(server_requests(s), SC_KUBE_MAX_RETRIES + 1);
	SC_ASSERT_INT_EQ(err->http_status, 429);
	SC_ASSERT_INT_EQ(err->code, EAGAIN);
	SC_ASSERT_STR_EQ(err->reason, "TooManyRequests");
	SC_ASSERT_STR_EQ(err->message, "GET /api/v1/namespaces/default/configmaps/x: 429 Too Many "
				       "Requests: too many requests, please try again later");
	server_free(s);
}

/* A streaming request (a watch) is not sent again by the client, even when
 * throttled: its caller reconnects with its own backoff. */
static int count_bytes(const char *data, size_t len, void *userdata, sc_error_t *err)
{
	(void)data, (void)err;
	*(size_t *)userdata += len;
	return 0;
}

SC_TEST(stream_request_is_not_resent)
{
	struct server *s = server_new();
	cleanup_free char *busy = status_body(429, "TooManyRequests", "slow down");
	for (int k = 0; k < 2; k++)
		server_add(s, response(429, "Too Many Requests", "Retry-After: 0\r\n", busy),
			   AFTER_CLOSE, false);
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	cleanup_error sc_error_t err = NULL;
	size_t streamed = 0;
	struct sc_kube_call call = {
	    .method = "GET",
	    .path = "/api/v1/configmaps",
	    .query = "watch=true",
	    .stream = count_bytes,
	    .stream_userdata = &streamed,
	};
	SC_ASSERT_INT_EQ(sc_kube_call(c, &call, NULL, &err), -1);
	SC_ASSERT_INT_EQ(server_requests(s), 1);
	SC_ASSERT_INT_EQ(err->http_status, 429);
	/* the error body is decoded, not streamed */
	SC_ASSERT_INT_EQ(streamed, 0);
	SC_ASSERT_STR_CONTAINS(err->message, "429 Too Many Requests: slow down");
	server_free(s);
}

/* Requests of several threads are in flight at once: one held by the server
 * does not hold back another (the client is shared by the workers). */
struct held_call {
	struct sc_kube_client *c;
	atomic_bool done;
	int result;
};

static void *held_call_main(void *p)
{
	struct held_call *hc = p;
	cleanup_json json_t *out = NULL;
	cleanup_error sc_error_t err = NULL;
	struct sc_kube_call call = {.method = "GET",
				    .path = "/api/v1/namespaces/default/configmaps/x"};
	hc->result = sc_kube_call(hc->c, &call, &out, &err);
	atomic_store(&hc->done, true);
	return NULL;
}

static bool held_done(void *p)
{
	return atomic_load(&((struct held_call *)p)->done);
}

SC_TEST(requests_of_two_threads_are_in_flight_at_once)
{
	struct server *s = server_new();
	server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, true); /* held */
	server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, false);
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	struct held_call first = {.c = c}, second = {.c = c};
	pthread_t t1, t2;
	SC_ASSERT_INT_EQ(pthread_create(&t1, NULL, held_call_main, &first), 0);
	SC_ASSERT_INT_EQ(server_wait_requests(s, 1, 10000), 1);
	SC_ASSERT_INT_EQ(pthread_create(&t2, NULL, held_call_main, &second), 0);
	/* the second is answered while the first is still held */
	SC_ASSERT(wait_until(held_done, &second, 10000));
	SC_ASSERT_INT_EQ(second.result, 0);
	SC_ASSERT(!atomic_load(&first.done));
	server_open_gate(s);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	SC_ASSERT_INT_EQ(first.result, 0);
	SC_ASSERT_INT_EQ(server_requests(s), 2);
	server_free(s);
}

SC_TEST(rate_limit_spaces_requests)
{
	struct server *s = server_new();
	for (int k = 0; k < 4; k++)
		server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, false);
	server_start(s);
	/* 10 a second, no burst: 100 ms between requests */
	struct sc_kube_client_options o = {.qps = 10, .burst = 1};
	cleanup_kube_client struct sc_kube_client *c = client_for(s, &o);
	long long start = sc_now_ms();
	for (int k = 0; k < 4; k++) {
		cleanup_error sc_error_t err = NULL;
		cleanup_json json_t *out = NULL;
		SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_configmaps, "default", "x", &out, &err),
				 0);
	}
	SC_ASSERT_INT_EQ(server_requests(s), 4);
	/* request k leaves no earlier than k tokens after the first was
	 * taken (a lower bound however slow the machine; 2 ms for rounding) */
	for (int k = 1; k < 4; k++)
		SC_ASSERT(server_seen_ms(s, k) - start >= k * 100 - 2);
	server_free(s);
}

/* ---- bodies cut short or too large ---- */

SC_TEST(body_cut_short_is_a_clean_error)
{
	static const char partial[] = "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
				      "\"data\":{\"a\":\"";
	static const struct {
		const char *what;
		const char *headers;
		bool chunked;
		enum after after;
		int code;
	} cases[] = {
	    /* a reset with Content-Length promising more */
	    {"reset, Content-Length", "Content-Length: 4000\r\n", false, AFTER_RESET, EIO},
	    /* a reset inside a chunk */
	    {"reset, chunked", "Transfer-Encoding: chunked\r\n", true, AFTER_RESET, EIO},
	    /* a clean close before Content-Length bytes */
	    {"close, Content-Length", "Content-Length: 4000\r\n", false, AFTER_CLOSE, EIO},
	    /* a clean close where the body has no length: the transfer looks
	     * complete; the JSON is not */
	    {"close, no length", "", false, AFTER_CLOSE, EINVAL},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		struct server *s = server_new();
		char *raw;
		if (cases[i].chunked)
			/* announce 4000 bytes, send fewer */
			raw = sc_xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					   "%sConnection: close\r\n\r\nfa0\r\n%s",
					   cases[i].headers, partial);
		else
			raw = sc_xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					   "%sConnection: close\r\n\r\n%s",
					   cases[i].headers, partial);
		server_add(s, raw, cases[i].after, false);
		server_add(s, response(200, "OK", NULL, CM_X), AFTER_CLOSE, false);
		server_start(s);
		cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
		cleanup_error sc_error_t err = NULL;
		json_t *out = NULL;
		int r = sc_kube_get(c, &sc_kube_configmaps, "default", "x", &out, &err);
		printf("# %s: %s\n", cases[i].what, err ? sc_error_message(err) : "(no error)");
		SC_ASSERT_INT_EQ(r, -1);
		SC_ASSERT(out == NULL);
		SC_ASSERT_INT_EQ(err->code, cases[i].code);
		SC_ASSERT_INT_EQ(err->http_status, 0);
		SC_ASSERT_STR_CONTAINS(err->message, "/api/v1/namespaces/default/configmaps/x");
		/* a transport failure is not retried */
		SC_ASSERT_INT_EQ(server_requests(s), 1);
		server_free(s);
	}
}

static char *json_of_size(size_t n)
{
	/* {"kind":"ConfigMap","pad":"xxx..."} of exactly n bytes */
	static const char pre[] = "{\"kind\":\"ConfigMap\",\"pad\":\"", post[] = "\"}";
	size_t fixed = strlen(pre) + strlen(post);
	char *s = sc_xmalloc(n + 1);
	memcpy(s, pre, strlen(pre));
	memset(s + strlen(pre), 'x', n - fixed);
	memcpy(s + n - strlen(post), post, strlen(post) + 1);
	return s;
}

SC_TEST(body_over_the_cap_is_refused)
{
	struct server *s = server_new();
	cleanup_free char *fits = json_of_size(4096);
	cleanup_free char *big = json_of_size(4097);
	server_add(s, response(200, "OK", NULL, fits), AFTER_CLOSE, false);
	server_add(s, response(200, "OK", NULL, big), AFTER_CLOSE, false);
	/* no length announced: the cap holds while reading */
	server_add(s,
		   sc_xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Connection: close\r\n\r\n%s",
				big),
		   AFTER_CLOSE, false);
	server_start(s);
	struct sc_kube_client_options o = {.max_body = 4096};
	cleanup_kube_client struct sc_kube_client *c = client_for(s, &o);

	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *ok = NULL;
	SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_configmaps, "default", "x", &ok, &err), 0);
	SC_ASSERT_INT_EQ(strlen(json_string_value(json_object_get(ok, "pad"))), 4096 - 29);
	for (int k = 0; k < 2; k++) {
		json_t *out = NULL;
		SC_ASSERT_INT_EQ(sc_kube_get(c, &sc_kube_configmaps, "default", "x", &out, &err),
				 -1);
		SC_ASSERT(out == NULL);
		SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
		SC_ASSERT_STR_CONTAINS(err->message, "GET /api/v1/namespaces/default/configmaps/x: "
						     "response body: ");
		SC_ASSERT_STR_CONTAINS(err->message, "limit of 4096 bytes");
		sc_error_release(&err);
	}
	SC_ASSERT_INT_EQ(server_requests(s), 3);
	server_free(s);
}

/* ---- streams ---- */

#define EV(type, name, rv)                                                                         \
	"{\"type\":\"" type "\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name \
	"\",\"namespace\":\"default\",\"resourceVersion\":\"" rv "\"}}}\n"

struct collected {
	struct sc_buf data;
	atomic_int chunks;
	atomic_llong last_ms; /* when the last byte arrived */
};

static int collect_stream(const char *data, size_t len, void *userdata, sc_error_t *err)
{
	struct collected *c = userdata;
	atomic_fetch_add(&c->chunks, 1);
	atomic_store(&c->last_ms, sc_now_ms());
	return sc_buf_append(&c->data, data, len, err);
}

SC_TEST(silent_stream_ends_on_idle_timeout)
{
	static const char *const one[] = {EV("ADDED", "a", "5")};
	struct server *s = server_new();
	server_add(s, stream_response(one, 1, false), AFTER_HOLD, false);
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	struct collected got = {.data = SC_BUF_INIT(1 << 16)};
	cleanup_error sc_error_t err = NULL;
	struct sc_kube_call call = {
	    .method = "GET",
	    .path = "/api/v1/configmaps",
	    .query = "watch=true",
	    /* a backstop well past the bound below: only the idle timeout
	     * may end the request in time */
	    .timeout_ms = 40000,
	    .idle_timeout_ms = 1500,
	    .stream = collect_stream,
	    .stream_userdata = &got,
	};
	long long start = sc_now_ms();
	int r = sc_kube_call(c, &call, NULL, &err);
	long long took = sc_now_ms() - start;
	printf("# ended after %lld ms, %lld ms after the event: %s\n", took,
	       sc_now_ms() - atomic_load(&got.last_ms), err ? sc_error_message(err) : "");
	SC_ASSERT_INT_EQ(r, -1);
	SC_ASSERT(took < 20000);
	/* not cut before it was silent that long */
	SC_ASSERT(sc_now_ms() - atomic_load(&got.last_ms) >= 1400);
	SC_ASSERT_INT_EQ(err->code, ETIMEDOUT);
	SC_ASSERT_STR_CONTAINS(err->message, s->url);
	SC_ASSERT_STR_EQ(got.data.data, EV("ADDED", "a", "5"));
	SC_ASSERT_INT_EQ(server_requests(s), 1);
	sc_buf_free(&got.data);
	server_free(s);
}

static bool hung_up_in_silence(void *p)
{
	struct server *s = p;
	pthread_mutex_lock(&s->lock);
	size_t n = s->hung_up_in_silence;
	pthread_mutex_unlock(&s->lock);
	return n == 1;
}

/* One event, then 4 s of silence, then another: with an idle timeout of
 * 1.5 s the request ends in the silence, however many bytes came before. */
SC_TEST(idle_timeout_counts_from_the_last_byte)
{
	static const char *const one[] = {EV("ADDED", "a", "5")};
	static const char ev_b[] = EV("ADDED", "b", "6");
	cleanup_free char *two = sc_xasprintf("%zx\r\n%s\r\n", strlen(ev_b), ev_b);
	struct server *s = server_new();
	server_add(s, stream_response(one, 1, false), AFTER_HOLD, false);
	s->steps[0].later_ms = 4000;
	s->steps[0].later = two;
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	struct collected got = {.data = SC_BUF_INIT(1 << 16)};
	cleanup_error sc_error_t err = NULL;
	struct sc_kube_call call = {
	    .method = "GET",
	    .path = "/api/v1/configmaps",
	    .query = "watch=true",
	    .timeout_ms = 40000,
	    .idle_timeout_ms = 1500,
	    .stream = collect_stream,
	    .stream_userdata = &got,
	};
	long long start = sc_now_ms();
	int r = sc_kube_call(c, &call, NULL, &err);
	printf("# ended after %lld ms: %s\n", sc_now_ms() - start,
	       err ? sc_error_message(err) : "");
	SC_ASSERT_INT_EQ(r, -1);
	SC_ASSERT_INT_EQ(err->code, ETIMEDOUT);
	/* the second event was never delivered: the client had left */
	SC_ASSERT_STR_EQ(got.data.data, EV("ADDED", "a", "5"));
	SC_ASSERT(wait_until(hung_up_in_silence, s, 10000));
	sc_buf_free(&got.data);
	server_free(s);
}

struct watch_run {
	struct sc_watch *w;
	pthread_t thread;
	atomic_int events;
	char name[32];
	int result;
	sc_error_t err;
};

static int on_watch_event(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	(void)err;
	struct watch_run *a = userdata;
	if (atomic_load(&a->events) == 0)
		snprintf(a->name, sizeof(a->name), "%s", sc_json_name(ev->object));
	atomic_fetch_add(&a->events, 1);
	return 0;
}

static void *watch_main(void *p)
{
	struct watch_run *a = p;
	a->result = sc_watch_run(a->w, on_watch_event, a, &a->err);
	return NULL;
}

static bool watch_recovered(void *p)
{
	struct watch_run *a = p;
	return atomic_load(&a->events) == 1 && sc_watch_failing_since(a->w) == 0;
}

/* A watch whose server answers 500: failing_since turns non-zero before it
 * reconnects; once a stream brings data it is 0 again. */
SC_TEST(watch_failing_since_follows_the_stream)
{
	static const char *const one[] = {EV("ADDED", "a", "5")};
	struct server *s = server_new();
	cleanup_free char *boom = status_body(500, "InternalError", "etcd is down");
	server_add(s, response(500, "Internal Server Error", NULL, boom), AFTER_CLOSE, false);
	server_add(s, stream_response(one, 1, false), AFTER_HOLD, true);
	server_start(s);
	cleanup_kube_client struct sc_kube_client *c = client_for(s, NULL);
	struct sc_watch_options o = {
	    .namespace = "default", .backoff_initial_ms = 100, .backoff_max_ms = 100};
	struct watch_run a = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_watch_new(c, &sc_kube_configmaps, &o, &a.w, &err), 0);
	SC_ASSERT_INT_EQ(sc_watch_failing_since(a.w), 0);
	long long start = sc_now_ms();
	SC_ASSERT_INT_EQ(pthread_create(&a.thread, NULL, watch_main, &a), 0);

	/* the reconnect is held back: the failure is all the watch knows */
	SC_ASSERT_INT_EQ(server_wait_requests(s, 2, 10000), 2);
	long long since = sc_watch_failing_since(a.w);
	SC_ASSERT(since >= start);
	SC_ASSERT(since <= server_seen_ms(s, 1));
	SC_ASSERT_INT_EQ(atomic_load(&a.events), 0);

	server_open_gate(s);
	SC_ASSERT(wait_until(watch_recovered, &a, 10000));
	SC_ASSERT_STR_EQ(a.name, "a");
	SC_ASSERT_STR_EQ(sc_watch_resource_version(a.w), "5");

	/* stop ends the silent stream (the server holds it open) */
	sc_watch_stop(a.w);
	pthread_join(a.thread, NULL);
	SC_ASSERT_INT_EQ(a.result, 0);
	SC_ASSERT(a.err == NULL);
	SC_ASSERT_INT_EQ(server_requests(s), 2);
	cleanup_free char *first = server_seen(s, 0);
	SC_ASSERT_STR_CONTAINS(first, "GET /api/v1/namespaces/default/configmaps?watch=true&");
	sc_watch_free(a.w);
	server_free(s);
}

/* ---- the informer ---- */

struct informer_seen {
	atomic_int adds;
	struct sc_informer *inf;
};

static void count_add(const json_t *obj, void *userdata)
{
	(void)obj;
	struct informer_seen *seen = userdata;
	atomic_fetch_add(&seen->adds, 1);
}

static bool listed_twice(void *p)
{
	struct informer_seen *seen = p;
	return sc_informer_lists(seen->inf) >= 2 && atomic_load(&seen->adds) >= 2;
}

static bool healthy(void *p)
{
	struct informer_seen *seen = p;
	const char *why = NULL;
	return sc_informer_healthy(seen->inf, &why);
}

SC_TEST(informer_lists_again_after_410_gone)
{
	static const char list1[] =
	    "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":"
	    "{\"resourceVersion\":\"100\"},\"items\":[{\"metadata\":{\"name\":\"a\","
	    "\"namespace\":\"default\",\"resourceVersion\":\"90\"}}]}";
	static const char list2[] =
	    "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":"
	    "{\"resourceVersion\":\"200\"},\"items\":[{\"metadata\":{\"name\":\"a\","
	    "\"namespace\":\"default\",\"resourceVersion\":\"90\"}},{\"metadata\":{\"name\":"
	    "\"b\",\"namespace\":\"default\",\"resourceVersion\":\"150\"}}]}";
	/* what the API server sends when the resourceVersion is compacted
	 * away: an ERROR event with a Status, then the end of the stream */
	static const char *const gone[] = {
	    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	    "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: "
	    "100 (180)\",\"reason\":\"Expired\",\"code\":410}}\n"};
	static const char *const bookmark[] = {
	    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":"
	    "{\"resourceVersion\":\"201\"}}}\n"};
	struct server *s = server_new();
	server_add(s, response(200, "OK", NULL, list1), AFTER_CLOSE, true);
	server_add(s, stream_response(gone, 1, true), AFTER_CLOSE, false);
	server_add(s, response(200, "OK", NULL, list2), AFTER_CLOSE, false);
	server_add(s, stream_response(bookmark, 1, false), AFTER_HOLD, false);
	server_start(s);

	struct sc_kube_config cfg = {.server = s->url, .namespace = "default"};
	struct sc_informer_options o = {.resource = &sc_kube_configmaps,
					.namespace = "default",
					.backoff_initial_ms = 100,
					.backoff_max_ms = 100};
	struct informer_seen seen = {0};
	struct sc_informer_handlers h = {.on_add = count_add, .userdata = &seen};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_informer_new(&cfg, &o, &h, &seen.inf, &err), 0);
	SC_ASSERT_INT_EQ(sc_informer_start(seen.inf, &err), 0);

	/* the first list is held back: not healthy before the sync */
	SC_ASSERT_INT_EQ(server_wait_requests(s, 1, 10000), 1);
	const char *why = NULL;
	SC_ASSERT(!sc_informer_healthy(seen.inf, &why));
	SC_ASSERT_STR_EQ(why, "not synced yet");
	server_open_gate(s);

	SC_ASSERT(wait_until(listed_twice, &seen, 10000));
	SC_ASSERT_INT_EQ(server_wait_requests(s, 4, 10000), 4);
	SC_ASSERT_INT_EQ(sc_informer_lists(seen.inf), 2);
	SC_ASSERT_INT_EQ(atomic_load(&seen.adds), 2);
	cleanup_json json_t *b = sc_informer_get(seen.inf, "default/b");
	SC_ASSERT(b != NULL);
	SC_ASSERT(wait_until(healthy, &seen, 10000));

	/* list, watch from its resourceVersion, 410, list, watch from the new one */
	size_t lists = 0;
	for (size_t i = 0; i < 4; i++) {
		cleanup_free char *line = server_seen(s, i);
		SC_ASSERT(sc_str_has_prefix(line, "GET /api/v1/namespaces/default/configmaps?"));
		bool watch = strstr(line, "watch=true") != NULL;
		SC_ASSERT_INT_EQ(watch, i % 2 == 1);
		lists += !watch;
	}
	SC_ASSERT_INT_EQ(lists, 2);
	cleanup_free char *watch1 = server_seen(s, 1);
	cleanup_free char *watch2 = server_seen(s, 3);
	SC_ASSERT_STR_CONTAINS(watch1, "resourceVersion=100&");
	SC_ASSERT_STR_CONTAINS(watch2, "resourceVersion=200&");

	sc_informer_free(seen.inf);
	SC_ASSERT_INT_EQ(server_requests(s), 4);
	server_free(s);
}

int main(void)
{
	return sc_test_run();
}
