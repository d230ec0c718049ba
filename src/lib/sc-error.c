#include "lib/sc-error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int fill(sc_error_t *err, int code, int http_status, const char *reason, char *message)
{
	if (err == NULL) {
		free(message);
		return -1;
	}
	/* A second error over an unhandled first would lose the first: keep
	 * the first, which is the cause, and drop the newer one. */
	if (*err != NULL) {
		free(message);
		return -1;
	}
	struct sc_error *e = sc_xzalloc(sizeof(*e));
	e->code = code > 0 ? code : EIO;
	e->http_status = http_status;
	e->reason = reason != NULL && *reason != '\0' ? sc_xstrdup(reason) : NULL;
	e->message = message;
	*err = e;
	return -1;
}

int sc_error_make(sc_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sc_xvasprintf(fmt, ap);
	va_end(ap);
	return fill(err, code, 0, NULL, msg);
}

int sc_error_make_errno(sc_error_t *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *ctx = sc_xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = sc_xasprintf("%s: %s", ctx, strerror(saved));
	errno = saved;
	return fill(err, saved, 0, NULL, msg);
}

static int code_for_http(int status)
{
	switch (status) {
	case 400:
	case 422:
		return EINVAL;
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	case 409:
		return EEXIST;
	case 410:
		return ESTALE;
	case 413:
		return E2BIG;
	case 429:
		return EAGAIN;
	case 504:
		return ETIMEDOUT;
	default:
		return EIO;
	}
}

int sc_error_make_http(sc_error_t *err, int http_status, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sc_xvasprintf(fmt, ap);
	va_end(ap);
	return fill(err, code_for_http(http_status), http_status, reason, msg);
}

int sc_error_wrap(sc_error_t *err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *ctx = sc_xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = sc_xasprintf("%s: %s", ctx, (*err)->message ? (*err)->message : "");
	free((*err)->message);
	(*err)->message = msg;
	return -1;
}

void sc_error_release(sc_error_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->reason);
	free((*err)->message);
	free(*err);
	*err = NULL;
}

void sc_cleanup_errorp(sc_error_t *err)
{
	sc_error_release(err);
}

const char *sc_error_message(const sc_error_t err)
{
	if (err == NULL)
		return "no error";
	return err->message ? err->message : "unknown error";
}

bool sc_error_is_http(const sc_error_t err, int http_status)
{
	return err != NULL && err->http_status == http_status;
}
