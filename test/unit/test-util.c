#include <errno.h>
#include <limits.h>

#include "sc-test.h"
#include "sc-util.h"

SC_TEST(parse_long_accepts_whole_numbers)
{
	long v = 0;
	SC_ASSERT_INT_EQ(sc_parse_long("42", 0, 100, &v), 0);
	SC_ASSERT_INT_EQ(v, 42);
	SC_ASSERT_INT_EQ(sc_parse_long("-7", -10, 10, &v), 0);
	SC_ASSERT_INT_EQ(v, -7);
}

SC_TEST(parse_long_rejects_trailing_garbage_and_range)
{
	long v = 5;
	SC_ASSERT_INT_EQ(sc_parse_long("42x", 0, 100, &v), -1);
	SC_ASSERT_INT_EQ(errno, EINVAL);
	SC_ASSERT_INT_EQ(sc_parse_long("", 0, 100, &v), -1);
	SC_ASSERT_INT_EQ(sc_parse_long("101", 0, 100, &v), -1);
	SC_ASSERT_INT_EQ(errno, ERANGE);
	SC_ASSERT_INT_EQ(sc_parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	SC_ASSERT_INT_EQ(errno, ERANGE);
	SC_ASSERT_INT_EQ(v, 5);
}

SC_TEST(strv_dup_and_len)
{
	char *src[] = {"a", "bb", NULL};
	cleanup_strv char **copy = sc_strv_dup(src);
	SC_ASSERT_INT_EQ(sc_strv_len(copy), 2);
	SC_ASSERT_STR_EQ(copy[1], "bb");
	SC_ASSERT(copy[2] == NULL);
	SC_ASSERT_INT_EQ(sc_strv_len(NULL), 0);
}

SC_TEST(prefix_suffix)
{
	SC_ASSERT(sc_str_has_prefix("containerd://abc", "containerd://"));
	SC_ASSERT(!sc_str_has_prefix("docker://abc", "containerd://"));
	SC_ASSERT(sc_str_has_suffix("file.yaml", ".yaml"));
	SC_ASSERT(!sc_str_has_suffix("a", ".yaml"));
}

SC_TEST(steal_pointer_leaves_null)
{
	cleanup_free char *p = sc_xstrdup("x");
	char *q = steal_pointer(&p);
	SC_ASSERT(p == NULL);
	SC_ASSERT_STR_EQ(q, "x");
	free(q);
	int fd = 3;
	SC_ASSERT_INT_EQ(steal_fd(&fd), 3);
	SC_ASSERT_INT_EQ(fd, -1);
}

int main(void)
{
	return sc_test_run();
}
