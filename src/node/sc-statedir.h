/* The per-instance state directory on the node:
 *
 *     <prefix>/<namespace>/<name>/<instance-uid>/
 *         upper/    the overlay upper layer: the user's files (survives everything
 *                   but deletion of the StoppableContainer)
 *         work/     overlayfs' work directory
 *         rootfs/   where the host-side overlay is mounted
 *
 * <prefix> is the StoppableContainer's hostPathPrefix, which is a request: it
 * must be on the administrator's allow-list (default
 * /var/lib/stoppablecontainer). Namespace, name and UID are validated before
 * they become path components, and every directory is opened fd-relative with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV),
 * so a symlink planted anywhere in the tree is an error, never a detour. */
#ifndef SC_STATEDIR_H
#define SC_STATEDIR_H

#include "lib/sc-api.h"
#include "lib/sc-error.h"

/* Refuse requested unless it is exactly one of the allowed prefixes (a
 * NULL-terminated list; NULL means just the default). Both must be absolute,
 * normalised paths without ',', ':', '\\' or white space, which would need
 * escaping in overlay options. */
int sc_statedir_check_prefix(char *const *allowed, const char *requested, sc_error_t *err);

struct sc_instance_dir {
	char *path;   /* <prefix>/<namespace>/<name>/<uid> */
	char *upper;  /* path/upper */
	char *work;   /* path/work */
	char *rootfs; /* path/rootfs */
	int fd;       /* O_DIRECTORY fd of path */
};
void sc_instance_dir_free(struct sc_instance_dir *d);
void sc_cleanup_instance_dirp(struct sc_instance_dir *d);
#define cleanup_instance_dir __attribute__((cleanup(sc_cleanup_instance_dirp)))

/* Create (or open, if it exists) the instance's directory tree. The prefix is
 * created if missing (mode 0700) and must be owned by root and not writable by
 * group or others. The namespace, name and instance directories are 0700 and
 * root-owned (an existing one with another owner is refused); upper/ is 0755
 * because it becomes the mode of "/" in the container; work/ is 0700. */
int sc_statedir_create(char *const *allowed, const char *prefix, const char *ns, const char *name,
		       const char *uid, struct sc_instance_dir *out, sc_error_t *err);

/* Delete an instance's state: first unmount everything mounted at or below its
 * directory (lazily, without following symlinks), then remove the tree
 * fd-relative, never following a symlink (a symlink is unlinked, not followed)
 * and never crossing into another mount. Then remove the name and namespace
 * directories if they became empty. Absent state is not an error. */
int sc_statedir_remove(char *const *allowed, const char *prefix, const char *ns, const char *name,
		       const char *uid, sc_error_t *err);

/* Remove everything below directory fd dirfd (not dirfd itself), fd-relative,
 * with the rules above. Exposed for the tests. */
int sc_remove_tree_contents(int dirfd, const char *what, sc_error_t *err);

#endif
