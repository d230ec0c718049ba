#include "lib/sc-validate.h"

#include <errno.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int check_label(const char *what, const char *value, size_t len, sc_error_t *err)
{
	if (len == 0)
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": must not be empty", what,
				     value);
	if (len > 63)
		return sc_error_make(err, EINVAL,
				     "invalid %s \"%s\": must be no more than 63 characters", what,
				     value);
	for (size_t i = 0; i < len; i++) {
		char c = value[i];
		if (!is_lower_alnum(c) && c != '-')
			return sc_error_make(
			    err, EINVAL,
			    "invalid %s \"%s\": a lowercase RFC 1123 label must consist of "
			    "lower case alphanumeric characters or '-'",
			    what, value);
	}
	if (!is_lower_alnum(value[0]) || !is_lower_alnum(value[len - 1]))
		return sc_error_make(err, EINVAL,
				     "invalid %s \"%s\": must start and end with an alphanumeric "
				     "character",
				     what, value);
	return 0;
}

int sc_validate_dns1123_label(const char *what, const char *value, sc_error_t *err)
{
	if (value == NULL)
		return sc_error_make(err, EINVAL, "invalid %s: missing", what);
	return check_label(what, value, strlen(value), err);
}

int sc_validate_dns1123_subdomain(const char *what, const char *value, sc_error_t *err)
{
	if (value == NULL)
		return sc_error_make(err, EINVAL, "invalid %s: missing", what);
	size_t len = strlen(value);
	if (len == 0)
		return sc_error_make(err, EINVAL, "invalid %s \"\": must not be empty", what);
	if (len > 253)
		return sc_error_make(err, EINVAL,
				     "invalid %s \"%s\": must be no more than 253 characters", what,
				     value);
	const char *start = value;
	for (;;) {
		const char *dot = strchr(start, '.');
		size_t l = dot ? (size_t)(dot - start) : strlen(start);
		if (l == 0 || l > 63 || !is_lower_alnum(start[0]) || !is_lower_alnum(start[l - 1]))
			goto bad;
		for (size_t i = 0; i < l; i++)
			if (!is_lower_alnum(start[i]) && start[i] != '-')
				goto bad;
		if (dot == NULL)
			return 0;
		start = dot + 1;
	}
bad:
	return sc_error_make(err, EINVAL,
			     "invalid %s \"%s\": a lowercase RFC 1123 subdomain must consist of "
			     "lower case alphanumeric characters, '-' or '.', and must start and "
			     "end with an alphanumeric character",
			     what, value);
}

int sc_validate_path_component(const char *what, const char *value, sc_error_t *err)
{
	if (value == NULL || *value == '\0')
		return sc_error_make(err, EINVAL, "invalid %s: must not be empty", what);
	size_t len = strlen(value);
	if (len > 255)
		return sc_error_make(err, EINVAL, "invalid %s: longer than 255 bytes", what);
	if (strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": must not be '.' or '..'",
				     what, value);
	if (strchr(value, '/') != NULL)
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": must not contain '/'", what,
				     value);
	return 0;
}

int sc_validate_uid(const char *what, const char *value, sc_error_t *err)
{
	static const int dash_at[] = {8, 13, 18, 23};
	if (value == NULL || strlen(value) != 36)
		goto bad;
	for (size_t i = 0, d = 0; i < 36; i++) {
		char c = value[i];
		if (d < SC_ARRAY_SIZE(dash_at) && (int)i == dash_at[d]) {
			if (c != '-')
				goto bad;
			d++;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			goto bad;
	}
	return 0;
bad:
	return sc_error_make(err, EINVAL,
			     "invalid %s \"%s\": expected a UID like "
			     "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
			     what, value ? value : "");
}

int sc_validate_abs_path(const char *what, const char *value, sc_error_t *err)
{
	if (value == NULL || value[0] != '/')
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": must be an absolute path",
				     what, value ? value : "");
	size_t len = strlen(value);
	if (len > 4095)
		return sc_error_make(err, EINVAL, "invalid %s: longer than 4095 bytes", what);
	if (len == 1)
		return 0;
	if (value[len - 1] == '/')
		return sc_error_make(err, EINVAL, "invalid %s \"%s\": must not end with '/'", what,
				     value);
	const char *p = value + 1;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return sc_error_make(err, EINVAL,
					     "invalid %s \"%s\": must not contain empty, '.' or "
					     "'..' components",
					     what, value);
		p += l;
		if (*p == '/')
			p++;
	}
	return 0;
}
