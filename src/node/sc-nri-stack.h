/* Stacking an instance's rootfs on a container's rootfs path *before* the
 * runtime's pivot_root: the runtime path of docs/architecture.md
 * ("Restricted Pod Security and the runtime").
 *
 * Called from an OCI createRuntime hook. At that point runc's init (pid) is
 * in the container's new mount namespace, has bind-mounted the rootfs on
 * itself and mounted every mount of the spec below it (/proc, /dev, /sys,
 * hosts files, the token, volumes), and waits for the hook; afterwards it
 * chdirs into the rootfs *by path* and pivot_roots into "." — so it finds
 * whatever is on top of that path then.
 *
 * The sequence is sc-inject's, with the rootfs path as the target instead of
 * "/": in a scratch namespace, each mount runc attached directly on the
 * rootfs is cloned recursively from the container's namespace onto a nodev
 * copy of the overlay at the same relative path (mountpoints created empty
 * where the image lacks them), the finished tree is cloned and moved onto
 * the rootfs path in one step, then checked from the host. Nothing changes
 * in the container before that step. Idempotent: a rootfs path already
 * topped by the instance's overlay is checked and left alone. */
#ifndef SC_NRI_STACK_H
#define SC_NRI_STACK_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/sc-error.h"

struct sc_prepivot_request {
	pid_t pid;                /* the runtime's container init, before pivot_root */
	int pidfd;                /* held on it */
	const char *rootfs;       /* the container's root path as the runtime sees it */
	const char *overlay_path; /* host mount point of the instance's overlay */
	const char *upperdir;     /* that overlay's upperdir (to verify) */
	int timeout_ms;           /* for the child; 0 means 30 s */
};

struct sc_prepivot_result {
	bool already;    /* stacked before: nothing was done */
	char **attached; /* the container paths (relative to the rootfs, with a
			  * leading "/") re-attached on the overlay */
};
void sc_prepivot_result_free(struct sc_prepivot_result *r);

int sc_stack_before_pivot(const struct sc_prepivot_request *req, struct sc_prepivot_result *res,
			  sc_error_t *err);

#endif
