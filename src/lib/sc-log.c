#include "lib/sc-log.h"

#include "lib/sc-buf.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_component = "stoppablecontainer";
static int log_verbosity = 0;
static int log_fd = STDERR_FILENO;
static enum sc_log_format log_format = SC_LOG_FORMAT_JSON;

void sc_log_init(const char *component, int verbosity)
{
	if (component != NULL)
		log_component = component;
	log_verbosity = verbosity;
}

int sc_log_set_format(const char *name)
{
	if (name != NULL && strcmp(name, "json") == 0)
		log_format = SC_LOG_FORMAT_JSON;
	else if (name != NULL && strcmp(name, "text") == 0)
		log_format = SC_LOG_FORMAT_TEXT;
	else
		return -1;
	return 0;
}

enum sc_log_format sc_log_format(void)
{
	return log_format;
}

int sc_log_verbosity(void)
{
	return log_verbosity;
}

void sc_log_set_fd(int fd)
{
	log_fd = fd >= 0 ? fd : STDERR_FILENO;
}

bool sc_log_enabled(enum sc_log_level level, int v)
{
	if (level != SC_LOG_LEVEL_DEBUG)
		return true;
	return v <= log_verbosity;
}

static const char *level_name(enum sc_log_level level)
{
	switch (level) {
	case SC_LOG_LEVEL_ERROR:
		return "error";
	case SC_LOG_LEVEL_WARNING:
		return "warning";
	case SC_LOG_LEVEL_INFO:
		return "info";
	case SC_LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "info";
}

static json_t *new_record(enum sc_log_level level, int v, const char *file, int line)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char ts[40];
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	char caller[128];
	snprintf(caller, sizeof(caller), "%s:%d", base, line);

	json_t *rec = json_object();
	json_object_set_new(rec, "ts", json_string(ts));
	json_object_set_new(rec, "level", json_string(level_name(level)));
	if (level == SC_LOG_LEVEL_DEBUG)
		json_object_set_new(rec, "v", json_integer(v));
	json_object_set_new(rec, "component", json_string(log_component));
	json_object_set_new(rec, "caller", json_string(caller));
	return rec;
}

/* A text-format value: bare when it is printable ASCII without a space,
 * quote or '=', else quoted with JSON's escapes (so every line stays one line
 * of ASCII, as in the JSON format). */
static void text_value(struct sc_buf *b, json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		bool bare = *s != '\0';
		for (const char *p = s; *p && bare; p++)
			bare = *p > ' ' && *p < 0x7f && *p != '"' && *p != '=' && *p != '\\';
		if (bare) {
			sc_buf_append_str(b, s, NULL);
			return;
		}
	}
	char *q = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	if (q != NULL)
		sc_buf_append_str(b, q, NULL);
	free(q);
}

/* ts level component caller msg, then the other fields as key=value in the
 * order they were added. */
static char *text_line(json_t *rec)
{
	/* No real cap: a log line is never refused. */
	struct sc_buf b = SC_BUF_INIT(SIZE_MAX / 2);
	static const char *const fixed[] = {"ts", "level", "component", "caller", "msg"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(fixed); i++) {
		json_t *v = json_object_get(rec, fixed[i]);
		if (v == NULL)
			continue;
		if (b.len > 0)
			sc_buf_append(&b, " ", 1, NULL);
		text_value(&b, v);
	}
	const char *key;
	json_t *v;
	json_object_foreach (rec, key, v) {
		bool is_fixed = false;
		for (size_t i = 0; i < SC_ARRAY_SIZE(fixed); i++)
			is_fixed = is_fixed || strcmp(key, fixed[i]) == 0;
		if (is_fixed)
			continue;
		sc_buf_append(&b, " ", 1, NULL);
		json_t *k = json_string(key);
		text_value(&b, k);
		json_decref(k);
		sc_buf_append(&b, "=", 1, NULL);
		text_value(&b, v);
	}
	return sc_buf_steal(&b);
}

static void emit(json_t *rec)
{
	/* JSON_ENSURE_ASCII keeps the line valid whatever bytes a message holds. */
	char *s = log_format == SC_LOG_FORMAT_TEXT
		      ? text_line(rec)
		      : json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(rec);
	if (s == NULL)
		return;
	size_t len = strlen(s);
	char *line = sc_xmalloc(len + 2);
	memcpy(line, s, len);
	line[len] = '\n';
	free(s);
	size_t off = 0;
	while (off < len + 1) {
		ssize_t w = write(log_fd, line + off, len + 1 - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

/* json_string() refuses invalid UTF-8, and a log line must never be lost
 * because a message quoted bytes from outside: replace such bytes with '?'. */
static json_t *lossy_string(const char *s)
{
	json_t *j = json_string(s);
	if (j != NULL)
		return j;
	cleanup_free char *copy = sc_xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(copy);
}

static void set_message(json_t *rec, const char *msg)
{
	json_object_set_new(rec, "msg", lossy_string(msg));
}

void sc_log_write(enum sc_log_level level, int v, const char *file, int line, int errnum,
		  const char *fmt, ...)
{
	if (!sc_log_enabled(level, v))
		return;
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = sc_xvasprintf(fmt, ap);
	va_end(ap);
	json_t *rec = new_record(level, v, file, line);
	set_message(rec, msg);
	if (errnum != 0)
		json_object_set_new(rec, "error", json_string(strerror(errnum)));
	emit(rec);
}

void sc_log_kv(enum sc_log_level level, int v, const char *file, int line, const char *msg, ...)
{
	if (!sc_log_enabled(level, v))
		return;
	json_t *rec = new_record(level, v, file, line);
	set_message(rec, msg);
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (key == NULL)
			break;
		const char *value = va_arg(ap, const char *);
		json_t *jv = value ? lossy_string(value) : json_null();
		json_object_set_new(rec, key, jv);
	}
	va_end(ap);
	emit(rec);
}
