#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/sc-log.h"
#include "sc-test.h"

/* Capture one log line through a pipe and parse it back as JSON. */
static json_t *capture(void (*emit)(void))
{
	int p[2];
	if (pipe(p) != 0)
		return NULL;
	sc_log_set_fd(p[1]);
	emit();
	sc_log_set_fd(-1);
	close(p[1]);
	char buf[4096];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if (buf[n - 1] != '\n' || memchr(buf, '\n', (size_t)n - 1) != NULL)
		return NULL; /* exactly one line */
	return json_loads(buf, 0, NULL);
}

static void emit_info(void)
{
	SC_LOG_INFO("created pod %s", "demo-provider");
}
static void emit_kv(void)
{
	SC_LOG_KV(SC_LOG_LEVEL_WARNING, "retrying", "name", "demo", "reason", "Conflict", NULL);
}
static void emit_debug(void)
{
	SC_LOG_V(2, "hidden at -v 0");
}
static void emit_bad_utf8(void)
{
	SC_LOG_INFO("bytes \xff\xfe end");
}

SC_TEST(info_is_one_json_line)
{
	sc_log_init("sc-test", 0);
	json_t *rec = capture(emit_info);
	SC_ASSERT(rec != NULL);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "level")), "info");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "component")), "sc-test");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "msg")),
			 "created pod demo-provider");
	SC_ASSERT_STR_CONTAINS(json_string_value(json_object_get(rec, "caller")), "test-log.c:");
	SC_ASSERT_STR_CONTAINS(json_string_value(json_object_get(rec, "ts")), "Z");
	json_decref(rec);
}

SC_TEST(kv_fields_are_added)
{
	json_t *rec = capture(emit_kv);
	SC_ASSERT(rec != NULL);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "level")), "warning");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "reason")), "Conflict");
	json_decref(rec);
}

SC_TEST(verbosity_gates_debug)
{
	sc_log_init("sc-test", 0);
	SC_ASSERT(capture(emit_debug) == NULL);
	sc_log_init("sc-test", 2);
	json_t *rec = capture(emit_debug);
	SC_ASSERT(rec != NULL);
	SC_ASSERT_INT_EQ(json_integer_value(json_object_get(rec, "v")), 2);
	json_decref(rec);
	sc_log_init("sc-test", 0);
}

SC_TEST(invalid_utf8_still_logs)
{
	json_t *rec = capture(emit_bad_utf8);
	SC_ASSERT(rec != NULL);
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "msg")), "bytes ?? end");
	json_decref(rec);
}

int main(void)
{
	return sc_test_run();
}
