/* Parser of /proc/PID/cgroup and the matcher that says whether a process
 * belongs to a given Kubernetes container.
 *
 * A pod status names a container as "containerd://<64 hex>"; the kubelet puts
 * the container in a cgroup whose last two path components are, with the
 * cgroupfs driver,
 *     .../pod<pod-uid>/<container-id>
 * and with the systemd driver
 *     .../kubepods-<qos>-pod<pod_uid_with_underscores>.slice/cri-containerd-<container-id>.scope
 * on cgroup v1 (one line per hierarchy) and v2 (the single "0::" line) alike.
 * Matching is exact on both components, never a substring search. */
#ifndef SC_CGROUP_H
#define SC_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-error.h"

#define SC_CGROUP_MAX_BYTES (64u * 1024)
#define SC_CGROUP_MAX_LINES 64u
#define SC_CGROUP_MAX_LINE  4096u
#define SC_CONTAINER_ID_LEN 64u

struct sc_cgroup_entry {
	int hierarchy;     /* 0 for the v2 unified hierarchy */
	char *controllers; /* "cpu,cpuacct", "name=systemd", "" for v2 */
	char *path;        /* as the kernel printed it, starting with '/' */
};

struct sc_cgroup {
	struct sc_cgroup_entry *entries;
	size_t n;
};

int sc_cgroup_parse(const char *data, size_t len, struct sc_cgroup *out, sc_error_t *err);
void sc_cgroup_free(struct sc_cgroup *cg);
void sc_cleanup_cgroupp(struct sc_cgroup *cg);
#define cleanup_cgroup __attribute__((cleanup(sc_cleanup_cgroupp)))

/* Split a pod status containerID ("containerd://<64 hex>") into runtime and
 * ID; the ID must be exactly 64 lower-case hex characters. */
int sc_container_id_parse(const char *status_id, char **runtime, char **id, sc_error_t *err);
bool sc_is_container_id(const char *s, size_t len);

enum sc_cgroup_match {
	SC_CGROUP_MATCH_NONE = 0, /* not a container cgroup path we recognise */
	SC_CGROUP_MATCH_YES,      /* this container of this pod */
	SC_CGROUP_MATCH_OTHER,    /* a container cgroup, but another container or pod */
};
/* Classify one cgroup path against pod_uid (36-char UID) and container_id. */
enum sc_cgroup_match sc_cgroup_path_match(const char *path, const char *pod_uid,
					  const char *container_id);
/* Whether the process whose cgroup file this is belongs to the container: at
 * least one hierarchy names it, and no hierarchy names another container or
 * pod (a process cannot be in two containers; a file that says so is not
 * trusted). Returns 1 (yes) or 0 (no); -1 only for invalid arguments. */
int sc_cgroup_belongs(const struct sc_cgroup *cg, const char *pod_uid, const char *container_id,
		      sc_error_t *err);

#endif
