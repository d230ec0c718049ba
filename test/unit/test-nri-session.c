/* A whole NRI session over a socketpair: sc_nri_serve in a thread, the test
 * as the runtime (it frames and parses with the codec tested byte by byte in
 * test-nri.c). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/sc-util.h"
#include "nri/sc-nri.h"
#include "nri/sc-pb.h"
#include "nri/sc-ttrpc.h"
#include "sc-test.h"

struct served {
	struct sc_nri_plugin p;
	int fd;
	int rc;
	char *msg;
	char *configured_by;
};

static void *serve_thread(void *arg)
{
	struct served *s = arg;
	sc_error_t err = NULL;
	s->rc = sc_nri_serve(&s->p, s->fd, &err);
	if (err)
		s->msg = sc_xstrdup(sc_error_message(err));
	sc_error_release(&err);
	return NULL;
}

static int decide(void *data, const struct sc_nri_create_request *req,
		  struct sc_nri_adjustment *adj, sc_error_t *err)
{
	(void)data;
	if (strcmp(req->pod.namespace, "refuse") == 0)
		return sc_error_make(err, EAGAIN, "the rootfs of %s/%s is not ready",
				     req->pod.namespace, req->pod.name);
	const char *role = sc_nri_map_get(&req->pod.labels, "role");
	if (role && strcmp(role, "consumer") == 0 && strcmp(req->container.name, "workload") == 0) {
		adj->hook_path = sc_xstrdup("/hook");
		adj->hook_args = sc_strv_dup((char *[]){"hook", req->container.id, NULL});
	}
	return 0;
}

static void configured(void *data, const char *name, const char *version)
{
	struct served *s = data;
	s->configured_by = sc_xasprintf("%s %s", name, version);
}

struct runtime {
	int fd;
	struct sc_mux_reader rd;
	uint32_t next_stream;
};

/* One message as the runtime got it: owned copies. */
struct got {
	struct sc_ttrpc_header h;
	int32_t code;
	char *service, *method, *message;
	struct sc_buf payload;
};

static void got_clear(struct got *g)
{
	free(g->service);
	free(g->method);
	free(g->message);
	sc_buf_free(&g->payload);
	memset(g, 0, sizeof(*g));
}

static void rt_read(struct runtime *rt, uint32_t conn, struct got *g)
{
	memset(g, 0, sizeof(*g));
	sc_buf_init(&g->payload, SC_TTRPC_MAX_MESSAGE);
	for (;;) {
		struct sc_ttrpc_msg m;
		size_t used = 0;
		int rc = sc_ttrpc_take(&rt->rd.conn[conn], &m, &used, NULL);
		SC_ASSERT(rc >= 0);
		if (rc == 1) {
			g->h = m.h;
			g->code = m.code;
			g->service = steal_pointer(&m.service);
			g->method = steal_pointer(&m.method);
			g->message = steal_pointer(&m.message);
			if (m.payload_len)
				SC_ASSERT_INT_EQ(
				    sc_buf_append(&g->payload, m.payload, m.payload_len, NULL), 0);
			sc_ttrpc_msg_clear(&m);
			sc_buf_consume(&rt->rd.conn[conn], used);
			return;
		}
		char chunk[4096];
		ssize_t n = read(rt->fd, chunk, sizeof(chunk));
		SC_ASSERT(n > 0);
		SC_ASSERT_INT_EQ(sc_mux_feed(&rt->rd, chunk, (size_t)n, NULL), 0);
	}
}

static void rt_write(struct runtime *rt, uint32_t conn, const struct sc_buf *msg)
{
	cleanup_buf struct sc_buf frames = SC_BUF_INIT(1 << 20);
	SC_ASSERT_INT_EQ(sc_mux_put(&frames, conn, msg->data, msg->len, NULL), 0);
	/* Byte by byte for the first frames' headers: the plugin must cope
	 * with any split. */
	for (size_t i = 0; i < frames.len; i++)
		SC_ASSERT_INT_EQ(write(rt->fd, frames.data + i, 1), 1);
}

/* Call a plugin method; returns its response. */
static void rt_call(struct runtime *rt, const char *method, const struct sc_buf *payload,
		    struct got *g)
{
	cleanup_buf struct sc_buf msg = SC_BUF_INIT(1 << 20);
	uint32_t stream = rt->next_stream;
	rt->next_stream += 2;
	SC_ASSERT_INT_EQ(sc_ttrpc_put_request(&msg, stream, SC_NRI_PLUGIN_SERVICE, method,
					      payload ? payload->data : NULL,
					      payload ? payload->len : 0, NULL),
			 0);
	rt_write(rt, SC_MUX_PLUGIN_CONN, &msg);
	rt_read(rt, SC_MUX_PLUGIN_CONN, g);
	SC_ASSERT_INT_EQ(g->h.type, SC_TTRPC_RESPONSE);
	SC_ASSERT_INT_EQ(g->h.stream_id, stream);
}

