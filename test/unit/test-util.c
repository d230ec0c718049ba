#include <errno.h>
#include <limits.h>

#include "lib/sc-util.h"
#include "sc-test.h"

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

SC_TEST(time_now_is_rfc3339_utc)
{
	char t[SC_TIME_LEN], m[SC_TIME_LEN];
	sc_time_now(t);
	sc_time_now_micro(m);
	/* 2026-11-29T02:13:35Z and 2026-11-29T02:13:35.123456Z */
	SC_ASSERT_INT_EQ(strlen(t), 20);
	SC_ASSERT(t[4] == '-' && t[10] == 'T' && t[13] == ':' && t[19] == 'Z');
	SC_ASSERT_INT_EQ(strlen(m), 27);
	SC_ASSERT(m[10] == 'T' && m[19] == '.' && m[26] == 'Z');
	/* Read microseconds apart: the same minute. */
	SC_ASSERT(strncmp(t, m, 17) == 0);
}

int main(void)
{
	return sc_test_run();
}
