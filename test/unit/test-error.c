#include <errno.h>

#include "lib/sc-error.h"
#include "sc-test.h"

static int fails_with_errno(sc_error_t *err)
{
	errno = ENOENT;
	return sc_error_make_errno(err, "opening %s", "/nope");
}

static int calls_and_wraps(sc_error_t *err)
{
	if (fails_with_errno(err) < 0)
		return sc_error_wrap(err, "loading config");
	return 0;
}

SC_TEST(make_errno_keeps_code_and_message)
{
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(fails_with_errno(&err), -1);
	SC_ASSERT(err != NULL);
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	SC_ASSERT_STR_EQ(err->message, "opening /nope: No such file or directory");
}

SC_TEST(wrap_prepends_context)
{
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(calls_and_wraps(&err), -1);
	SC_ASSERT_STR_EQ(sc_error_message(err),
			 "loading config: opening /nope: No such file or directory");
}

SC_TEST(http_errors_are_classified)
{
	cleanup_error sc_error_t err = NULL;
	sc_error_make_http(&err, 404, "NotFound", "GET %s: 404 Not Found", "/api/v1/pods/x");
	SC_ASSERT(sc_error_is_not_found(err));
	SC_ASSERT(!sc_error_is_conflict(err));
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	SC_ASSERT_STR_EQ(err->reason, "NotFound");
	sc_error_release(&err);
	SC_ASSERT(err == NULL);
	sc_error_make_http(&err, 409, "Conflict", "conflict");
	SC_ASSERT(sc_error_is_conflict(err));
	SC_ASSERT_INT_EQ(err->code, EEXIST);
}

SC_TEST(first_error_wins)
{
	cleanup_error sc_error_t err = NULL;
	sc_error_make(&err, EINVAL, "first");
	SC_ASSERT_INT_EQ(sc_error_make(&err, EIO, "second"), -1);
	SC_ASSERT_STR_EQ(err->message, "first");
	SC_ASSERT_INT_EQ(err->code, EINVAL);
}

SC_TEST(null_error_pointer_is_allowed)
{
	SC_ASSERT_INT_EQ(sc_error_make(NULL, EINVAL, "ignored"), -1);
	SC_ASSERT_INT_EQ(sc_error_wrap(NULL, "ignored"), -1);
	SC_ASSERT_STR_EQ(sc_error_message(NULL), "no error");
}

SC_TEST(zero_code_becomes_eio)
{
	cleanup_error sc_error_t err = NULL;
	sc_error_make(&err, 0, "x");
	SC_ASSERT_INT_EQ(err->code, EIO);
}

int main(void)
{
	return sc_test_run();
}
