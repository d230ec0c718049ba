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

#include <stdbool.h>
#include <sys/types.h>

#include "lib/sc-error.h"

struct sc_container_process {
	pid_t pid;                     /* in the mount-helper's PID namespace */
	int pidfd;                     /* holds the process; -1 when closed */
	unsigned long long start_time; /* start time (clock ticks) from /proc/PID/stat */
	bool from_task_file;           /* found through the runtime's init.pid, not a scan */
};
void sc_container_process_close(struct sc_container_process *p);
void sc_cleanup_container_processp(struct sc_container_process *p);
#define cleanup_container_process __attribute__((cleanup(sc_cleanup_container_processp)))

/* Parent PID and start time from the text of /proc/PID/stat (the command
 * name in parentheses may contain spaces and parentheses). Pure; exposed for
 * the tests. */
int sc_proc_parse_stat(const char *data, size_t len, pid_t *ppid, unsigned long long *start,
		       sc_error_t *err);

/* containerd's state directory for the tasks of the Kubernetes namespace
 * (k8s.io). The runc shim v2 of containerd 1.6 and 2.x has runc write each
 * task's init PID, as seen in the host's PID namespace, to
 * DIR/<container-id>/init.pid (the bundle directory). */
#define SC_PROC_DEFAULT_TASK_DIR "/run/containerd/io.containerd.runtime.v2.task/k8s.io"
/* An init.pid holds a PID in decimal, optionally followed by one newline. */
#define SC_PROC_PID_FILE_MAX_BYTES 32u

/* The PID in the text of an init.pid file: 1 to 2^31-1 in decimal digits,
 * nothing else but an optional final newline. Pure; exposed for the tests. */
int sc_proc_parse_pid_file(const char *data, size_t len, pid_t *pid, sc_error_t *err);

/* Scan proc_root ("/proc") for the processes in container container_id (64
 * hex) of pod pod_uid, pick its init (the one whose parent is not in the
 * container; the lowest PID if several), open a pidfd on it and verify it.
 * ENOENT when no process of the container runs. O(processes on the node). */
int sc_proc_find_container(const char *proc_root, const char *pod_uid, const char *container_id,
			   struct sc_container_process *out, sc_error_t *err);
/* The same result in constant time where the runtime says which PID is the
 * container's init: reads task_dir/<container_id>/init.pid and accepts that
 * PID only if the process passes the checks the scan applies (its cgroup is
 * the container's; its parent is not in the container; pidfd opened, start
 * time recorded and re-verified). If the file is missing or malformed or the
 * process fails a check, says why at verbosity 1 and falls back to the scan.
 * task_dir NULL or "": the scan only. out->from_task_file tells which way. */
int sc_proc_find_container_fast(const char *proc_root, const char *task_dir, const char *pod_uid,
				const char *container_id, struct sc_container_process *out,
				sc_error_t *err);
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