static void start(struct served *s, struct runtime *rt, pthread_t *t)
{
	int sv[2];
	SC_ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	s->p = (struct sc_nri_plugin){.name = "stoppablecontainer",
				      .idx = "50",
				      .create_container = decide,
				      .configured = configured,
				      .data = s};
	s->fd = sv[1];
	rt->fd = sv[0];
	rt->next_stream = 1;
	sc_mux_reader_init(&rt->rd);
	SC_ASSERT_INT_EQ(pthread_create(t, NULL, serve_thread, s), 0);
}

static void finish(struct served *s, struct runtime *rt, pthread_t t)
{
	SC_ASSERT_INT_EQ(pthread_join(t, NULL), 0);
	close(rt->fd);
	close(s->fd);
	sc_mux_reader_free(&rt->rd);
}

/* The plugin's RegisterPlugin request; answered with code (0: accepted). */
static void expect_register(struct runtime *rt, int32_t code)
{
	struct got g;
	rt_read(rt, SC_MUX_RUNTIME_CONN, &g);
	SC_ASSERT_INT_EQ(g.h.type, SC_TTRPC_REQUEST);
	SC_ASSERT_INT_EQ(g.h.stream_id, 1);
	SC_ASSERT_STR_EQ(g.service, "nri.pkg.api.v1alpha1.Runtime");
	SC_ASSERT_STR_EQ(g.method, "RegisterPlugin");
	struct sc_pb_reader r;
	struct sc_pb_field f;
	cleanup_free char *name = NULL, *idx = NULL;
	sc_pb_reader_init(&r, g.payload.data, g.payload.len);
	while (sc_pb_next(&r, &f, NULL) > 0) {
		if (f.number == 1)
			SC_ASSERT_INT_EQ(sc_pb_dup_string(&f, &name, NULL), 0);
		if (f.number == 2)
			SC_ASSERT_INT_EQ(sc_pb_dup_string(&f, &idx, NULL), 0);
	}
	SC_ASSERT_STR_EQ(name, "stoppablecontainer");
	SC_ASSERT_STR_EQ(idx, "50");
	got_clear(&g);
	cleanup_buf struct sc_buf resp = SC_BUF_INIT(4096);
	SC_ASSERT_INT_EQ(
	    sc_ttrpc_put_response(&resp, 1, code, code ? "plugin name taken" : NULL, NULL, 0, NULL),
	    0);
	rt_write(rt, SC_MUX_RUNTIME_CONN, &resp);
}

static uint64_t varint_field(const struct sc_buf *b, uint32_t number)
{
	struct sc_pb_reader r;
	struct sc_pb_field f;
	sc_pb_reader_init(&r, b->data, b->len);
	while (sc_pb_next(&r, &f, NULL) > 0)
		if (f.number == number && f.wire == SC_PB_VARINT)
			return f.varint;
	return UINT64_MAX;
}

