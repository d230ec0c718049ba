#include "nri/sc-ttrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sc-util.h"
#include "nri/sc-pb.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void sc_ttrpc_header_encode(const struct sc_ttrpc_header *h, uint8_t out[SC_TTRPC_HEADER_LEN])
{
	put_be32(out, h->length);
	put_be32(out + 4, h->stream_id);
	out[8] = h->type;
	out[9] = h->flags;
}

void sc_ttrpc_header_decode(const uint8_t in[SC_TTRPC_HEADER_LEN], struct sc_ttrpc_header *h)
{
	h->length = get_be32(in);
	h->stream_id = get_be32(in + 4);
	h->type = in[8];
	h->flags = in[9];
}

static int put_message(struct sc_buf *out, uint32_t stream_id, enum sc_ttrpc_type type,
		       const struct sc_buf *body, sc_error_t *err)
{
	if (body->len > SC_TTRPC_MAX_MESSAGE)
		return sc_error_make(err, EMSGSIZE, "ttrpc: message of %zu bytes exceeds %u",
				     body->len, SC_TTRPC_MAX_MESSAGE);
	struct sc_ttrpc_header h = {(uint32_t)body->len, stream_id, (uint8_t)type, 0};
	uint8_t hdr[SC_TTRPC_HEADER_LEN];
	sc_ttrpc_header_encode(&h, hdr);
	if (sc_buf_append(out, hdr, sizeof(hdr), err) < 0)
		return -1;
	return body->len ? sc_buf_append(out, body->data, body->len, err) : 0;
}

int sc_ttrpc_put_request(struct sc_buf *out, uint32_t stream_id, const char *service,
			 const char *method, const void *payload, size_t len, sc_error_t *err)
{
	cleanup_buf struct sc_buf body = SC_BUF_INIT(SC_TTRPC_MAX_MESSAGE);
	if (sc_pb_put_string(&body, 1, service, err) < 0 ||
	    sc_pb_put_string(&body, 2, method, err) < 0 ||
	    sc_pb_put_bytes(&body, 3, payload, len, err) < 0)
		return -1;
	return put_message(out, stream_id, SC_TTRPC_REQUEST, &body, err);
}

int sc_ttrpc_put_response(struct sc_buf *out, uint32_t stream_id, int32_t code, const char *message,
			  const void *payload, size_t len, sc_error_t *err)
{
	cleanup_buf struct sc_buf body = SC_BUF_INIT(SC_TTRPC_MAX_MESSAGE);
	if (code != 0 || message != NULL) {
		cleanup_buf struct sc_buf status = SC_BUF_INIT(SC_TTRPC_MAX_MESSAGE);
		/* int32 is sign-extended to 64 bits on the wire. */
		if ((code != 0 && sc_pb_put_uint(&status, 1, (uint64_t)(int64_t)code, err) < 0) ||
		    sc_pb_put_string(&status, 2, message, err) < 0 ||
		    sc_pb_put_bytes(&body, 1, status.data, status.len, err) < 0)
			return -1;
	}
	if (sc_pb_put_bytes(&body, 2, payload, len, err) < 0)
		return -1;
	return put_message(out, stream_id, SC_TTRPC_RESPONSE, &body, err);
}

void sc_ttrpc_msg_clear(struct sc_ttrpc_msg *m)
{
	free(m->service);
	free(m->method);
	free(m->message);
	memset(m, 0, sizeof(*m));
}

static int decode_status(const struct sc_pb_field *f, struct sc_ttrpc_msg *m, sc_error_t *err)
{
	if (f->wire != SC_PB_BYTES)
		return sc_error_make(err, EPROTO, "ttrpc: response status is not a message");
	struct sc_pb_reader r;
	struct sc_pb_field s;
	int rc;
	sc_pb_reader_init(&r, f->data, f->len);
	while ((rc = sc_pb_next(&r, &s, err)) > 0) {
		if (s.number == 1 && s.wire == SC_PB_VARINT)
			m->code = (int32_t)(int64_t)s.varint;
		else if (s.number == 2 && sc_pb_dup_string(&s, &m->message, err) < 0)
			return -1;
	}
	return rc;
}

static int decode_body(const uint8_t *p, size_t len, struct sc_ttrpc_msg *m, sc_error_t *err)
{
	struct sc_pb_reader r;
	struct sc_pb_field f;
	int rc;
	bool request = m->h.type == SC_TTRPC_REQUEST;
	sc_pb_reader_init(&r, p, len);
	while ((rc = sc_pb_next(&r, &f, err)) > 0) {
		if (request && f.number == 1 && sc_pb_dup_string(&f, &m->service, err) < 0)
			return -1;
		if (request && f.number == 2 && sc_pb_dup_string(&f, &m->method, err) < 0)
			return -1;
		if (!request && f.number == 1 && decode_status(&f, m, err) < 0)
			return -1;
		if (f.number == (request ? 3u : 2u)) {
			if (f.wire != SC_PB_BYTES)
				return sc_error_make(err, EPROTO, "ttrpc: payload is not bytes");
			m->payload = f.data;
			m->payload_len = f.len;
		}
	}
	if (rc < 0)
		return sc_error_wrap(err, "ttrpc: stream %u", m->h.stream_id);
	if (request && (m->service == NULL || m->method == NULL))
		return sc_error_make(err, EPROTO, "ttrpc: request on stream %u without %s",
				     m->h.stream_id, m->service ? "method" : "service");
	return 0;
}

