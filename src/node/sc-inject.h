/* Stacking an instance's rootfs on top of a running container's root.
 *
 * From a forked, single-threaded child:
 *   1. unshare a scratch mount namespace (a private copy of the host's, gone
 *      with the child) and set its copy of the host overlay up for the
 *      workload: nodev, but suid and exec allowed (it is the user's "/");
 *   2. setns into the container's mount namespace and clone each of the
 *      container's own submounts that exists there (/proc recursively so its
 *      masked paths stay masked, /dev with pts, shm, mqueue and
 *      termination-log, /sys, /etc/hosts, /etc/hostname, /etc/resolv.conf,
 *      the service-account token, the user's volumes);
 *   3. go back to the scratch namespace and attach each clone on the overlay
 *      copy at the same path, creating an empty mountpoint (directory or
 *      file) in the upper only where the image lacks one; then clone the
 *      finished tree recursively (open_tree OPEN_TREE_CLONE|AT_RECURSIVE): a
 *      detached copy with every submount;
 *   4. setns into the container again and attach that tree on "/" with one
 *      move_mount: every process that enters the namespace from then on
 *      starts at the new top, and the container's PID 1 (sc-exec) sees one
 *      new mount on its root, complete, never a half-built one;
 *   5. verify, from the host, in the container's mountinfo.
 * Until step 4 nothing in the container changes; if anything fails before,
 * the scratch namespace and the clones vanish with the child.
 *
 * Needs Linux 5.8 (setns on a pidfd); the floor is 5.10 (sc-kernel.h). */
#ifndef SC_INJECT_H
#define SC_INJECT_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/sc-error.h"
#include "node/sc-mountinfo.h"
#include "node/sc-syscall.h"

/* The container paths cloned by default, in order. */
extern const char *const sc_inject_default_paths[];

struct sc_inject_request {
	pid_t pid;                /* the container's process (e.g. its init) */
	int pidfd;                /* held on it */
	const char *overlay_path; /* host mount point of the instance's overlay */
	const char *upperdir;     /* that overlay's upperdir (to verify) */
	char *const *extra_paths; /* the user's volume mount paths, or NULL */
	int timeout_ms;           /* for the child; 0 means 30 s */
};

struct sc_inject_result {
	bool already;    /* the rootfs was already stacked: nothing was done */
	char **attached; /* the container paths re-attached on the new root */
};
void sc_inject_result_free(struct sc_inject_result *r);

int sc_inject_rootfs(const struct sc_inject_request *req, struct sc_inject_result *res,
		     sc_error_t *err);

/* Shared with sc-nri-stack.c (the same tree, stacked before pivot_root):
 * in the current (scratch) namespace, an O_PATH fd of the overlay's copy
 * remounted nodev only; and an O_PATH fd of mountpoint rel in the tree
 * (created empty, a directory or a file, only where missing; resolved
 * inside the tree). */
int sc_inject_open_rootfs_copy(const char *overlay_path, sc_error_t *err);
int sc_inject_ensure_mountpoint(int tree, const char *rel, bool want_dir, sc_error_t *err);
/* In the container's namespace: a recursive clone of each mount point paths[i]
 * ("/proc", ...), resolved below croot without symlinks, into clones->fds[i]
 * (clones->n of them), and whether it is a directory. Back in the scratch
 * namespace: each clone attached on tree at the same path. */
/* The mountinfo of process pid, read and then checked to be pidfd's (still
 * alive); 0, or -1 with err (mi freed). */
int sc_inject_read_mountinfo(pid_t pid, int pidfd, struct sc_mountinfo *mi, sc_error_t *err);

/* Is m an overlay whose upperdir is upperdir? */
bool sc_inject_is_our_overlay(const struct sc_mount *m, const char *upperdir);

int sc_inject_clone_mounts(int croot, char *const *paths, struct sc_fdv *clones, bool *is_dir,
			   sc_error_t *err);
int sc_inject_attach_clones(int tree, char *const *paths, const struct sc_fdv *clones,
			    const bool *is_dir, sc_error_t *err);

#endif
