/* Protocol Buffers wire format: the little the NRI protocol needs.
 *
 * Writing appends fields to a capped sc_buf: varints (wire type 0) and
 * length-delimited bytes (wire type 2; strings, nested messages, map
 * entries). A nested message is written into its own buffer first and then
 * appended as bytes.
 *
 * Reading walks a message field by field without copying: each field gives
 * its number, wire type and value (a varint, or a slice of the input for the
 * other types). Malformed input — a truncated or over-long varint, a length
 * past the end, field number 0, the deprecated group types 3 and 4, an
 * unknown wire type — is an error with the offset, never a crash. Unknown
 * fields are the caller's to skip (proto3 readers ignore them). */
#ifndef SC_PB_H
#define SC_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sc-buf.h"
#include "lib/sc-error.h"

enum sc_pb_wire {
	SC_PB_VARINT = 0,
	SC_PB_FIXED64 = 1,
	SC_PB_BYTES = 2,
	SC_PB_FIXED32 = 5,
};

/* Field numbers above this are refused (protobuf's own limit is 2^29 - 1). */
#define SC_PB_MAX_FIELD 536870911u

int sc_pb_put_varint(struct sc_buf *b, uint64_t v, sc_error_t *err);
int sc_pb_put_uint(struct sc_buf *b, uint32_t field, uint64_t v, sc_error_t *err);
int sc_pb_put_bytes(struct sc_buf *b, uint32_t field, const void *p, size_t n, sc_error_t *err);
/* A string field; NULL writes nothing. */
int sc_pb_put_string(struct sc_buf *b, uint32_t field, const char *s, sc_error_t *err);
/* One entry of a map<string, string> field. */
int sc_pb_put_map_entry(struct sc_buf *b, uint32_t field, const char *key, const char *value,
			sc_error_t *err);

struct sc_pb_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

struct sc_pb_field {
	uint32_t number;
	enum sc_pb_wire wire;
	uint64_t varint;     /* SC_PB_VARINT, or the value of a fixed type */
	const uint8_t *data; /* SC_PB_BYTES: the bytes (not NUL-terminated) */
	size_t len;
};

static inline void sc_pb_reader_init(struct sc_pb_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

/* 1 and the next field, 0 at the end of the message, -1 on malformed input. */
int sc_pb_next(struct sc_pb_reader *r, struct sc_pb_field *f, sc_error_t *err);

/* A bytes field as a new NUL-terminated string; refuses embedded NULs and
 * fields of another wire type. */
int sc_pb_dup_string(const struct sc_pb_field *f, char **out, sc_error_t *err);

/* The key and value of a map<string, string> entry (a nested message with
 * fields 1 and 2), each a new string. */
int sc_pb_map_entry(const struct sc_pb_field *f, char **key, char **value, sc_error_t *err);

#endif
