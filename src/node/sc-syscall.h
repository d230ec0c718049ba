/* Thin wrappers for the system calls glibc 2.36 has no wrapper for (openat2),
 * and fd-relative path helpers every node operation uses. The new mount API
 * (open_tree, move_mount, fsopen, fsconfig, fsmount, mount_setattr) and
 * pidfd_open/pidfd_send_signal come from glibc's <sys/mount.h> and
 * <sys/pidfd.h>. */
#ifndef SC_SYSCALL_H
#define SC_SYSCALL_H

#include <linux/openat2.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/sc-error.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static inline int sc_sys_openat2(int dirfd, const char *path, int flags, unsigned long long mode,
				 unsigned long long resolve)
{
	struct open_how how = {
	    .flags = (unsigned long long)flags, .mode = mode, .resolve = resolve};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The resolution every walk of a tree we own uses: stay below dirfd, follow
 * no symlink at all (so a symlink planted by a workload is an error, never a
 * detour), no /proc magic links, and do not cross into another mount. */
#define SC_RESOLVE_OWNED \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

/* openat2(dirfd, path, flags, 0, resolve) with an error naming path. */
int sc_open_resolved(int dirfd, const char *path, int flags, unsigned long long resolve,
		     sc_error_t *err);
/* Whether fd (or dirfd+path with AT_EMPTY_PATH semantics for "") is the root
 * of a mount; fills *mnt_id when not NULL. */
int sc_fd_is_mount_root(int fd, bool *is_root, unsigned long long *mnt_id, sc_error_t *err);
/* A vector of file descriptors that closes what it holds: slots start at -1,
 * and cleanup_fdv closes every one >= 0 and frees the array. */
struct sc_fdv {
	int *fds;
	size_t n;
};
void sc_fdv_init(struct sc_fdv *v, size_t n);
void sc_cleanup_fdvp(struct sc_fdv *v);
#define cleanup_fdv __attribute__((cleanup(sc_cleanup_fdvp)))

/* Path of /proc/PID/<file>. */
char *sc_proc_path(pid_t pid, const char *file);

#endif
