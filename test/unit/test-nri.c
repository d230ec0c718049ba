/* The NRI plugin's codec and loop (src/nri/): protobuf wire format against
 * the encoding spec's own examples, ttrpc and mux framing byte by byte,
 * malformed input, and a whole session over a socketpair in which the test
 * plays the runtime. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/sc-util.h"
#include "nri/sc-nri.h"
#include "nri/sc-pb.h"
#include "nri/sc-ttrpc.h"
#include "sc-test.h"

#define ASSERT_BYTES(buf, ...)                                            \
	do {                                                              \
		static const uint8_t want_[] = {__VA_ARGS__};             \
		SC_ASSERT_INT_EQ((buf).len, sizeof(want_));               \
		SC_ASSERT(memcmp((buf).data, want_, sizeof(want_)) == 0); \
	} while (0)

SC_TEST(varints_encode_as_the_spec_says)
{
	static const struct {
		uint64_t v;
		size_t n;
		uint8_t b[10];
	} cases[] = {
	    {0, 1, {0x00}},
	    {1, 1, {0x01}},
	    {127, 1, {0x7f}},
	    {128, 2, {0x80, 0x01}},
	    {150, 2, {0x96, 0x01}},
	    {300, 2, {0xac, 0x02}},
	    {UINT64_MAX, 10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		cleanup_buf struct sc_buf b = SC_BUF_INIT(64);
		SC_ASSERT_INT_EQ(sc_pb_put_varint(&b, cases[i].v, NULL), 0);
		SC_ASSERT_INT_EQ(b.len, cases[i].n);
		SC_ASSERT(memcmp(b.data, cases[i].b, cases[i].n) == 0);
		struct sc_pb_reader r;
		struct sc_pb_field f;
		cleanup_buf struct sc_buf tagged = SC_BUF_INIT(64);
		SC_ASSERT_INT_EQ(sc_pb_put_uint(&tagged, 1, cases[i].v, NULL), 0);
		sc_pb_reader_init(&r, tagged.data, tagged.len);
		SC_ASSERT_INT_EQ(sc_pb_next(&r, &f, NULL), 1);
		SC_ASSERT(f.varint == cases[i].v);
		SC_ASSERT_INT_EQ(sc_pb_next(&r, &f, NULL), 0);
	}
}

SC_TEST(fields_encode_as_the_spec_examples)
{
	cleanup_buf struct sc_buf a = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_pb_put_uint(&a, 1, 150, NULL), 0);
	ASSERT_BYTES(a, 0x08, 0x96, 0x01);
	cleanup_buf struct sc_buf b = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&b, 2, "testing", NULL), 0);
	ASSERT_BYTES(b, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g');
	cleanup_buf struct sc_buf c = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_pb_put_map_entry(&c, 5, "k", "v", NULL), 0);
	ASSERT_BYTES(c, 0x2a, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v');
	cleanup_buf struct sc_buf d = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&d, 1, NULL, NULL), 0);
	SC_ASSERT_INT_EQ(d.len, 0);
	sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_pb_put_uint(&d, 0, 1, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "invalid field number 0");
	sc_error_release(&err);
}

static void expect_malformed(const uint8_t *p, size_t n, const char *msg)
{
	struct sc_pb_reader r;
	struct sc_pb_field f;
	sc_error_t err = NULL;
	int rc;
	sc_pb_reader_init(&r, p, n);
	while ((rc = sc_pb_next(&r, &f, &err)) > 0)
		;
	SC_ASSERT_INT_EQ(rc, -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), msg);
	sc_error_release(&err);
}

SC_TEST(malformed_protobuf_is_an_error_with_its_offset)
{
	expect_malformed((const uint8_t[]){0x08, 0x96}, 2, "truncated varint at offset 2");
	expect_malformed((const uint8_t[]){0x0a, 0x05, 'a'}, 3, "claims 5 bytes, 1 left");
	expect_malformed((const uint8_t[]){0x00, 0x01}, 2, "invalid field number 0");
	expect_malformed((const uint8_t[]){0x0b}, 1, "unsupported wire type 3");
	expect_malformed((const uint8_t[]){0x0c}, 1, "unsupported wire type 4");
	expect_malformed((const uint8_t[]){0x0e}, 1, "unsupported wire type 6");
	expect_malformed((const uint8_t[]){0x09, 1, 2, 3}, 4, "truncated 8-byte field 1");
	expect_malformed(
	    (const uint8_t[]){0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 11,
	    "overflows 64 bits");
	expect_malformed((const uint8_t[]){0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					   0x80, 0x80, 0x00},
			 12, "varint");
	/* A huge length must not wrap the bounds check. */
	expect_malformed(
	    (const uint8_t[]){0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 11,
	    "left");
}

