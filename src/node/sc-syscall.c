#include "node/sc-syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

int sc_open_resolved(int dirfd, const char *path, int flags, unsigned long long resolve,
		     sc_error_t *err)
{
	int fd;
	do {
		fd = sc_sys_openat2(dirfd, path, flags | O_CLOEXEC, 0, resolve);
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	if (fd < 0) {
		int saved = errno;
		struct stat st;
		if ((saved == ELOOP || saved == ENOTDIR) &&
		    fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return sc_error_make(err, ELOOP,
					     "opening %s: it is a symlink; refusing to "
					     "follow it",
					     path);
		errno = saved;
		if (errno == ELOOP && (resolve & RESOLVE_NO_SYMLINKS))
			return sc_error_make(err, ELOOP,
					     "opening %s: a path component is a symlink", path);
		if (errno == EXDEV && (resolve & (RESOLVE_NO_XDEV | RESOLVE_BENEATH)))
			return sc_error_make(err, EXDEV,
					     "opening %s: the path leaves its directory or crosses "
					     "a mount point",
					     path);
		return sc_error_make_errno(err, "opening %s", path);
	}
	return fd;
}

int sc_fd_is_mount_root(int fd, bool *is_root, unsigned long long *mnt_id, sc_error_t *err)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return sc_error_make_errno(err, "statx");
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_mask & STATX_MNT_ID))
		return sc_error_make(err, ENOTSUP, "statx: kernel reports no mount root or ID");
	*is_root = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	if (mnt_id != NULL)
		*mnt_id = stx.stx_mnt_id;
	return 0;
}

void sc_fdv_init(struct sc_fdv *v, size_t n)
{
	v->fds = sc_xzalloc((n + 1) * sizeof(int));
	v->n = n;
	for (size_t i = 0; i < n; i++)
		v->fds[i] = -1;
}

void sc_cleanup_fdvp(struct sc_fdv *v)
{
	for (size_t i = 0; v->fds != NULL && i < v->n; i++)
		if (v->fds[i] >= 0)
			close(v->fds[i]);
	free(v->fds);
	v->fds = NULL;
	v->n = 0;
}

char *sc_proc_path(pid_t pid, const char *file)
{
	return sc_xasprintf("/proc/%d/%s", (int)pid, file);
}
