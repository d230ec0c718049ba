/* Small helpers every file uses: cleanup attributes, ownership transfer and
 * allocation that cannot fail silently.
 *
 * Ownership rule: a variable declared with a cleanup_* attribute owns what it
 * points to. To hand the object to a caller or a structure, use
 * steal_pointer(&var) (or steal_fd(&fd)), which returns the value and leaves
 * NULL (or -1) behind so the cleanup does nothing. */
#ifndef SC_UTIL_H
#define SC_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SC_UNUSED        __attribute__((unused))
#define SC_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define SC_NORETURN      __attribute__((noreturn))
#define SC_WARN_UNUSED   __attribute__((warn_unused_result))

void sc_cleanup_freep(void *p);
void sc_cleanup_closep(int *fd);
void sc_cleanup_fclosep(FILE **f);
void sc_cleanup_strvp(char ***v);

#define cleanup_free   __attribute__((cleanup(sc_cleanup_freep)))
#define cleanup_close  __attribute__((cleanup(sc_cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(sc_cleanup_fclosep)))
#define cleanup_strv   __attribute__((cleanup(sc_cleanup_strvp)))

static inline void *sc_steal_pointer(void *pp)
{
	void **p = (void **)pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) sc_steal_pointer(pp)

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* Allocation. Out of memory is not a condition our daemons can recover from
 * meaningfully, so these abort with a message instead of returning NULL
 * (the same choice as crun's xmalloc). */
void *sc_xmalloc(size_t size);
void *sc_xzalloc(size_t size);
void *sc_xrealloc(void *ptr, size_t size);
char *sc_xstrdup(const char *s);
char *sc_xstrndup(const char *s, size_t n);
char *sc_xasprintf(const char *fmt, ...) SC_PRINTF(1, 2);
char *sc_xvasprintf(const char *fmt, va_list ap) SC_PRINTF(1, 0);

/* NULL-terminated string vectors. */
size_t sc_strv_len(char *const *v);
void sc_strv_free(char **v);
char **sc_strv_dup(char *const *v);

bool sc_str_has_prefix(const char *s, const char *prefix);
bool sc_str_has_suffix(const char *s, const char *suffix);
/* Strict number parsing: the whole string must be a number in range;
 * returns -1 with errno set (EINVAL, ERANGE) otherwise. */
int sc_parse_long(const char *s, long min, long max, long *out);

/* Monotonic clock in milliseconds. */
long long sc_now_ms(void);
/* ts += ms, normalised. */
void sc_timespec_add_ms(struct timespec *ts, long long ms);
/* A condition variable whose timed waits use CLOCK_MONOTONIC (deadlines made
 * with clock_gettime(CLOCK_MONOTONIC) + sc_timespec_add_ms). */
void sc_cond_init_monotonic(pthread_cond_t *cond);
/* Waits up to ms on cond (made by sc_cond_init_monotonic) under lock, or
 * until *stop turns true (its setter signals cond). True when stopping. */
bool sc_wait_or_stop(pthread_mutex_t *lock, pthread_cond_t *cond, const atomic_bool *stop,
		     long long ms);

/* The current UTC time as Kubernetes writes it: RFC 3339 to the second
 * (metav1.Time: conditions, "2026-11-29T02:13:35Z") or to the microsecond
 * (metav1.MicroTime: leases, events, "2026-11-29T02:13:35.123456Z"). */
#define SC_TIME_LEN 40
void sc_time_now(char out[SC_TIME_LEN]);
void sc_time_now_micro(char out[SC_TIME_LEN]);

/* malloc for a long-running daemon, called first thing in main: at most two
 * arenas (glibc makes one per thread by default, each holding on to what its
 * thread freed) and blocks over 64 KiB (response bodies, packed templates)
 * always mapped on their own, so freeing one gives it back at once. */
void sc_malloc_tune(void);
/* Gives memory freed since back to the kernel (malloc_trim): after an
 * informer's list, and on every periodic resync. */
void sc_malloc_release(void);

#endif