SC_TEST(strings_with_nul_and_maps_with_missing_fields)
{
	struct sc_pb_field f = {
	    .number = 1, .wire = SC_PB_BYTES, .data = (const uint8_t *)"a\0b", .len = 3};
	char *s = NULL;
	sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_pb_dup_string(&f, &s, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "NUL");
	sc_error_release(&err);
	SC_ASSERT(s == NULL);
	/* An entry with only a key: the value is "". */
	static const uint8_t entry[] = {0x0a, 0x01, 'k'};
	f = (struct sc_pb_field){.number = 5, .wire = SC_PB_BYTES, .data = entry, .len = 3};
	cleanup_free char *k = NULL, *v = NULL;
	SC_ASSERT_INT_EQ(sc_pb_map_entry(&f, &k, &v, NULL), 0);
	SC_ASSERT_STR_EQ(k, "k");
	SC_ASSERT_STR_EQ(v, "");
	f.wire = SC_PB_VARINT;
	SC_ASSERT_INT_EQ(sc_pb_dup_string(&f, &s, &err), -1);
	sc_error_release(&err);
}

SC_TEST(ttrpc_request_bytes)
{
	cleanup_buf struct sc_buf b = SC_BUF_INIT(256);
	SC_ASSERT_INT_EQ(sc_ttrpc_put_request(&b, 3, "s", "m", "P", 1, NULL), 0);
	/* header: length 9, stream 3, type 1, flags 0; then service, method, payload */
	ASSERT_BYTES(b, 0, 0, 0, 9, 0, 0, 0, 3, 1, 0, 0x0a, 1, 's', 0x12, 1, 'm', 0x1a, 1, 'P');
	struct sc_ttrpc_msg m;
	size_t used = 0;
	SC_ASSERT_INT_EQ(sc_ttrpc_take(&b, &m, &used, NULL), 1);
	SC_ASSERT_INT_EQ(used, b.len);
	SC_ASSERT_INT_EQ(m.h.type, SC_TTRPC_REQUEST);
	SC_ASSERT_INT_EQ(m.h.stream_id, 3);
	SC_ASSERT_STR_EQ(m.service, "s");
	SC_ASSERT_STR_EQ(m.method, "m");
	SC_ASSERT_INT_EQ(m.payload_len, 1);
	SC_ASSERT(m.payload[0] == 'P');
	sc_ttrpc_msg_clear(&m);
	/* Every shorter prefix: more bytes needed. */
	for (size_t n = 0; n < b.len; n++) {
		struct sc_buf part = {b.data, n, n, b.max};
		SC_ASSERT_INT_EQ(sc_ttrpc_take(&part, &m, &used, NULL), 0);
	}
}

SC_TEST(ttrpc_response_status_and_payload)
{
	cleanup_buf struct sc_buf ok = SC_BUF_INIT(256);
	SC_ASSERT_INT_EQ(sc_ttrpc_put_response(&ok, 1, 0, NULL, NULL, 0, NULL), 0);
	/* success and no payload: an empty-bytes payload field only */
	ASSERT_BYTES(ok, 0, 0, 0, 2, 0, 0, 0, 1, 2, 0, 0x12, 0);
	cleanup_buf struct sc_buf bad = SC_BUF_INIT(256);
	SC_ASSERT_INT_EQ(sc_ttrpc_put_response(&bad, 7, 9, "no", NULL, 0, NULL), 0);
	ASSERT_BYTES(bad, 0, 0, 0, 10, 0, 0, 0, 7, 2, 0, 0x0a, 6, 0x08, 9, 0x12, 2, 'n', 'o', 0x12,
		     0);
	struct sc_ttrpc_msg m;
	size_t used;
	SC_ASSERT_INT_EQ(sc_ttrpc_take(&bad, &m, &used, NULL), 1);
	SC_ASSERT_INT_EQ(m.h.type, SC_TTRPC_RESPONSE);
	SC_ASSERT_INT_EQ(m.code, 9);
	SC_ASSERT_STR_EQ(m.message, "no");
	sc_ttrpc_msg_clear(&m);
	/* A negative code is sign-extended to ten bytes and read back. */
	cleanup_buf struct sc_buf neg = SC_BUF_INIT(256);
	SC_ASSERT_INT_EQ(sc_ttrpc_put_response(&neg, 1, -2, NULL, NULL, 0, NULL), 0);
	SC_ASSERT_INT_EQ(sc_ttrpc_take(&neg, &m, &used, NULL), 1);
	SC_ASSERT_INT_EQ(m.code, -2);
	sc_ttrpc_msg_clear(&m);
}

