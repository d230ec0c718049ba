/* The plugin's side of one NRI connection (sc-nri.h). Single-threaded: it
 * reads the socket, splits the multiplexed frames into the two ttrpc
 * streams, answers the runtime's requests on connection 1 in order and
 * checks the answer to its own one request, RegisterPlugin, on 2. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/sc-log.h"
#include "lib/sc-util.h"
#include "nri/sc-nri.h"
#include "nri/sc-pb.h"
#include "nri/sc-ttrpc.h"

#define REGISTER_STREAM 1u
#define CHUNK           65536

struct session {
	const struct sc_nri_plugin *p;
	int fd;
	struct sc_mux_reader rd;
	bool registered;
	bool done; /* Shutdown received */
};

static int write_all(int fd, const char *p, size_t n, sc_error_t *err)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sc_error_make_errno(err, "nri: write");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Frame one whole ttrpc message for conn and write it. */
static int send_on(struct session *s, uint32_t conn, const struct sc_buf *msg, sc_error_t *err)
{
	cleanup_buf struct sc_buf frames = SC_BUF_INIT(2 * SC_MUX_MAX_PAYLOAD);
	if (sc_mux_put(&frames, conn, msg->data, msg->len, err) < 0)
		return -1;
	return write_all(s->fd, frames.data, frames.len, err);
}

static int reply(struct session *s, uint32_t stream, int32_t code, const char *message,
		 const struct sc_buf *payload, sc_error_t *err)
{
	cleanup_buf struct sc_buf msg = SC_BUF_INIT(SC_TTRPC_HEADER_LEN + SC_TTRPC_MAX_MESSAGE);
	if (sc_ttrpc_put_response(&msg, stream, code, message, payload ? payload->data : NULL,
				  payload ? payload->len : 0, err) < 0)
		return -1;
	return send_on(s, SC_MUX_PLUGIN_CONN, &msg, err);
}

static int send_register(struct session *s, sc_error_t *err)
{
	cleanup_buf struct sc_buf body = SC_BUF_INIT(4096);
	cleanup_buf struct sc_buf msg = SC_BUF_INIT(8192);
	if (sc_nri_put_register(&body, s->p->name, s->p->idx, err) < 0 ||
	    sc_ttrpc_put_request(&msg, REGISTER_STREAM, SC_NRI_RUNTIME_SERVICE, "RegisterPlugin",
				 body.data, body.len, err) < 0)
		return -1;
	return send_on(s, SC_MUX_RUNTIME_CONN, &msg, err);
}

static int on_create(struct session *s, const struct sc_ttrpc_msg *m, sc_error_t *err)
{
	struct sc_nri_create_request req;
	struct sc_nri_adjustment adj = {0};
	cleanup_buf struct sc_buf out = SC_BUF_INIT(SC_TTRPC_MAX_MESSAGE);
	sc_error_t cb_err = NULL;
	if (sc_nri_decode_create(m->payload, m->payload_len, &req, &cb_err) < 0) {
		int rc = reply(s, m->h.stream_id, SC_TTRPC_INVALID_ARGUMENT,
			       sc_error_message(cb_err), NULL, err);
		sc_error_release(&cb_err);
		return rc;
	}
	int rc;
	if (s->p->create_container && s->p->create_container(s->p->data, &req, &adj, &cb_err) < 0) {
		SC_LOG_WARN("nri: refusing container %s of pod %s/%s: %s", req.container.name,
			    req.pod.namespace ? req.pod.namespace : "",
			    req.pod.name ? req.pod.name : "", sc_error_message(cb_err));
		rc = reply(s, m->h.stream_id, SC_TTRPC_FAILED_PRECONDITION,
			   sc_error_message(cb_err), NULL, err);
	} else if (sc_nri_put_create_response(&out, &adj, &cb_err) < 0) {
		rc = reply(s, m->h.stream_id, SC_TTRPC_INTERNAL, sc_error_message(cb_err), NULL,
			   err);
	} else {
		rc = reply(s, m->h.stream_id, SC_TTRPC_OK, NULL, &out, err);
	}
	sc_error_release(&cb_err);
	sc_nri_adjustment_clear(&adj);
	sc_nri_create_request_clear(&req);
	return rc;
}

static int on_configure(struct session *s, const struct sc_ttrpc_msg *m, sc_error_t *err)
{
	cleanup_free char *name = NULL, *version = NULL;
	cleanup_buf struct sc_buf out = SC_BUF_INIT(64);
	if (sc_nri_decode_configure(m->payload, m->payload_len, &name, &version, err) < 0)
		return -1;
	uint32_t events = s->p->events | sc_nri_event_mask(SC_NRI_CREATE_CONTAINER);
	if (sc_nri_put_configure_response(&out, events, err) < 0 ||
	    reply(s, m->h.stream_id, SC_TTRPC_OK, NULL, &out, err) < 0)
		return -1;
	SC_LOG_INFO("nri: configured by %s %s (events 0x%x)", name ? name : "?",
		    version ? version : "?", events);
	if (s->p->configured)
		s->p->configured(s->p->data, name ? name : "", version ? version : "");
	return 0;
}

