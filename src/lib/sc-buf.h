/* A growable byte buffer with a hard cap, for everything whose size comes from
 * outside: response bodies, watch streams, kubeconfig files. Appending past the
 * cap fails with EMSGSIZE and leaves the buffer as it was. The data is always
 * NUL-terminated (the terminator is not counted in len). */
#ifndef SC_BUF_H
#define SC_BUF_H

#include <stddef.h>

#include "lib/sc-error.h"

struct sc_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t max; /* hard cap on len */
};

#define SC_BUF_INIT(max_)          \
	{                          \
		NULL, 0, 0, (max_) \
	}

void sc_buf_init(struct sc_buf *b, size_t max);
int sc_buf_append(struct sc_buf *b, const void *data, size_t n, sc_error_t *err);
int sc_buf_append_str(struct sc_buf *b, const char *s, sc_error_t *err);
int sc_buf_printf(struct sc_buf *b, sc_error_t *err, const char *fmt, ...) SC_PRINTF(3, 4);
/* Drop the first n bytes (a consumed line of a stream). */
void sc_buf_consume(struct sc_buf *b, size_t n);
void sc_buf_reset(struct sc_buf *b);
void sc_buf_free(struct sc_buf *b);
/* Hand the NUL-terminated data to the caller; the buffer becomes empty. */
char *sc_buf_steal(struct sc_buf *b);
void sc_cleanup_bufp(struct sc_buf *b);
#define cleanup_buf __attribute__((cleanup(sc_cleanup_bufp)))

/* Read a whole file into a buffer, refusing files larger than max. */
int sc_read_file(const char *path, size_t max, char **out, size_t *out_len, sc_error_t *err);

#endif