SC_TEST(ttrpc_refuses_oversized_unknown_and_incomplete_messages)
{
	sc_error_t err = NULL;
	struct sc_ttrpc_msg m;
	size_t used;
	uint8_t big[10] = {0, 0x40, 0, 1, 0, 0, 0, 1, 1, 0}; /* 4 MiB + 1 */
	struct sc_buf b = {(char *)big, 10, 10, 10};
	SC_ASSERT_INT_EQ(sc_ttrpc_take(&b, &m, &used, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "exceeds");
	sc_error_release(&err);
	uint8_t data[10] = {0, 0, 0, 0, 0, 0, 0, 1, 3, 0}; /* type 3: streams */
	b.data = (char *)data;
	SC_ASSERT_INT_EQ(sc_ttrpc_take(&b, &m, &used, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "unsupported message type 3");
	sc_error_release(&err);
	/* A request without a method. */
	uint8_t nomethod[13] = {0, 0, 0, 3, 0, 0, 0, 1, 1, 0, 0x0a, 1, 's'};
	b = (struct sc_buf){(char *)nomethod, 13, 13, 13};
	SC_ASSERT_INT_EQ(sc_ttrpc_take(&b, &m, &used, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "without method");
	sc_error_release(&err);
}

SC_TEST(mux_frames_and_reassembles_byte_by_byte)
{
	cleanup_buf struct sc_buf out = SC_BUF_INIT(256);
	SC_ASSERT_INT_EQ(sc_mux_put(&out, 2, "abc", 3, NULL), 0);
	SC_ASSERT_INT_EQ(sc_mux_put(&out, 1, "xy", 2, NULL), 0);
	SC_ASSERT_INT_EQ(sc_mux_put(&out, 2, "d", 1, NULL), 0);
	ASSERT_BYTES(out, 0, 0, 0, 2, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 0, 0, 0, 2, 'x', 'y',
		     0, 0, 0, 2, 0, 0, 0, 1, 'd');
	struct sc_mux_reader r;
	sc_mux_reader_init(&r);
	for (size_t i = 0; i < out.len; i++)
		SC_ASSERT_INT_EQ(sc_mux_feed(&r, out.data + i, 1, NULL), 0);
	SC_ASSERT_INT_EQ(r.conn[2].len, 4);
	SC_ASSERT(memcmp(r.conn[2].data, "abcd", 4) == 0);
	SC_ASSERT_INT_EQ(r.conn[1].len, 2);
	SC_ASSERT(memcmp(r.conn[1].data, "xy", 2) == 0);
	SC_ASSERT_INT_EQ(r.in.len, 0);
	sc_mux_reader_free(&r);
}

SC_TEST(mux_splits_large_payloads_and_refuses_unknown_connections)
{
	size_t n = SC_MUX_MAX_PAYLOAD + 5;
	cleanup_free char *big = sc_xzalloc(n);
	big[n - 1] = 'z';
	cleanup_buf struct sc_buf out = SC_BUF_INIT(2 * n);
	SC_ASSERT_INT_EQ(sc_mux_put(&out, 1, big, n, NULL), 0);
	SC_ASSERT_INT_EQ(out.len, n + 2 * SC_MUX_HEADER_LEN);
	const uint8_t *second = (const uint8_t *)out.data + SC_MUX_HEADER_LEN + SC_MUX_MAX_PAYLOAD;
	SC_ASSERT_INT_EQ(second[7], 5);
	struct sc_mux_reader r;
	sc_mux_reader_init(&r);
	SC_ASSERT_INT_EQ(sc_mux_feed(&r, out.data, out.len, NULL), 0);
	SC_ASSERT_INT_EQ(r.conn[1].len, n);
	SC_ASSERT(r.conn[1].data[n - 1] == 'z');
	sc_mux_reader_free(&r);
	static const uint8_t frames[][8] = {{0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 3, 0, 0, 0, 0}};
	for (size_t i = 0; i < 2; i++) {
		sc_error_t err = NULL;
		sc_mux_reader_init(&r);
		SC_ASSERT_INT_EQ(sc_mux_feed(&r, frames[i], 8, &err), -1);
		SC_ASSERT_STR_CONTAINS(sc_error_message(err), "unknown connection");
		sc_error_release(&err);
		sc_mux_reader_free(&r);
	}
}

SC_TEST(nri_names_and_indexes)
{
	SC_ASSERT(sc_nri_valid_name("stoppablecontainer"));
	SC_ASSERT(sc_nri_valid_name("a-b_c.d+e9"));
	SC_ASSERT(!sc_nri_valid_name(""));
	SC_ASSERT(!sc_nri_valid_name("a/b"));
	SC_ASSERT(!sc_nri_valid_name("a b"));
	SC_ASSERT(sc_nri_valid_index("50"));
	SC_ASSERT(!sc_nri_valid_index("5"));
	SC_ASSERT(!sc_nri_valid_index("500"));
	SC_ASSERT(!sc_nri_valid_index("5a"));
	SC_ASSERT_INT_EQ(sc_nri_event_mask(SC_NRI_CREATE_CONTAINER), 0x8);
	SC_ASSERT_INT_EQ(sc_nri_event_mask(SC_NRI_RUN_POD_SANDBOX), 0x1);
}

SC_TEST(nri_small_messages_bytes)
{
	cleanup_buf struct sc_buf reg = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_nri_put_register(&reg, "sc", "50", NULL), 0);
	ASSERT_BYTES(reg, 0x0a, 2, 's', 'c', 0x12, 2, '5', '0');
	cleanup_buf struct sc_buf conf = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_nri_put_configure_response(&conf, 0x8, NULL), 0);
	ASSERT_BYTES(conf, 0x10, 0x08);
	cleanup_buf struct sc_buf sync = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_nri_put_synchronize_response(&sync, true, NULL), 0);
	ASSERT_BYTES(sync, 0x10, 0x01);
	cleanup_buf struct sc_buf none = SC_BUF_INIT(64);
	SC_ASSERT_INT_EQ(sc_nri_put_synchronize_response(&none, false, NULL), 0);
	SC_ASSERT_INT_EQ(none.len, 0);
	struct sc_nri_adjustment empty = {0};
	SC_ASSERT_INT_EQ(sc_nri_put_create_response(&none, &empty, NULL), 0);
	SC_ASSERT_INT_EQ(none.len, 0);
}

