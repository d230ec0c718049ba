/* Finding a container's process on the node and acting inside its mount
 * namespace.
 *
 * A PID is only a number: the process can exit and the number be reused by
 * anything. So a container process is held by a pidfd, and everything read
 * about it through /proc is re-checked after the pidfd was opened (its cgroup
 * still names the container, its start time is unchanged, the pidfd still
 * refers to a live process) before the mount-helper acts on it. */
#ifndef SC_PROC_H
#define SC_PROC_H

#include <sys/types.h>

#include "lib/sc-error.h"

struct sc_container_process {
	pid_t pid;                     /* in the mount-helper's PID namespace */
	int pidfd;                     /* holds the process; -1 when closed */
	unsigned long long start_time; /* start time (clock ticks) from /proc/PID/stat */
};
void sc_container_process_close(struct sc_container_process *p);
void sc_cleanup_container_processp(struct sc_container_process *p);
#define cleanup_container_process __attribute__((cleanup(sc_cleanup_container_processp)))

/* Parent PID and start time from the text of /proc/PID/stat (the command
 * name in parentheses may contain spaces and parentheses). Pure; exposed for
 * the tests. */
int sc_proc_parse_stat(const char *data, size_t len, pid_t *ppid, unsigned long long *start,
		       sc_error_t *err);

/* Scan proc_root ("/proc") for the processes in container container_id (64
 * hex) of pod pod_uid, pick its init (the one whose parent is not in the
 * container; the lowest PID if several), open a pidfd on it and verify it.
 * ENOENT when no process of the container runs. */
int sc_proc_find_container(const char *proc_root, const char *pod_uid, const char *container_id,
			   struct sc_container_process *out, sc_error_t *err);
/* Re-check that p still is that container's process. */
int sc_proc_verify(const struct sc_container_process *p, const char *pod_uid,
		   const char *container_id, sc_error_t *err);
/* Whether the pidfd still refers to a running process; ESRCH error when it
 * has exited (even if not yet reaped). */
int sc_proc_alive(int pidfd, sc_error_t *err);

/* Run fn(arg, err) in a forked child and wait for it (at most timeout_ms, then
 * the child is killed). The child is single-threaded, as setns(CLONE_NEWNS)
 * requires, whatever threads the caller has; its error comes back to the
 * caller through a pipe. The child dies with the caller (PR_SET_PDEATHSIG). */
typedef int (*sc_child_fn)(void *arg, sc_error_t *err);
int sc_run_in_child(sc_child_fn fn, void *arg, int timeout_ms, sc_error_t *err);
/* Same, with the child first entering the mount namespace of the process
 * behind pidfd (setns(pidfd, CLONE_NEWNS)). */
int sc_run_in_mntns(int pidfd, sc_child_fn fn, void *arg, int timeout_ms, sc_error_t *err);

#endif
