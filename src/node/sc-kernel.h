/* What the running kernel offers the node operations, probed once at start-up.
 *
 * The floor is Linux 5.10. Every node operation needs:
 *   the new mount API (open_tree, move_mount, fsopen/fsconfig/fsmount)  5.2
 *   openat2 with RESOLVE_* flags                                          5.6
 *   pidfd_open                                                            5.3
 *   setns on a pidfd (entering a container's mount namespace by pidfd)   5.8
 *   statx with STATX_MNT_ID and STATX_ATTR_MOUNT_ROOT                    5.8
 *   the overlay filesystem                                               any
 * and uses, where the kernel has it:
 *   overlayfs "lowerdir+" by file descriptor                             6.13
 *     (older kernels: the classic "lowerdir=" option, with layer paths made
 *     short relative to their common directory; see sc-overlay.h).
 * Each is probed by calling it, not by reading the version number: a
 * distribution kernel may carry backports. */
#ifndef SC_KERNEL_H
#define SC_KERNEL_H

#include <stdbool.h>

#include "lib/sc-error.h"

struct sc_kernel {
	char release[65];       /* uname -r */
	bool probed;            /* sc_kernel_probe ran */
	const char *missing;    /* the first floor feature missing, or NULL */
	bool overlay_fd_layers; /* "lowerdir+" by fd (6.13) */
};

/* Probe the running kernel (in a forked child: nothing changes in the
 * caller). Fills the process-wide description that sc_kernel() returns.
 * Fails only when probing itself failed; a kernel below the floor is
 * reported in ->missing. */
int sc_kernel_probe(sc_error_t *err);

/* The process-wide description (probing on first use). */
const struct sc_kernel *sc_kernel(void);

/* Whether overlays are mounted with lowerdir+ by fd (the kernel has it and
 * no test forced the classic path). */
bool sc_kernel_overlay_fd_layers(void);

/* "" when the kernel is at or above the floor, else a message naming the
 * missing feature and the kernel release, for conditions and readiness. */
const char *sc_kernel_unsupported(void);

/* One line for the log: the release and which optional paths are used. */
char *sc_kernel_describe(void);

/* Tests: describe this kernel as lacking a floor feature. */
void sc_kernel_pretend_missing(const char *what, const char *since);

/* Tests: use the classic lowerdir= path even where lowerdir+ exists. */
void sc_kernel_force_classic_overlay(bool classic);

#endif
