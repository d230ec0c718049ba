#include "node/sc-inject.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sc-util.h"
#include "lib/sc-validate.h"
#include "node/sc-mountinfo.h"
#include "node/sc-proc.h"
#include "node/sc-syscall.h"

#define SC_INJECT_MAX_PATHS 256u

const char *const sc_inject_default_paths[] = {
    "/proc",
    "/dev",
    "/sys",
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/dev/termination-log",
    "/var/run/secrets/kubernetes.io/serviceaccount",
    NULL,
};

void sc_inject_result_free(struct sc_inject_result *r)
{
	if (r == NULL)
		return;
	sc_strv_free(r->attached);
	r->attached = NULL;
	r->already = false;
}

/* path is below (or equal to) base */
static bool path_below(const char *path, const char *base)
{
	size_t l = strlen(base);
	if (strcmp(base, "/") == 0)
		return true;
	return strncmp(path, base, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

struct child_ctx {
	const struct sc_inject_request *req;
	char **paths; /* container paths to clone, parents before children */
};

/* Make sure mountpoint rel (relative, e.g. "etc/hosts") exists in the tree,
 * creating missing directories (and, when want_dir is false, the final empty
 * file). Path resolution stays inside the tree (RESOLVE_IN_ROOT): a symlink in
 * the user's rootfs resolves as it would for the workload, never outside it;
 * /proc magic links are refused. Returns an O_PATH fd of the mountpoint. */
int sc_inject_ensure_mountpoint(int tree, const char *rel, bool want_dir, sc_error_t *err)
{
	const unsigned long long res = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	size_t len = strlen(rel);
	for (size_t end = 0; end <= len; end++) {
		if (end < len && rel[end] != '/')
			continue;
		bool last = end == len;
		cleanup_free char *prefix = sc_xstrndup(rel, end);
		int fd = sc_sys_openat2(tree, prefix, O_PATH | O_CLOEXEC, 0, res);
		if (fd >= 0) {
			if (last)
				return fd;
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return sc_error_make_errno(err, "resolving /%s in the rootfs", prefix);
		/* create the missing component in its (resolved) parent */
		const char *slash = strrchr(prefix, '/');
		cleanup_free char *parent =
		    slash ? sc_xstrndup(prefix, (size_t)(slash - prefix)) : sc_xstrdup(".");
		const char *name = slash ? slash + 1 : prefix;
		cleanup_close int pfd =
		    sc_sys_openat2(tree, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, res);
		if (pfd < 0)
			return sc_error_make_errno(err, "resolving /%s in the rootfs", parent);
		if (!last || want_dir) {
			if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
				return sc_error_make_errno(err, "creating mountpoint /%s", prefix);
		} else {
			/* O_EXCL never follows a symlink, so a dangling one
			 * planted by the image fails here instead of creating a
			 * file somewhere else. */
			int f = openat(pfd, name,
				       O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (f < 0 && errno != EEXIST)
				return sc_error_make_errno(err, "creating mountpoint /%s", prefix);
			if (f >= 0)
				close(f);
		}
		fd = sc_sys_openat2(tree, prefix, O_PATH | O_CLOEXEC, 0, res);
		if (fd < 0)
			return sc_error_make_errno(err,
						   "opening mountpoint /%s (a dangling symlink in "
						   "the image?)",
						   prefix);
		if (last)
			return fd;
		close(fd);
	}
	return sc_error_make(err, EINVAL, "empty mountpoint path");
}

/* Step 1: a mount namespace of the child's own, a private copy of the
 * host's: nothing mounted in it propagates anywhere, and it disappears with
 * the child. Returns an fd of it. */
static int enter_scratch_namespace(sc_error_t *err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "creating a scratch mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sc_error_make_errno(err, "making the scratch mount namespace private");
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sc_error_make_errno(err, "opening the scratch mount namespace");
	return fd;
}

/* Step 1: the scratch copy of the host overlay, set up for the workload. The
 * host's own mount is nosuid,noexec: nothing on the host runs from a user's
 * rootfs. In the container it is the user's "/", where setuid programs
 * (sudo) and executables must work as under docker run; it stays nodev
 * (devices come from the container's own /dev, checked by the device
 * cgroup). A bind remount sets exactly these flags on this copy only. */
int sc_inject_open_rootfs_copy(const char *overlay_path, sc_error_t *err)
{
	cleanup_close int ovl = sc_open_resolved(AT_FDCWD, overlay_path, O_PATH | O_DIRECTORY,
						 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
	if (ovl < 0)
		return sc_error_wrap(err, "opening the instance's overlay");
	bool is_root;
	if (sc_fd_is_mount_root(ovl, &is_root, NULL, err) < 0)
		return -1;
	if (!is_root)
		return sc_error_make(err, ENOENT, "%s is not mounted", overlay_path);
	cleanup_free char *self = sc_xasprintf("/proc/self/fd/%d", ovl);
	if (mount(NULL, self, NULL, MS_REMOUNT | MS_BIND | MS_NODEV, NULL) < 0)
		return sc_error_make_errno(err, "setting the flags of the overlay's copy");
	return steal_fd(&ovl);
}

/* Step 2, inside the container's namespace: a recursive clone of each
 * container mount point, so /proc keeps the runtime's masks (binds of
 * /dev/null, read-only binds) and /dev its children. */
int sc_inject_clone_mounts(int croot, char *const *paths, struct sc_fdv *clones, bool *is_dir,
			   sc_error_t *err)
{
	for (size_t i = 0; i < clones->n; i++) {
		/* The container's own mount points come from the kernel's
		 * mountinfo and contain no symlinks: refuse any. */
		cleanup_close int fd = sc_open_resolved(
		    croot, paths[i] + 1, O_PATH | O_NOFOLLOW,
		    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
		if (fd < 0)
			return sc_error_wrap(err, "container path %s", paths[i]);
		bool is_root;
		if (sc_fd_is_mount_root(fd, &is_root, NULL, err) < 0)
			return -1;
		if (!is_root)
			return sc_error_make(err, EIO, "container path %s is no longer a mount",
					     paths[i]);
		struct stat st;
		if (fstat(fd, &st) < 0)
			return sc_error_make_errno(err, "stat %s", paths[i]);
		is_dir[i] = S_ISDIR(st.st_mode);
		clones->fds[i] = open_tree(
		    fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (clones->fds[i] < 0)
			return sc_error_make_errno(err, "cloning container mount %s", paths[i]);
	}
	return 0;
}

/* Step 3, back in the scratch namespace: attach each clone on the rootfs copy
 * at the same path, creating an empty mountpoint in the upper only where the
 * image lacks one. */
int sc_inject_attach_clones(int rootfs, char *const *paths, const struct sc_fdv *clones,
			    const bool *is_dir, sc_error_t *err)
{
	for (size_t i = 0; i < clones->n; i++) {
		cleanup_close int mp =
		    sc_inject_ensure_mountpoint(rootfs, paths[i] + 1, is_dir[i], err);
		if (mp < 0)
			return sc_error_wrap(err, "mountpoint for %s", paths[i]);
		struct stat st;
		if (fstat(mp, &st) < 0)
			return sc_error_make_errno(err, "stat mountpoint %s", paths[i]);
		if ((bool)S_ISDIR(st.st_mode) != is_dir[i])
			return sc_error_make(err, ENOTDIR,
					     "%s is a %s in the container but a %s in the rootfs; "
					     "cannot mount it there",
					     paths[i], is_dir[i] ? "directory" : "file",
					     S_ISDIR(st.st_mode) ? "directory" : "file");
		if (move_mount(clones->fds[i], "", mp, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return sc_error_make_errno(err, "attaching %s on the rootfs", paths[i]);
	}
	return 0;
}

/* Step 4: one move_mount of the finished tree on the container's "/", then a
 * check from inside that a process entering the namespace starts at it. */
static int attach_on_container_root(const struct sc_inject_request *req, int tree, sc_error_t *err)
{
	bool is_root;
	unsigned long long tree_id, top_id = 0;
	if (sc_fd_is_mount_root(tree, &is_root, &tree_id, err) < 0)
		return -1;
	if (setns(req->pidfd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "entering the container's mount namespace again");
	if (move_mount(tree, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return sc_error_make_errno(err, "attaching the rootfs on the container's /");
	if (setns(req->pidfd, CLONE_NEWNS) < 0) {
		/* The rootfs is attached; a short command may already have run
		 * and ended the container: nothing is left to check. */
		if (errno == ESRCH)
			return 0;
		return sc_error_make_errno(err, "re-entering the container's mount namespace");
	}
	cleanup_close int top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return sc_error_make_errno(err, "opening the new root");
	if (sc_fd_is_mount_root(top, &is_root, &top_id, err) < 0)
		return -1;
	if (top_id != tree_id)
		return sc_error_make(err, EIO,
				     "after attaching, the container's / is mount %llu, not the "
				     "rootfs (%llu)",
				     top_id, tree_id);
	return 0;
}

/* The child: build the complete tree attached in a scratch namespace, clone
 * it recursively (a detached copy with every submount), attach that on the
 * container's root in one step. Works from Linux 5.8 (setns on a pidfd). */
static int child_inject(void *arg, sc_error_t *err)
{
	struct child_ctx *c = arg;
	size_t n = sc_strv_len(c->paths);
	cleanup_close int scratch = enter_scratch_namespace(err);
	if (scratch < 0)
		return -1;
	cleanup_close int rootfs = sc_inject_open_rootfs_copy(c->req->overlay_path, err);
	if (rootfs < 0)
		return -1;
	cleanup_fdv struct sc_fdv clones = {0};
	sc_fdv_init(&clones, n);
	cleanup_free bool *is_dir = sc_xzalloc((n + 1) * sizeof(bool));
	if (setns(c->req->pidfd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "entering the container's mount namespace");
	cleanup_close int croot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (croot < 0)
		return sc_error_make_errno(err, "opening the container's root");
	if (sc_inject_clone_mounts(croot, c->paths, &clones, is_dir, err) < 0)
		return -1;
	if (setns(scratch, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "returning to the scratch mount namespace");
	if (sc_inject_attach_clones(rootfs, c->paths, &clones, is_dir, err) < 0)
		return -1;
	cleanup_close int tree = open_tree(
	    rootfs, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return sc_error_make_errno(err, "cloning the finished rootfs tree");
	return attach_on_container_root(c->req, tree, err);
}

/* The container's original root mount: the "/" mount not stacked on another
 * "/" mount. */
static const struct sc_mount *base_root(const struct sc_mountinfo *mi)
{
	for (size_t i = 0; i < mi->n; i++) {
		const struct sc_mount *m = &mi->mounts[i];
		if (strcmp(m->mount_point, "/") != 0)
			continue;
		const struct sc_mount *p = sc_mountinfo_by_id(mi, m->parent_id);
		if (p == NULL || p == m || strcmp(p->mount_point, "/") != 0)
			return m;
	}
	return NULL;
}

int sc_inject_read_mountinfo(pid_t pid, int pidfd, struct sc_mountinfo *mi, sc_error_t *err)
{
	cleanup_free char *path = sc_proc_path(pid, "mountinfo");
	if (sc_mountinfo_read(path, mi, err) < 0)
		return -1;
	/* read first, then check: the file was about the pidfd's process */
	if (sc_proc_alive(pidfd, err) < 0) {
		sc_mountinfo_free(mi);
		return -1;
	}
	return 0;
}

bool sc_inject_is_our_overlay(const struct sc_mount *m, const char *upperdir)
{
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	sc_error_t e = NULL;
	if (sc_mount_overlay_layers(m, &l, &e) < 0) {
		sc_error_release(&e);
		return false;
	}
	return l.upperdir != NULL && strcmp(l.upperdir, upperdir) == 0;
}

static int verify_injected(const struct sc_inject_request *req, char *const *paths, sc_error_t *err)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_inject_read_mountinfo(req->pid, req->pidfd, &mi, err) < 0) {
		/* A short command may already have finished and taken the
		 * container down: then there is nothing left to look at, and
		 * the child already checked, inside the namespace, that "/"
		 * became the rootfs. */
		/* The kernel drops a task's namespaces a moment before its pidfd
		 * turns readable at exit: give an exiting process that moment. */
		struct pollfd pf = {.fd = req->pidfd, .events = POLLIN};
		if (poll(&pf, 1, 1000) > 0 && (pf.revents & (POLLIN | POLLHUP))) {
			sc_error_release(err);
			return 0;
		}
		return -1;
	}
	/* The topmost "/" in the process's view: the rootfs stacked on the old
	 * root while the process is still there, or its own root once it has
	 * entered the rootfs (sc-exec does so right away). */
	const struct sc_mount *top = sc_mountinfo_find(&mi, "/");
	if (top == NULL || !sc_inject_is_our_overlay(top, req->upperdir))
		return sc_error_make(err, EIO, "the rootfs is not stacked on the container's root");
	if (!sc_mount_has_option(top, "nodev") || sc_mount_has_option(top, "nosuid"))
		return sc_error_make(err, EIO, "the stacked rootfs lacks nodev or has nosuid");
	if (sc_mount_shared_group(top) != 0)
		return sc_error_make(err, EIO, "the stacked rootfs is shared, not private");
	for (size_t i = 0; paths[i] != NULL; i++) {
		/* a mount at the path whose parent chain reaches the new top */
		bool found = false;
		for (size_t j = 0; j < mi.n && !found; j++) {
			const struct sc_mount *m = &mi.mounts[j];
			if (strcmp(m->mount_point, paths[i]) != 0)
				continue;
			const struct sc_mount *p = m;
			for (size_t depth = 0; p != NULL && depth < 64; depth++) {
				if (p->parent_id == top->id) {
					found = true;
					break;
				}
				p = sc_mountinfo_by_id(&mi, p->parent_id);
			}
		}
		if (!found)
			return sc_error_make(err, EIO, "%s is not mounted on the stacked rootfs",
					     paths[i]);
	}
	return 0;
}

/* Which of the default paths and the volume paths are mount points in the
 * container (the topmost mount at each), skipping what a recursive clone of
 * an earlier path brings along; parents first. */
static char **wanted_paths(const struct sc_mountinfo *mi, char *const *extra)
{
	/* Which of the wanted paths are mount points in the container,
	 * skipping what a recursive clone of an earlier path brings along. */
	char **paths = sc_xzalloc(sizeof(char *));
	size_t np = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *const *list = pass == 0 ? (char *const *)sc_inject_default_paths : extra;
		for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
			bool covered = false;
			for (size_t j = 0; j < np && !covered; j++)
				covered = path_below(list[i], paths[j]);
			if (covered)
				continue;
			const struct sc_mount *m = sc_mountinfo_find(mi, list[i]);
			if (m == NULL)
				continue;
			paths = sc_xrealloc(paths, (np + 2) * sizeof(char *));
			paths[np++] = sc_xstrdup(list[i]);
			paths[np] = NULL;
		}
	}
	/* A volume mounted on a parent of an earlier path (say /etc) must be
	 * attached before it: sort parents first (by depth, stable). */
	for (size_t i = 1; i < np; i++) {
		for (size_t j = i; j > 0; j--) {
			size_t dj = 0, dk = 0;
			for (const char *s = paths[j]; *s; s++)
				dj += *s == '/';
			for (const char *s = paths[j - 1]; *s; s++)
				dk += *s == '/';
			if (dj >= dk)
				break;
			char *t = paths[j];
			paths[j] = paths[j - 1];
			paths[j - 1] = t;
		}
	}

	return paths;
}

int sc_inject_rootfs(const struct sc_inject_request *req, struct sc_inject_result *res,
		     sc_error_t *err)
{
	memset(res, 0, sizeof(*res));
	if (req->pid <= 0 || req->pidfd < 0)
		return sc_error_make(err, EINVAL, "inject: no target process");
	if (sc_validate_abs_path("overlay path", req->overlay_path, err) < 0 ||
	    sc_validate_abs_path("overlay upperdir", req->upperdir, err) < 0)
		return -1;
	size_t nextra = sc_strv_len(req->extra_paths);
	if (nextra > SC_INJECT_MAX_PATHS)
		return sc_error_make(err, E2BIG, "more than %u volume paths", SC_INJECT_MAX_PATHS);
	for (size_t i = 0; i < nextra; i++) {
		if (sc_validate_abs_path("volume mount path", req->extra_paths[i], err) < 0)
			return -1;
		if (strcmp(req->extra_paths[i], "/") == 0)
			return sc_error_make(err, EINVAL, "a volume cannot be mounted on /");
	}

	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_inject_read_mountinfo(req->pid, req->pidfd, &mi, err) < 0)
		return sc_error_wrap(err, "reading the container's mounts");
	const struct sc_mount *base = base_root(&mi);
	if (base == NULL)
		return sc_error_make(err, EIO, "the container has no root mount");
	const struct sc_mount *top = sc_mountinfo_find(&mi, "/");
	if (top != NULL && sc_inject_is_our_overlay(top, req->upperdir)) {
		/* Stacked before (the mount-helper restarted, or a retry after
		 * a failed check): checked again, never taken on trust. */
		cleanup_strv char **have = wanted_paths(&mi, req->extra_paths);
		if (verify_injected(req, have, err) < 0)
			return sc_error_wrap(err,
					     "checking the rootfs stacked earlier on process %d",
					     (int)req->pid);
		res->already = true;
		res->attached = sc_xzalloc(sizeof(char *));
		return 0;
	}
	if (top != base)
		return sc_error_make(err, EEXIST,
				     "something else (%s) is already stacked on the container's "
				     "root",
				     top ? top->fstype : "?");
	/* Attaching on a shared root would propagate the rootfs to the peer
	 * mounts, possibly the host's. Runtimes make a container's root
	 * private or a slave; anything else is refused. */
	if (sc_mount_shared_group(base) != 0)
		return sc_error_make(err, EPERM,
				     "the container's root mount is shared (peer group %d); "
				     "refusing to stack on it",
				     sc_mount_shared_group(base));

	cleanup_strv char **paths = wanted_paths(&mi, req->extra_paths);
	struct child_ctx ctx = {.req = req, .paths = paths};
	int timeout = req->timeout_ms > 0 ? req->timeout_ms : 30000;
	if (sc_run_in_child(child_inject, &ctx, timeout, err) < 0)
		return sc_error_wrap(err, "stacking the rootfs on process %d", (int)req->pid);
	if (verify_injected(req, paths, err) < 0)
		return sc_error_wrap(err, "verifying the rootfs of process %d", (int)req->pid);
	res->attached = steal_pointer(&paths);
	return 0;
}
