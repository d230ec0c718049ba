#include "sc-test.h"

#include <stdarg.h>
#include <stdlib.h>

struct sc_test_case sc_test_cases[SC_TEST_MAX];
int sc_test_count;
jmp_buf sc_test_jmp;
int sc_test_failed;

void sc_test_register(const char *name, sc_test_fn fn)
{
	if (sc_test_count >= SC_TEST_MAX) {
		fprintf(stderr, "too many test cases\n");
		abort();
	}
	sc_test_cases[sc_test_count].name = name;
	sc_test_cases[sc_test_count].fn = fn;
	sc_test_count++;
}

void sc_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	sc_test_failed = 1;
	longjmp(sc_test_jmp, 1);
}

/* setjmp lives in its own frame so the caller's counters are never
 * clobbered by the longjmp of a failed assertion. */
static int run_one(sc_test_fn fn)
{
	sc_test_failed = 0;
	if (setjmp(sc_test_jmp) == 0)
		fn();
	return sc_test_failed;
}

int sc_test_run(void)
{
	const char *only = getenv("SC_TEST_ONLY");
	int failures = 0, n = 0;
	printf("TAP version 13\n");
	int planned = 0;
	for (int i = 0; i < sc_test_count; i++)
		if (only == NULL || strcmp(only, sc_test_cases[i].name) == 0)
			planned++;
	printf("1..%d\n", planned);
	for (int i = 0; i < sc_test_count; i++) {
		if (only != NULL && strcmp(only, sc_test_cases[i].name) != 0)
			continue;
		n++;
		fflush(stdout);
		int failed = run_one(sc_test_cases[i].fn);
		printf("%s %d - %s\n", failed ? "not ok" : "ok", n, sc_test_cases[i].name);
		fflush(stdout);
		failures += failed;
	}
	return failures == 0 ? 0 : 1;
}
