/* sc-rootfs-hook: the OCI createRuntime hook of the runtime path (see
 * docs/architecture.md, "Restricted Pod Security and the runtime"). The
 * mount-helper's NRI plugin adds it to a consumer's workload container, with
 * the instance's overlay as arguments; the runtime runs it on the host,
 * after the container's mounts and before its pivot_root, with the
 * container's state on stdin. It stacks the overlay on the container's
 * rootfs path (sc-nri-stack.h), so the runtime starts the workload in it.
 * Static (it runs from the host's filesystem, whatever libraries are there). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "lib/sc-buf.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"
#include "node/sc-nri-stack.h"

#define MAX_STATE  (1u << 20)
#define MAX_CONFIG (16u << 20)

static const char usage[] =
    "Usage: sc-rootfs-hook --overlay DIR --upperdir DIR [--timeout SECONDS]\n"
    "\n"
    "An OCI createRuntime hook: reads the container's state (JSON) on stdin,\n"
    "stacks the overlay mounted at DIR on the container's rootfs before the\n"
    "runtime's pivot_root, with every mount the runtime made there on top.\n"
    "Exit 0 when done (or done before), 1 on any error (the runtime then fails\n"
    "the container's creation), 2 on bad usage.\n";

struct hook_args {
	const char *overlay, *upperdir;
	int timeout_s;
};

static int parse_args(int argc, char **argv, struct hook_args *a)
{
	static const struct option opts[] = {{"overlay", required_argument, NULL, 'o'},
					     {"upperdir", required_argument, NULL, 'u'},
					     {"timeout", required_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	long v;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'o')
			a->overlay = optarg;
		else if (c == 'u')
			a->upperdir = optarg;
		else if (c == 't' && sc_parse_long(optarg, 1, 3600, &v) == 0)
			a->timeout_s = (int)v;
		else if (c == 'h') {
			fputs(usage, stdout);
			exit(0);
		} else
			return -1;
	}
	return optind == argc && a->overlay && a->upperdir ? 0 : -1;
}

/* The rootfs path: config.json's root.path, relative to the bundle. */
static char *rootfs_of(const char *bundle, sc_error_t *err)
{
	cleanup_free char *cfgpath = sc_xasprintf("%s/config.json", bundle);
	cleanup_free char *data = NULL;
	size_t len;
	if (sc_read_file(cfgpath, MAX_CONFIG, &data, &len, err) < 0)
		return NULL;
	json_error_t je;
	json_t *cfg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (cfg == NULL) {
		sc_error_make(err, EINVAL, "%s: %s (line %d)", cfgpath, je.text, je.line);
		return NULL;
	}
	const char *p = json_string_value(json_object_get(json_object_get(cfg, "root"), "path"));
	char *out = NULL;
	if (p == NULL || *p == '\0')
		sc_error_make(err, EINVAL, "%s has no root.path", cfgpath);
	else
		out = p[0] == '/' ? sc_xstrdup(p) : sc_xasprintf("%s/%s", bundle, p);
	json_decref(cfg);
	if (out && sc_validate_abs_path("root.path", out, err) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* pid and bundle from the OCI state on stdin. */
static int read_state(long *pid, char **bundle, sc_error_t *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (sc_read_file("/dev/stdin", MAX_STATE, &data, &len, err) < 0)
		return sc_error_wrap(err, "reading the container state on stdin");
	json_error_t je;
	json_t *st = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (st == NULL)
		return sc_error_make(err, EINVAL, "container state: %s", je.text);
	json_t *jp = json_object_get(st, "pid");
	const char *b = json_string_value(json_object_get(st, "bundle"));
	int rc = 0;
	if (!json_is_integer(jp) || json_integer_value(jp) <= 0 ||
	    json_integer_value(jp) > 0x7fffffff)
		rc = sc_error_make(err, EINVAL, "container state: no valid pid");
	else if (b == NULL || sc_validate_abs_path("bundle", b, err) < 0)
		rc = b ? -1 : sc_error_make(err, EINVAL, "container state: no bundle");
	if (rc == 0) {
		*pid = (long)json_integer_value(jp);
		*bundle = sc_xstrdup(b);
	}
	json_decref(st);
	return rc;
}

static int run(const struct hook_args *a, sc_error_t *err)
{
	long pid = 0;
	cleanup_free char *bundle = NULL;
	if (read_state(&pid, &bundle, err) < 0)
		return -1;
	cleanup_free char *rootfs = rootfs_of(bundle, err);
	if (rootfs == NULL)
		return -1;
	cleanup_close int pidfd = pidfd_open((pid_t)pid, 0);
	if (pidfd < 0)
		return sc_error_make_errno(err, "pidfd_open %ld", pid);
	struct sc_prepivot_request req = {.pid = (pid_t)pid,
					  .pidfd = pidfd,
					  .rootfs = rootfs,
					  .overlay_path = a->overlay,
					  .upperdir = a->upperdir,
					  .timeout_ms = a->timeout_s * 1000};
	struct sc_prepivot_result res;
	if (sc_stack_before_pivot(&req, &res, err) < 0)
		return -1;
	sc_prepivot_result_free(&res);
	return 0;
}

int main(int argc, char **argv)
{
	struct hook_args a = {.timeout_s = 30};
	if (parse_args(argc, argv, &a) < 0) {
		fputs(usage, stderr);
		return 2;
	}
	sc_error_t err = NULL;
	if (run(&a, &err) < 0) {
		fprintf(stderr, "sc-rootfs-hook: %s\n", sc_error_message(err));
		sc_error_release(&err);
		return 1;
	}
	return 0;
}
