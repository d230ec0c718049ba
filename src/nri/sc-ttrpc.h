/* ttrpc messages and NRI's connection multiplexing, as bytes.
 *
 * ttrpc (containerd's RPC over a byte stream): each message is a 10-byte
 * header — payload length and stream ID (big-endian 32-bit), type (1 request,
 * 2 response, 3 data), flags — and a protobuf payload:
 *   Request  { string service = 1; string method = 2; bytes payload = 3;
 *              int64 timeout_nano = 4; repeated KeyValue metadata = 5; }
 *   Response { Status status = 1 { int32 code = 1; string message = 2; };
 *              bytes payload = 2; }
 * A client numbers its streams 1, 3, 5, ...; a response carries its
 * request's stream ID. Payloads are capped at 4 MiB, as ttrpc does.
 *
 * NRI multiplexes two ttrpc connections over one unix socket in frames:
 * connection ID and payload length (big-endian 32-bit), then the payload.
 * A frame carries any part of the connection's byte stream, so a ttrpc
 * message may span frames; conn 1 carries the plugin's service (the runtime
 * calls it), conn 2 the runtime's (the plugin calls it). ID 0 is reserved. */
#ifndef SC_TTRPC_H
#define SC_TTRPC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sc-buf.h"
#include "lib/sc-error.h"

#define SC_TTRPC_HEADER_LEN  10
#define SC_TTRPC_MAX_MESSAGE (4u << 20)

enum sc_ttrpc_type {
	SC_TTRPC_REQUEST = 1,
	SC_TTRPC_RESPONSE = 2,
	SC_TTRPC_DATA = 3,
};

/* gRPC status codes used in responses. */
enum {
	SC_TTRPC_OK = 0,
	SC_TTRPC_INVALID_ARGUMENT = 3,
	SC_TTRPC_FAILED_PRECONDITION = 9,
	SC_TTRPC_UNIMPLEMENTED = 12,
	SC_TTRPC_INTERNAL = 13,
	SC_TTRPC_UNAVAILABLE = 14,
};

struct sc_ttrpc_header {
	uint32_t length;
	uint32_t stream_id;
	uint8_t type;
	uint8_t flags;
};

void sc_ttrpc_header_encode(const struct sc_ttrpc_header *h, uint8_t out[SC_TTRPC_HEADER_LEN]);
void sc_ttrpc_header_decode(const uint8_t in[SC_TTRPC_HEADER_LEN], struct sc_ttrpc_header *h);

/* Append a whole message (header and payload) to out. */
int sc_ttrpc_put_request(struct sc_buf *out, uint32_t stream_id, const char *service,
			 const char *method, const void *payload, size_t len, sc_error_t *err);
/* code 0 and message NULL: success. */
int sc_ttrpc_put_response(struct sc_buf *out, uint32_t stream_id, int32_t code, const char *message,
			  const void *payload, size_t len, sc_error_t *err);

/* A decoded message; strings are owned, payload points into the input. */
struct sc_ttrpc_msg {
	struct sc_ttrpc_header h;
	char *service; /* request */
	char *method;  /* request */
	int32_t code;  /* response */
	char *message; /* response: the status message, or NULL */
	const uint8_t *payload;
	size_t payload_len;
};
void sc_ttrpc_msg_clear(struct sc_ttrpc_msg *m);

/* If in holds a whole message at its start: decode it, set *used to its
 * size and return 1 (the payload points into in: consume it after use).
 * 0 when more bytes are needed; -1 for a message over the cap, an unknown
 * type or a malformed payload. */
int sc_ttrpc_take(const struct sc_buf *in, struct sc_ttrpc_msg *m, size_t *used, sc_error_t *err);

#define SC_MUX_HEADER_LEN   8
#define SC_MUX_PLUGIN_CONN  1u
#define SC_MUX_RUNTIME_CONN 2u
#define SC_MUX_MAX_PAYLOAD  (SC_TTRPC_HEADER_LEN + SC_TTRPC_MAX_MESSAGE)

/* Append data to out as frames of conn (split at SC_MUX_MAX_PAYLOAD). */
int sc_mux_put(struct sc_buf *out, uint32_t conn, const void *data, size_t len, sc_error_t *err);

/* The receiving side: bytes from the socket in, the byte streams of
 * connections 1 and 2 out (conn[1], conn[2]). Frames of any other
 * connection are a protocol error. */
struct sc_mux_reader {
	struct sc_buf in;
	struct sc_buf conn[3];
};
void sc_mux_reader_init(struct sc_mux_reader *r);
void sc_mux_reader_free(struct sc_mux_reader *r);
int sc_mux_feed(struct sc_mux_reader *r, const void *data, size_t len, sc_error_t *err);

#endif
