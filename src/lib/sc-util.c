#include "lib/sc-util.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void sc_cleanup_freep(void *p)
{
	free(*(void **)p);
}

void sc_cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

void sc_cleanup_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}

void sc_cleanup_strvp(char ***v)
{
	sc_strv_free(*v);
}

SC_NORETURN static void oom(size_t size)
{
	/* No allocation here: we are out of memory. */
	static const char msg[] = "{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n";
	ssize_t r SC_UNUSED = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)size;
	abort();
}

void *sc_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *sc_xzalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *sc_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

char *sc_xstrdup(const char *s)
{
	if (s == NULL)
		return NULL;
	char *p = strdup(s);
	if (p == NULL)
		oom(strlen(s));
	return p;
}

char *sc_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (p == NULL)
		oom(n);
	return p;
}

char *sc_xvasprintf(const char *fmt, va_list ap)
{
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	return p;
}

char *sc_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = sc_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

size_t sc_strv_len(char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void sc_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

char **sc_strv_dup(char *const *v)
{
	size_t n = sc_strv_len(v);
	char **out = sc_xzalloc((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = sc_xstrdup(v[i]);
	return out;
}

bool sc_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool sc_str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int sc_parse_long(const char *s, long min, long max, long *out)
{
	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return -1;
	}
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0)
		return -1;
	if (end == s || *end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

void sc_time_now_micro(char out[SC_TIME_LEN])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, SC_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, SC_TIME_LEN - n, ".%06ldZ", ts.tv_nsec / 1000);
}

void sc_time_now(char out[SC_TIME_LEN])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, SC_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sc_timespec_add_ms(struct timespec *ts, long long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void sc_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

bool sc_wait_or_stop(pthread_mutex_t *lock, pthread_cond_t *cond, const atomic_bool *stop,
		     long long ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	sc_timespec_add_ms(&deadline, ms);
	pthread_mutex_lock(lock);
	while (!atomic_load(stop)) {
		if (pthread_cond_timedwait(cond, lock, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(lock);
	return atomic_load(stop);
}

long long sc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sc_malloc_tune(void)
{
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
}

void sc_malloc_release(void)
{
	malloc_trim(0);
}