static bool contains(const struct sc_buf *b, const char *s)
{
	return b->data != NULL && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static void create_request(struct sc_buf *b, const char *ns, const char *role, const char *name)
{
	cleanup_buf struct sc_buf pod = SC_BUF_INIT(4096);
	cleanup_buf struct sc_buf ctr = SC_BUF_INIT(4096);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&pod, 2, "dev", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&pod, 4, ns, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_map_entry(&pod, 5, "role", role, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&ctr, 1, "abc123", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&ctr, 3, name, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_bytes(b, 1, pod.data, pod.len, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_bytes(b, 2, ctr.data, ctr.len, NULL), 0);
}

SC_TEST(a_whole_session_registers_configures_adjusts_and_shuts_down)
{
	struct served s = {0};
	struct runtime rt;
	pthread_t t;
	start(&s, &rt, &t);
	expect_register(&rt, 0);
	struct got g;

	cleanup_buf struct sc_buf conf = SC_BUF_INIT(4096);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&conf, 2, "containerd", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&conf, 3, "v2.2.9", NULL), 0);
	rt_call(&rt, "Configure", &conf, &g);
	SC_ASSERT_INT_EQ(g.code, 0);
	SC_ASSERT_INT_EQ(varint_field(&g.payload, 2), 0x8); /* CREATE_CONTAINER only */
	got_clear(&g);

	for (int more = 1; more >= 0; more--) {
		cleanup_buf struct sc_buf sync = SC_BUF_INIT(64);
		if (more)
			SC_ASSERT_INT_EQ(sc_pb_put_uint(&sync, 3, 1, NULL), 0);
		rt_call(&rt, "Synchronize", &sync, &g);
		SC_ASSERT_INT_EQ(g.code, 0);
		SC_ASSERT_INT_EQ(varint_field(&g.payload, 2), more ? 1 : UINT64_MAX);
		got_clear(&g);
	}

	cleanup_buf struct sc_buf ours = SC_BUF_INIT(8192);
	create_request(&ours, "team-a", "consumer", "workload");
	rt_call(&rt, "CreateContainer", &ours, &g);
	SC_ASSERT_INT_EQ(g.code, 0);
	SC_ASSERT(g.payload.len > 0);
	SC_ASSERT(contains(&g.payload, "/hook"));
	SC_ASSERT(contains(&g.payload, "abc123"));
	got_clear(&g);

	cleanup_buf struct sc_buf other = SC_BUF_INIT(8192);
	create_request(&other, "team-a", "consumer", "sidecar");
	rt_call(&rt, "CreateContainer", &other, &g);
	SC_ASSERT_INT_EQ(g.code, 0);
	SC_ASSERT_INT_EQ(g.payload.len, 0); /* an empty adjustment */
	got_clear(&g);

	cleanup_buf struct sc_buf refused = SC_BUF_INIT(8192);
	create_request(&refused, "refuse", "consumer", "workload");
	rt_call(&rt, "CreateContainer", &refused, &g);
	SC_ASSERT_INT_EQ(g.code, SC_TTRPC_FAILED_PRECONDITION);
	SC_ASSERT_STR_CONTAINS(g.message, "the rootfs of refuse/dev is not ready");
	got_clear(&g);

	rt_call(&rt, "CreateContainer", NULL, &g); /* no container: bad request */
	SC_ASSERT_INT_EQ(g.code, SC_TTRPC_INVALID_ARGUMENT);
	got_clear(&g);
	rt_call(&rt, "StopContainer", NULL, &g);
	SC_ASSERT_INT_EQ(g.code, 0);
	got_clear(&g);
	rt_call(&rt, "Frobnicate", NULL, &g);
	SC_ASSERT_INT_EQ(g.code, SC_TTRPC_UNIMPLEMENTED);
	got_clear(&g);

	rt_call(&rt, "Shutdown", NULL, &g);
	SC_ASSERT_INT_EQ(g.code, 0);
	got_clear(&g);
	finish(&s, &rt, t);
	SC_ASSERT_INT_EQ(s.rc, 0);
	SC_ASSERT_STR_EQ(s.configured_by, "containerd v2.2.9");
	free(s.configured_by);
	free(s.msg);
}

SC_TEST(a_refused_registration_ends_the_session_with_the_runtimes_reason)
{
	struct served s = {0};
	struct runtime rt;
	pthread_t t;
	start(&s, &rt, &t);
	expect_register(&rt, 3);
	finish(&s, &rt, t);
	SC_ASSERT_INT_EQ(s.rc, -1);
	SC_ASSERT_STR_CONTAINS(
	    s.msg, "refused to register plugin 50-stoppablecontainer: plugin name taken");
	free(s.msg);
}

SC_TEST(the_runtime_closing_ends_the_session_and_garbage_is_an_error)
{
	struct served s = {0};
	struct runtime rt;
	pthread_t t;
	start(&s, &rt, &t);
	expect_register(&rt, 0);
	SC_ASSERT_INT_EQ(shutdown(rt.fd, SHUT_WR), 0);
	finish(&s, &rt, t);
	SC_ASSERT_INT_EQ(s.rc, 0);

	struct served s2 = {0};
	start(&s2, &rt, &t);
	expect_register(&rt, 0);
	static const uint8_t bad[] = {0, 0, 0, 7, 0, 0, 0, 1, 'x'};
	SC_ASSERT_INT_EQ(write(rt.fd, bad, sizeof(bad)), (ssize_t)sizeof(bad));
	finish(&s2, &rt, t);
	SC_ASSERT_INT_EQ(s2.rc, -1);
	SC_ASSERT_STR_CONTAINS(s2.msg, "unknown connection 7");
	free(s2.msg);
}
