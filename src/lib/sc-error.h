/* The one error convention of StoppableContainer (see docs/errors.md).
 *
 *   A fallible function returns a negative value (-1) on failure and fills
 *   *err with an error object; on success it returns >= 0 and leaves *err
 *   untouched. The caller either handles the error (then releases it with
 *   sc_error_release, or lets a cleanup_error variable do it) or adds context
 *   and passes it up:
 *
 *       if (sc_kube_create(client, &req, &obj, err) < 0)
 *               return sc_error_wrap(err, "creating provider pod %s", name);
 *
 *   which turns the message into
 *   "creating provider pod demo-provider: POST /api/v1/...: 409 Conflict: ...".
 *
 * An error carries an errno-style code (always > 0; EIO when nothing better
 * fits), and for API errors the HTTP status and the Kubernetes Status reason,
 * so callers can test for "not found" or "conflict" without parsing text. */
#ifndef SC_ERROR_H
#define SC_ERROR_H

#include <stdbool.h>

#include "lib/sc-util.h"

struct sc_error {
	int code;        /* errno-style, > 0 */
	int http_status; /* HTTP status of an API error, else 0 */
	char *reason;    /* Kubernetes Status reason ("NotFound", ...), or NULL */
	char *message;   /* human-readable, with context prepended by callers */
};
typedef struct sc_error *sc_error_t;

/* Fill *err (which must be NULL) and return -1. */
int sc_error_make(sc_error_t *err, int code, const char *fmt, ...) SC_PRINTF(3, 4);
/* Same, appending ": strerror(errno)" and using errno as the code. */
int sc_error_make_errno(sc_error_t *err, const char *fmt, ...) SC_PRINTF(2, 3);
/* An API error: HTTP status, optional reason, message. */
int sc_error_make_http(sc_error_t *err, int http_status, const char *reason, const char *fmt, ...)
    SC_PRINTF(4, 5);
/* Prepend "context: " to the message of *err; returns -1 so it can be the
 * return value of the failing function. */
int sc_error_wrap(sc_error_t *err, const char *fmt, ...) SC_PRINTF(2, 3);

void sc_error_release(sc_error_t *err);
void sc_cleanup_errorp(sc_error_t *err);
#define cleanup_error __attribute__((cleanup(sc_cleanup_errorp)))

const char *sc_error_message(const sc_error_t err);
bool sc_error_is_http(const sc_error_t err, int http_status);
static inline bool sc_error_is_not_found(const sc_error_t err)
{
	return sc_error_is_http(err, 404);
}
static inline bool sc_error_is_conflict(const sc_error_t err)
{
	return sc_error_is_http(err, 409);
}
static inline bool sc_error_is_gone(const sc_error_t err)
{
	return sc_error_is_http(err, 410);
}

#endif
