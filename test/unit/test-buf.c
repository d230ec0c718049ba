#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/sc-buf.h"
#include "sc-test.h"

SC_TEST(append_and_terminate)
{
	cleanup_buf struct sc_buf b = SC_BUF_INIT(64);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_buf_append_str(&b, "hello ", &err), 0);
	SC_ASSERT_INT_EQ(sc_buf_printf(&b, &err, "%s %d", "world", 7), 0);
	SC_ASSERT_STR_EQ(b.data, "hello world 7");
	SC_ASSERT_INT_EQ(b.len, 13);
}

SC_TEST(cap_is_hard_and_leaves_buffer_intact)
{
	cleanup_buf struct sc_buf b = SC_BUF_INIT(8);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_buf_append_str(&b, "12345678", &err), 0);
	SC_ASSERT_INT_EQ(sc_buf_append_str(&b, "9", &err), -1);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
	SC_ASSERT_STR_CONTAINS(err->message, "limit of 8 bytes");
	SC_ASSERT_STR_EQ(b.data, "12345678");
	SC_ASSERT(b.alloc <= 9);
}

SC_TEST(huge_append_does_not_overflow)
{
	cleanup_buf struct sc_buf b = SC_BUF_INIT(16);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_buf_append_str(&b, "abc", &err), 0);
	SC_ASSERT_INT_EQ(sc_buf_append(&b, "x", (size_t)-2, &err), -1);
	SC_ASSERT_INT_EQ(b.len, 3);
}

SC_TEST(consume_drops_prefix)
{
	cleanup_buf struct sc_buf b = SC_BUF_INIT(64);
	cleanup_error sc_error_t err = NULL;
	sc_buf_append_str(&b, "line1\nline2", &err);
	sc_buf_consume(&b, 6);
	SC_ASSERT_STR_EQ(b.data, "line2");
	sc_buf_consume(&b, 100);
	SC_ASSERT_INT_EQ(b.len, 0);
	SC_ASSERT_STR_EQ(b.data, "");
}

SC_TEST(steal_returns_owned_string)
{
	struct sc_buf b = SC_BUF_INIT(64);
	char *s = sc_buf_steal(&b);
	SC_ASSERT_STR_EQ(s, "");
	free(s);
	cleanup_error sc_error_t err = NULL;
	sc_buf_append_str(&b, "x", &err);
	s = sc_buf_steal(&b);
	SC_ASSERT_STR_EQ(s, "x");
	SC_ASSERT(b.data == NULL);
	free(s);
}

SC_TEST(read_file_respects_limit)
{
	char path[] = "/tmp/sc-test-buf-XXXXXX";
	int fd = mkstemp(path);
	SC_ASSERT(fd >= 0);
	SC_ASSERT_INT_EQ(write(fd, "0123456789", 10), 10);
	close(fd);
	cleanup_free char *data = NULL;
	size_t len = 0;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_read_file(path, 10, &data, &len, &err), 0);
	SC_ASSERT_STR_EQ(data, "0123456789");
	SC_ASSERT_INT_EQ(len, 10);
	char *small = NULL;
	SC_ASSERT_INT_EQ(sc_read_file(path, 9, &small, NULL, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, path);
	SC_ASSERT(small == NULL);
	unlink(path);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_read_file("/nonexistent/file", 10, &small, NULL, &err), -1);
	SC_ASSERT_INT_EQ(err->code, ENOENT);
}

int main(void)
{
	return sc_test_run();
}
