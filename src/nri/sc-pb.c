#include "nri/sc-pb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sc-util.h"

int sc_pb_put_varint(struct sc_buf *b, uint64_t v, sc_error_t *err)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = byte | (v ? 0x80 : 0);
	} while (v);
	return sc_buf_append(b, tmp, n, err);
}

static int put_tag(struct sc_buf *b, uint32_t field, enum sc_pb_wire wire, sc_error_t *err)
{
	if (field == 0 || field > SC_PB_MAX_FIELD)
		return sc_error_make(err, EINVAL, "protobuf: invalid field number %u", field);
	return sc_pb_put_varint(b, ((uint64_t)field << 3) | wire, err);
}

int sc_pb_put_uint(struct sc_buf *b, uint32_t field, uint64_t v, sc_error_t *err)
{
	if (put_tag(b, field, SC_PB_VARINT, err) < 0)
		return -1;
	return sc_pb_put_varint(b, v, err);
}

int sc_pb_put_bytes(struct sc_buf *b, uint32_t field, const void *p, size_t n, sc_error_t *err)
{
	if (put_tag(b, field, SC_PB_BYTES, err) < 0 || sc_pb_put_varint(b, n, err) < 0)
		return -1;
	return n ? sc_buf_append(b, p, n, err) : 0;
}

int sc_pb_put_string(struct sc_buf *b, uint32_t field, const char *s, sc_error_t *err)
{
	if (s == NULL)
		return 0;
	return sc_pb_put_bytes(b, field, s, strlen(s), err);
}

int sc_pb_put_map_entry(struct sc_buf *b, uint32_t field, const char *key, const char *value,
			sc_error_t *err)
{
	cleanup_buf struct sc_buf entry = SC_BUF_INIT(b->max);
	if (sc_pb_put_string(&entry, 1, key, err) < 0 ||
	    sc_pb_put_string(&entry, 2, value, err) < 0)
		return -1;
	return sc_pb_put_bytes(b, field, entry.data, entry.len, err);
}

static int get_varint(struct sc_pb_reader *r, uint64_t *out, sc_error_t *err)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (r->off >= r->len)
			return sc_error_make(err, EPROTO,
					     "protobuf: truncated varint at offset %zu", r->off);
		uint8_t byte = r->p[r->off++];
		if (i == 9 && byte > 1)
			return sc_error_make(err, EPROTO,
					     "protobuf: varint overflows 64 bits at offset %zu",
					     r->off - 1);
		v |= (uint64_t)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return sc_error_make(err, EPROTO, "protobuf: varint longer than 10 bytes at offset %zu",
			     r->off);
}

static int get_fixed(struct sc_pb_reader *r, size_t n, struct sc_pb_field *f, sc_error_t *err)
{
	if (r->len - r->off < n)
		return sc_error_make(err, EPROTO,
				     "protobuf: truncated %zu-byte field %u at offset %zu", n,
				     f->number, r->off);
	f->varint = 0;
	for (size_t i = 0; i < n; i++)
		f->varint |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += n;
	return 0;
}

int sc_pb_next(struct sc_pb_reader *r, struct sc_pb_field *f, sc_error_t *err)
{
	if (r->off >= r->len)
		return 0;
	size_t at = r->off;
	uint64_t tag;
	if (get_varint(r, &tag, err) < 0)
		return -1;
	uint64_t number = tag >> 3;
	if (number == 0 || number > SC_PB_MAX_FIELD)
		return sc_error_make(err, EPROTO,
				     "protobuf: invalid field number %llu at offset %zu",
				     (unsigned long long)number, at);
	memset(f, 0, sizeof(*f));
	f->number = (uint32_t)number;
	f->wire = (enum sc_pb_wire)(tag & 7);
	switch (f->wire) {
	case SC_PB_VARINT:
		return get_varint(r, &f->varint, err) < 0 ? -1 : 1;
	case SC_PB_FIXED64:
		return get_fixed(r, 8, f, err) < 0 ? -1 : 1;
	case SC_PB_FIXED32:
		return get_fixed(r, 4, f, err) < 0 ? -1 : 1;
	case SC_PB_BYTES: {
		uint64_t n;
		if (get_varint(r, &n, err) < 0)
			return -1;
		if (n > r->len - r->off)
			return sc_error_make(
			    err, EPROTO,
			    "protobuf: field %u at offset %zu claims %llu bytes, %zu left",
			    f->number, at, (unsigned long long)n, r->len - r->off);
		f->data = r->p + r->off;
		f->len = (size_t)n;
		r->off += (size_t)n;
		return 1;
	}
	default:
		return sc_error_make(err, EPROTO,
				     "protobuf: unsupported wire type %u at offset %zu",
				     (unsigned)(tag & 7), at);
	}
}

int sc_pb_dup_string(const struct sc_pb_field *f, char **out, sc_error_t *err)
{
	if (f->wire != SC_PB_BYTES)
		return sc_error_make(err, EPROTO,
				     "protobuf: field %u is not a string (wire type %d)", f->number,
				     f->wire);
	if (f->len && memchr(f->data, '\0', f->len))
		return sc_error_make(err, EPROTO, "protobuf: string field %u contains a NUL byte",
				     f->number);
	free(*out);
	*out = sc_xstrndup((const char *)f->data, f->len);
	return 0;
}

int sc_pb_map_entry(const struct sc_pb_field *f, char **key, char **value, sc_error_t *err)
{
	if (f->wire != SC_PB_BYTES)
		return sc_error_make(err, EPROTO, "protobuf: map field %u is not a message",
				     f->number);
	struct sc_pb_reader r;
	struct sc_pb_field e;
	int rc;
	sc_pb_reader_init(&r, f->data, f->len);
	while ((rc = sc_pb_next(&r, &e, err)) > 0) {
		if (e.number == 1 && sc_pb_dup_string(&e, key, err) < 0)
			return -1;
		if (e.number == 2 && sc_pb_dup_string(&e, value, err) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	/* proto3 omits empty strings: a missing key or value is "". */
	if (*key == NULL)
		*key = sc_xstrdup("");
	if (*value == NULL)
		*value = sc_xstrdup("");
	return 0;
}
