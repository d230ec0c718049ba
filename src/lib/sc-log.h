/* Structured logging: one JSON object a line on stderr, klog-like levels.
 *
 *   {"ts":"2026-11-28T23:40:01.123Z","level":"info","component":"sc-controller",
 *    "caller":"reconcile.c:120","msg":"created provider pod","name":"demo"}
 *
 * or, with the text format (--log-format=text), the same fields as one line
 * for a human, values quoted (with JSON's escapes) when they hold a space, a
 * quote, '=' or a byte outside printable ASCII:
 *
 *   2026-11-28T23:40:01.123Z info sc-controller reconcile.c:120 "created provider pod" name=demo
 *
 * Errors and warnings always print; info prints at verbosity >= 0 (default);
 * SC_LOG_V(n, ...) prints at verbosity >= n (-v n). Extra fields are given as
 * key/value string pairs ended by NULL with sc_log_kv(). Each line is written
 * with a single write(2), so concurrent threads never interleave lines. */
#ifndef SC_LOG_H
#define SC_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "lib/sc-util.h"

enum sc_log_level {
	SC_LOG_LEVEL_ERROR = 0,
	SC_LOG_LEVEL_WARNING,
	SC_LOG_LEVEL_INFO,
	SC_LOG_LEVEL_DEBUG,
};

enum sc_log_format {
	SC_LOG_FORMAT_JSON = 0,
	SC_LOG_FORMAT_TEXT,
};

void sc_log_init(const char *component, int verbosity);
/* "json" or "text"; returns -1 (and changes nothing) for anything else. */
int sc_log_set_format(const char *name);
enum sc_log_format sc_log_format(void);
int sc_log_verbosity(void);
bool sc_log_enabled(enum sc_log_level level, int v);
/* Redirect output (tests); -1 restores stderr. */
void sc_log_set_fd(int fd);

void sc_log_write(enum sc_log_level level, int v, const char *file, int line, int errnum,
		  const char *fmt, ...) SC_PRINTF(6, 7);
/* msg is a plain string; then key, value, key, value, ..., NULL. */
void sc_log_kv(enum sc_log_level level, int v, const char *file, int line, const char *msg, ...);

#define SC_LOG_ERROR(...)                                                                \
	do {                                                                             \
		sc_log_write(SC_LOG_LEVEL_ERROR, 0, __FILE__, __LINE__, 0, __VA_ARGS__); \
	} while (0)
#define SC_LOG_ERRNO(errnum, ...)                                                               \
	do {                                                                                    \
		sc_log_write(SC_LOG_LEVEL_ERROR, 0, __FILE__, __LINE__, (errnum), __VA_ARGS__); \
	} while (0)
#define SC_LOG_WARN(...)                                                                   \
	do {                                                                               \
		sc_log_write(SC_LOG_LEVEL_WARNING, 0, __FILE__, __LINE__, 0, __VA_ARGS__); \
	} while (0)
#define SC_LOG_INFO(...)                                                                \
	do {                                                                            \
		sc_log_write(SC_LOG_LEVEL_INFO, 0, __FILE__, __LINE__, 0, __VA_ARGS__); \
	} while (0)
#define SC_LOG_V(v, ...)                                                                           \
	do {                                                                                       \
		if (sc_log_enabled(SC_LOG_LEVEL_DEBUG, (v)))                                       \
			sc_log_write(SC_LOG_LEVEL_DEBUG, (v), __FILE__, __LINE__, 0, __VA_ARGS__); \
	} while (0)
#define SC_LOG_KV(level, msg, ...)                                             \
	do {                                                                   \
		sc_log_kv((level), 0, __FILE__, __LINE__, (msg), __VA_ARGS__); \
	} while (0)

#endif