/* A CreateContainerRequest laid out by api.proto's field numbers. */
static void put_create_request(struct sc_buf *out, const char *ns, const char *role,
			       const char *container)
{
	cleanup_buf struct sc_buf pod = SC_BUF_INIT(4096);
	cleanup_buf struct sc_buf ctr = SC_BUF_INIT(4096);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&pod, 1, "sandbox-id", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&pod, 2, "dev", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&pod, 3, "0c6f7f4e-1111-2222-3333-444455556666", NULL),
			 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&pod, 4, ns, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_map_entry(&pod, 5, "role", "old", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_map_entry(&pod, 5, "role", role, NULL), 0); /* later wins */
	SC_ASSERT_INT_EQ(sc_pb_put_map_entry(&pod, 6, "a", "b", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_uint(&pod, 9, 1234, NULL), 0); /* skipped */
	SC_ASSERT_INT_EQ(sc_pb_put_string(&ctr, 1, "c0ffee", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&ctr, 2, "sandbox-id", NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&ctr, 3, container, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_string(&ctr, 7, "/bin/sh", NULL), 0); /* args: skipped */
	SC_ASSERT_INT_EQ(sc_pb_put_bytes(out, 1, pod.data, pod.len, NULL), 0);
	SC_ASSERT_INT_EQ(sc_pb_put_bytes(out, 2, ctr.data, ctr.len, NULL), 0);
}

SC_TEST(nri_create_request_decodes)
{
	cleanup_buf struct sc_buf b = SC_BUF_INIT(8192);
	put_create_request(&b, "team-a", "consumer", "workload");
	struct sc_nri_create_request r;
	SC_ASSERT_INT_EQ(sc_nri_decode_create(b.data, b.len, &r, NULL), 0);
	SC_ASSERT_STR_EQ(r.pod.namespace, "team-a");
	SC_ASSERT_STR_EQ(r.pod.name, "dev");
	SC_ASSERT_STR_EQ(r.pod.uid, "0c6f7f4e-1111-2222-3333-444455556666");
	SC_ASSERT_INT_EQ(r.pod.labels.n, 1);
	SC_ASSERT_STR_EQ(sc_nri_map_get(&r.pod.labels, "role"), "consumer");
	SC_ASSERT_STR_EQ(sc_nri_map_get(&r.pod.annotations, "a"), "b");
	SC_ASSERT(sc_nri_map_get(&r.pod.annotations, "role") == NULL);
	SC_ASSERT_STR_EQ(r.container.id, "c0ffee");
	SC_ASSERT_STR_EQ(r.container.name, "workload");
	sc_nri_create_request_clear(&r);
	/* Without a container: refused. */
	sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_nri_decode_create(b.data, 0, &r, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "without a container");
	sc_error_release(&err);
	/* Truncated anywhere: an error, never a crash or a leak. */
	for (size_t n = 1; n < b.len; n++) {
		int rc = sc_nri_decode_create(b.data, n, &r, &err);
		if (rc == 0)
			sc_nri_create_request_clear(&r);
		sc_error_release(&err);
	}
}

/* Walk into nested message fields: path is a list of field numbers. */
static int find_nested(const uint8_t *p, size_t n, const uint32_t *path, size_t depth,
		       struct sc_pb_field *out, size_t nth)
{
	struct sc_pb_reader r;
	struct sc_pb_field f;
	sc_pb_reader_init(&r, p, n);
	size_t seen = 0;
	while (sc_pb_next(&r, &f, NULL) > 0) {
		if (f.number != path[0])
			continue;
		if (depth == 1) {
			if (seen++ == nth) {
				*out = f;
				return 1;
			}
			continue;
		}
		return find_nested(f.data, f.len, path + 1, depth - 1, out, nth);
	}
	return 0;
}

SC_TEST(nri_create_response_carries_annotations_and_a_create_runtime_hook)
{
	struct sc_nri_adjustment a = {0};
	a.annotations = sc_strv_dup((char *[]){"k", "v", NULL});
	a.hook_path = sc_xstrdup("/var/lib/x/hook");
	a.hook_args = sc_strv_dup((char *[]){"hook", "/run/sock", NULL});
	a.hook_timeout = 30;
	cleanup_buf struct sc_buf b = SC_BUF_INIT(8192);
	SC_ASSERT_INT_EQ(sc_nri_put_create_response(&b, &a, NULL), 0);
	sc_nri_adjustment_clear(&a);
	struct sc_pb_field f;
	/* adjust(1).annotations(2) */
	SC_ASSERT_INT_EQ(find_nested((uint8_t *)b.data, b.len, (uint32_t[]){1, 2}, 2, &f, 0), 1);
	cleanup_free char *k = NULL, *v = NULL;
	SC_ASSERT_INT_EQ(sc_pb_map_entry(&f, &k, &v, NULL), 0);
	SC_ASSERT_STR_EQ(k, "k");
	SC_ASSERT_STR_EQ(v, "v");
	/* adjust(1).hooks(5).create_runtime(2).path(1), .args(2) x2, .timeout(4).value(1) */
	uint32_t path[] = {1, 5, 2, 1};
	SC_ASSERT_INT_EQ(find_nested((uint8_t *)b.data, b.len, path, 4, &f, 0), 1);
	SC_ASSERT_INT_EQ(f.len, strlen("/var/lib/x/hook"));
	SC_ASSERT(memcmp(f.data, "/var/lib/x/hook", f.len) == 0);
	path[3] = 2;
	SC_ASSERT_INT_EQ(find_nested((uint8_t *)b.data, b.len, path, 4, &f, 1), 1);
	SC_ASSERT(f.len == 9 && memcmp(f.data, "/run/sock", 9) == 0);
	uint32_t tpath[] = {1, 5, 2, 4, 1};
	SC_ASSERT_INT_EQ(find_nested((uint8_t *)b.data, b.len, tpath, 5, &f, 0), 1);
	SC_ASSERT_INT_EQ(f.varint, 30);
	/* No other hook kind (prestart = 1, create_container = 3, ...). */
	uint32_t pre[] = {1, 5, 1};
	SC_ASSERT_INT_EQ(find_nested((uint8_t *)b.data, b.len, pre, 3, &f, 0), 0);
	/* An odd annotation list is refused. */
	a.annotations = sc_strv_dup((char *[]){"k", NULL});
	sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_nri_put_create_response(&b, &a, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "without a value");
	sc_error_release(&err);
	sc_nri_adjustment_clear(&a);
}

int main(void)
{
	return sc_test_run();
}
