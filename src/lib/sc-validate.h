/* Validation of names and paths that come from outside (the API server, a
 * user's flags). Anything used to build a host path or an object name goes
 * through one of these first. Each returns 0 when valid, or -1 with an error
 * whose message names the value and what is wrong with it. */
#ifndef SC_VALIDATE_H
#define SC_VALIDATE_H

#include <stdbool.h>

#include "lib/sc-error.h"

/* RFC 1123 label: 1-63 of [a-z0-9-], starting and ending alphanumeric.
 * Namespaces and our object names are labels. */
int sc_validate_dns1123_label(const char *what, const char *value, sc_error_t *err);
/* RFC 1123 subdomain: 1-253 characters, dot-separated labels. */
int sc_validate_dns1123_subdomain(const char *what, const char *value, sc_error_t *err);
/* One path component: non-empty, at most 255 bytes, no '/', no NUL, and
 * neither "." nor "..". */
int sc_validate_path_component(const char *what, const char *value, sc_error_t *err);
/* A Kubernetes UID: 36 characters of lower-case hex and dashes in the UUID
 * shape 8-4-4-4-12. */
int sc_validate_uid(const char *what, const char *value, sc_error_t *err);
/* An absolute, normalised path: starts with '/', no empty, "." or ".."
 * components, no trailing '/', at most 4095 bytes. */
int sc_validate_abs_path(const char *what, const char *value, sc_error_t *err);

#endif