int sc_ttrpc_take(const struct sc_buf *in, struct sc_ttrpc_msg *m, size_t *used, sc_error_t *err)
{
	memset(m, 0, sizeof(*m));
	if (in->len < SC_TTRPC_HEADER_LEN)
		return 0;
	sc_ttrpc_header_decode((const uint8_t *)in->data, &m->h);
	if (m->h.length > SC_TTRPC_MAX_MESSAGE)
		return sc_error_make(err, EMSGSIZE, "ttrpc: message of %u bytes exceeds %u",
				     m->h.length, SC_TTRPC_MAX_MESSAGE);
	if (m->h.type != SC_TTRPC_REQUEST && m->h.type != SC_TTRPC_RESPONSE)
		return sc_error_make(err, EPROTO, "ttrpc: unsupported message type %u on stream %u",
				     m->h.type, m->h.stream_id);
	if (in->len - SC_TTRPC_HEADER_LEN < m->h.length)
		return 0;
	if (decode_body((const uint8_t *)in->data + SC_TTRPC_HEADER_LEN, m->h.length, m, err) < 0) {
		sc_ttrpc_msg_clear(m);
		return -1;
	}
	*used = SC_TTRPC_HEADER_LEN + m->h.length;
	return 1;
}

int sc_mux_put(struct sc_buf *out, uint32_t conn, const void *data, size_t len, sc_error_t *err)
{
	const uint8_t *p = data;
	do {
		size_t n = len > SC_MUX_MAX_PAYLOAD ? SC_MUX_MAX_PAYLOAD : len;
		uint8_t hdr[SC_MUX_HEADER_LEN];
		put_be32(hdr, conn);
		put_be32(hdr + 4, (uint32_t)n);
		if (sc_buf_append(out, hdr, sizeof(hdr), err) < 0 ||
		    (n && sc_buf_append(out, p, n, err) < 0))
			return -1;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

void sc_mux_reader_init(struct sc_mux_reader *r)
{
	sc_buf_init(&r->in, SC_MUX_HEADER_LEN + SC_MUX_MAX_PAYLOAD);
	for (size_t i = 0; i < SC_ARRAY_SIZE(r->conn); i++)
		sc_buf_init(&r->conn[i], 2 * (SC_TTRPC_HEADER_LEN + SC_TTRPC_MAX_MESSAGE));
}

void sc_mux_reader_free(struct sc_mux_reader *r)
{
	sc_buf_free(&r->in);
	for (size_t i = 0; i < SC_ARRAY_SIZE(r->conn); i++)
		sc_buf_free(&r->conn[i]);
}

/* Move every whole frame at the start of r->in to its connection's stream. */
static int drain_frames(struct sc_mux_reader *r, sc_error_t *err)
{
	while (r->in.len >= SC_MUX_HEADER_LEN) {
		const uint8_t *p = (const uint8_t *)r->in.data;
		uint32_t conn = get_be32(p), n = get_be32(p + 4);
		if (conn != SC_MUX_PLUGIN_CONN && conn != SC_MUX_RUNTIME_CONN)
			return sc_error_make(err, EPROTO,
					     "nri mux: frame for unknown connection %u", conn);
		if (n > SC_MUX_MAX_PAYLOAD)
			return sc_error_make(err, EMSGSIZE, "nri mux: frame of %u bytes exceeds %u",
					     n, (unsigned)SC_MUX_MAX_PAYLOAD);
		if (r->in.len - SC_MUX_HEADER_LEN < n)
			return 0;
		if (n && sc_buf_append(&r->conn[conn], p + SC_MUX_HEADER_LEN, n, err) < 0)
			return sc_error_wrap(err, "nri mux: connection %u", conn);
		sc_buf_consume(&r->in, SC_MUX_HEADER_LEN + n);
	}
	return 0;
}

int sc_mux_feed(struct sc_mux_reader *r, const void *data, size_t len, sc_error_t *err)
{
	const uint8_t *p = data;
	while (len > 0) {
		/* Never hold more than one frame's worth: drain as we go. */
		size_t room = r->in.max - r->in.len;
		size_t n = len < room ? len : room;
		if (sc_buf_append(&r->in, p, n, err) < 0 || drain_frames(r, err) < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}
