/* A minimal test harness that speaks TAP, so `meson test` counts every case.
 *
 *   SC_TEST(parses_empty) { SC_ASSERT_INT_EQ(parse(""), -1); }
 *   int main(void) { return sc_test_run(); }
 *
 * A failed assertion reports file, line and both values, then ends that test
 * case (the others still run). */
#ifndef SC_TEST_H
#define SC_TEST_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef void (*sc_test_fn)(void);
struct sc_test_case {
	const char *name;
	sc_test_fn fn;
};

#define SC_TEST_MAX 512
extern struct sc_test_case sc_test_cases[SC_TEST_MAX];
extern int sc_test_count;
extern jmp_buf sc_test_jmp;
extern int sc_test_failed;

void sc_test_register(const char *name, sc_test_fn fn);
int sc_test_run(void);
void sc_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define SC_TEST(name)                                                  \
	static void test_##name(void);                                 \
	__attribute__((constructor)) static void register_##name(void) \
	{                                                              \
		sc_test_register(#name, test_##name);                  \
	}                                                              \
	static void test_##name(void)

#define SC_ASSERT(cond)                                                                  \
	do {                                                                             \
		if (!(cond))                                                             \
			sc_test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond); \
	} while (0)

#define SC_ASSERT_INT_EQ(a, b)                                                                 \
	do {                                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);                            \
		if (a_ != b_)                                                                  \
			sc_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, \
				     b_);                                                      \
	} while (0)

#define SC_ASSERT_STR_EQ(a, b)                                                                 \
	do {                                                                                   \
		const char *a_ = (a), *b_ = (b);                                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                           \
			sc_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				     a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
	} while (0)

#define SC_ASSERT_STR_CONTAINS(hay, needle)                                                \
	do {                                                                               \
		const char *h_ = (hay), *n_ = (needle);                                    \
		if (h_ == NULL || strstr(h_, n_) == NULL)                                  \
			sc_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
				     h_ ? h_ : "(null)", n_);                              \
	} while (0)

#endif
