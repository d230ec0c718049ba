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

/* The raw line a call logs (NULL unless exactly one line). */
static char *capture_raw(void (*emit)(void))
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
		return NULL;
	return sc_xstrdup(buf);
}

static void emit_text_kv(void)
{
	SC_LOG_KV(SC_LOG_LEVEL_WARNING, "retrying", "name", "demo", "detail", "two words", "nl",
		  "a\nb", "eq", "k=v", "empty", "", NULL);
}

SC_TEST(text_format_is_one_line_of_fields)
{
	sc_log_init("sc-test", 0);
	SC_ASSERT_INT_EQ(sc_log_set_format("text"), 0);
	SC_ASSERT_INT_EQ(sc_log_format(), SC_LOG_FORMAT_TEXT);
	cleanup_free char *kv = capture_raw(emit_text_kv);
	cleanup_free char *info = capture_raw(emit_info);
	cleanup_free char *bad = capture_raw(emit_bad_utf8);
	sc_log_init("sc-test", 2);
	cleanup_free char *debug = capture_raw(emit_debug);
	sc_log_init("sc-test", 0);
	SC_ASSERT_INT_EQ(sc_log_set_format("json"), 0);

	SC_ASSERT(kv != NULL);
	/* ts level component caller msg, then the fields in their order. */
	SC_ASSERT(strlen(kv) > 25 && kv[4] == '-' && kv[10] == 'T' && kv[23] == 'Z' &&
		  kv[24] == ' ');
	SC_ASSERT_STR_CONTAINS(kv, "Z warning sc-test test-log.c:");
	const char *rest = strstr(kv, " retrying ");
	SC_ASSERT(rest != NULL);
	SC_ASSERT_STR_EQ(rest, " retrying name=demo detail=\"two words\" nl=\"a\\nb\" eq=\"k=v\" "
			       "empty=\"\"\n");
	SC_ASSERT(info != NULL);
	SC_ASSERT_STR_CONTAINS(info, " info sc-test test-log.c:");
	SC_ASSERT_STR_CONTAINS(info, " \"created pod demo-provider\"\n");
	SC_ASSERT(bad != NULL);
	SC_ASSERT_STR_CONTAINS(bad, " \"bytes ?? end\"\n");
	SC_ASSERT(debug != NULL);
	SC_ASSERT_STR_CONTAINS(debug, " debug sc-test test-log.c:");
	SC_ASSERT_STR_CONTAINS(debug, " \"hidden at -v 0\" v=2\n");
}

SC_TEST(unknown_formats_are_refused)
{
	SC_ASSERT_INT_EQ(sc_log_set_format("xml"), -1);
	SC_ASSERT_INT_EQ(sc_log_set_format(""), -1);
	SC_ASSERT_INT_EQ(sc_log_set_format(NULL), -1);
	SC_ASSERT_INT_EQ(sc_log_set_format("TEXT"), -1);
	SC_ASSERT_INT_EQ(sc_log_format(), SC_LOG_FORMAT_JSON);
	/* JSON again after text: the lines parse. */
	json_t *rec = capture(emit_info);
	SC_ASSERT(rec != NULL);
	json_decref(rec);
}

int main(void)
{
	return sc_test_run();
}