static int on_synchronize(struct session *s, const struct sc_ttrpc_msg *m, sc_error_t *err)
{
	bool more;
	cleanup_buf struct sc_buf out = SC_BUF_INIT(64);
	if (sc_nri_decode_synchronize(m->payload, m->payload_len, &more, err) < 0 ||
	    sc_nri_put_synchronize_response(&out, more, err) < 0)
		return -1;
	return reply(s, m->h.stream_id, SC_TTRPC_OK, NULL, &out, err);
}

/* One request of the runtime on connection 1. */
static int on_request(struct session *s, const struct sc_ttrpc_msg *m, sc_error_t *err)
{
	if (strcmp(m->service, SC_NRI_PLUGIN_SERVICE) != 0)
		return reply(s, m->h.stream_id, SC_TTRPC_UNIMPLEMENTED, "unknown service", NULL,
			     err);
	SC_LOG_V(2, "nri: %s on stream %u", m->method, m->h.stream_id);
	if (strcmp(m->method, "Configure") == 0)
		return on_configure(s, m, err);
	if (strcmp(m->method, "Synchronize") == 0)
		return on_synchronize(s, m, err);
	if (strcmp(m->method, "CreateContainer") == 0)
		return on_create(s, m, err);
	if (strcmp(m->method, "Shutdown") == 0) {
		s->done = true;
		return reply(s, m->h.stream_id, SC_TTRPC_OK, NULL, NULL, err);
	}
	/* Events we did not subscribe to, StateChange and the like: nothing to
	 * adjust, an empty answer is a valid one for each. */
	static const char *const empty_ok[] = {
	    "RunPodSandbox",        "StopPodSandbox",      "RemovePodSandbox", "UpdatePodSandbox",
	    "PostUpdatePodSandbox", "PostCreateContainer", "StartContainer",   "PostStartContainer",
	    "UpdateContainer",      "PostUpdateContainer", "StopContainer",    "RemoveContainer",
	    "StateChange"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(empty_ok); i++)
		if (strcmp(m->method, empty_ok[i]) == 0)
			return reply(s, m->h.stream_id, SC_TTRPC_OK, NULL, NULL, err);
	return reply(s, m->h.stream_id, SC_TTRPC_UNIMPLEMENTED, "unknown method", NULL, err);
}

static int on_runtime_message(struct session *s, const struct sc_ttrpc_msg *m, sc_error_t *err)
{
	if (m->h.type != SC_TTRPC_RESPONSE || m->h.stream_id != REGISTER_STREAM || s->registered)
		return sc_error_make(
		    err, EPROTO, "nri: unexpected %s on stream %u of the runtime connection",
		    m->h.type == SC_TTRPC_REQUEST ? "request" : "response", m->h.stream_id);
	if (m->code != SC_TTRPC_OK)
		return sc_error_make(
		    err, EPERM, "nri: the runtime refused to register plugin %s-%s: %s", s->p->idx,
		    s->p->name, m->message ? m->message : "(no message)");
	s->registered = true;
	SC_LOG_INFO("nri: registered as %s-%s", s->p->idx, s->p->name);
	return 0;
}

/* Handle every whole message buffered for conn. */
static int drain(struct session *s, uint32_t conn, sc_error_t *err)
{
	struct sc_buf *in = &s->rd.conn[conn];
	for (;;) {
		struct sc_ttrpc_msg m;
		size_t used = 0;
		int rc = sc_ttrpc_take(in, &m, &used, err);
		if (rc <= 0)
			return rc;
		if (conn == SC_MUX_RUNTIME_CONN)
			rc = on_runtime_message(s, &m, err);
		else if (m.h.type != SC_TTRPC_REQUEST)
			rc = sc_error_make(err, EPROTO,
					   "nri: unexpected response on the plugin connection");
		else
			rc = on_request(s, &m, err);
		sc_ttrpc_msg_clear(&m);
		sc_buf_consume(in, used);
		if (rc < 0 || s->done)
			return rc;
	}
}

int sc_nri_serve(const struct sc_nri_plugin *p, int fd, sc_error_t *err)
{
	if (!sc_nri_valid_name(p->name) || !sc_nri_valid_index(p->idx))
		return sc_error_make(err, EINVAL, "nri: invalid plugin name %s or index %s",
				     p->name, p->idx);
	struct session s = {.p = p, .fd = fd};
	sc_mux_reader_init(&s.rd);
	int rc = send_register(&s, err);
	cleanup_free char *chunk = sc_xmalloc(CHUNK);
	while (rc == 0 && !s.done) {
		ssize_t n = read(fd, chunk, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sc_error_make_errno(err, "nri: read");
			break;
		}
		if (n == 0) {
			SC_LOG_INFO("nri: the runtime closed the connection");
			break;
		}
		if (sc_mux_feed(&s.rd, chunk, (size_t)n, err) < 0 ||
		    drain(&s, SC_MUX_RUNTIME_CONN, err) < 0 ||
		    drain(&s, SC_MUX_PLUGIN_CONN, err) < 0)
			rc = -1;
	}
	sc_mux_reader_free(&s.rd);
	return rc;
}
