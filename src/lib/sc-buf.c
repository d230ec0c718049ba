#include "lib/sc-buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void sc_buf_init(struct sc_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

int sc_buf_append(struct sc_buf *b, const void *data, size_t n, sc_error_t *err)
{
	if (n > b->max || b->len > b->max - n)
		return sc_error_make(err, EMSGSIZE, "data exceeds the limit of %zu bytes", b->max);
	size_t need = b->len + n + 1;
	if (need > b->alloc) {
		size_t alloc = b->alloc ? b->alloc : 256;
		while (alloc < need)
			alloc *= 2;
		if (alloc > b->max + 1)
			alloc = b->max + 1;
		b->data = sc_xrealloc(b->data, alloc);
		b->alloc = alloc;
	}
	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int sc_buf_append_str(struct sc_buf *b, const char *s, sc_error_t *err)
{
	return sc_buf_append(b, s, strlen(s), err);
}

int sc_buf_printf(struct sc_buf *b, sc_error_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *s = sc_xvasprintf(fmt, ap);
	va_end(ap);
	return sc_buf_append_str(b, s, err);
}

void sc_buf_consume(struct sc_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data != NULL)
		b->data[b->len] = '\0';
}

void sc_buf_reset(struct sc_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void sc_buf_free(struct sc_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

char *sc_buf_steal(struct sc_buf *b)
{
	char *p = b->data ? b->data : sc_xstrdup("");
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

void sc_cleanup_bufp(struct sc_buf *b)
{
	sc_buf_free(b);
}

int sc_read_file(const char *path, size_t max, char **out, size_t *out_len, sc_error_t *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sc_error_make_errno(err, "opening %s", path);
	cleanup_buf struct sc_buf b = SC_BUF_INIT(max);
	char chunk[8192];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sc_error_make_errno(err, "reading %s", path);
		}
		if (r == 0)
			break;
		if (sc_buf_append(&b, chunk, (size_t)r, err) < 0)
			return sc_error_wrap(err, "reading %s", path);
	}
	if (out_len != NULL)
		*out_len = b.len;
	*out = sc_buf_steal(&b);
	return 0;
}
