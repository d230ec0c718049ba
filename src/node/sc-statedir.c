#include "node/sc-statedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sc-util.h"
#include "lib/sc-validate.h"
#include "node/sc-mountinfo.h"
#include "node/sc-syscall.h"

/* Deepest directory nesting the removal walks. The walk holds one fd whatever
 * the depth (it climbs back with ".."), so this only bounds memory and time. */
#define SC_REMOVE_MAX_DEPTH 100000u
/* Upper bound on directory scans in one removal, so a workload that keeps
 * writing into its upper while we delete cannot keep us busy forever. */
#define SC_REMOVE_MAX_SCANS 10000000ul

static const char *const default_allowed[] = {SC_DEFAULT_HOST_PATH_PREFIX, NULL};

static int check_prefix_chars(const char *what, const char *p, sc_error_t *err)
{
	if (sc_validate_abs_path(what, p, err) < 0)
		return -1;
	if (strcmp(p, "/") == 0)
		return sc_error_make(err, EINVAL, "invalid %s \"/\": must not be the root", what);
	for (const char *c = p; *c; c++)
		if (*c == ',' || *c == ':' || *c == '\\' || (unsigned char)*c <= ' ' || *c == 0x7f)
			return sc_error_make(err, EINVAL,
					     "invalid %s \"%s\": must not contain ',', ':', '\\', "
					     "white space or control characters",
					     what, p);
	return 0;
}

int sc_statedir_check_prefix(char *const *allowed, const char *requested, sc_error_t *err)
{
	char *const *list = allowed ? allowed : (char *const *)default_allowed;
	if (check_prefix_chars("hostPathPrefix", requested, err) < 0)
		return -1;
	for (size_t i = 0; list[i] != NULL; i++) {
		if (check_prefix_chars("allowed host path prefix", list[i], err) < 0)
			return -1;
		if (strcmp(list[i], requested) == 0)
			return 0;
	}
	cleanup_free char *joined = NULL;
	for (size_t i = 0; list[i] != NULL; i++) {
		char *j = sc_xasprintf("%s%s%s", joined ? joined : "", joined ? ", " : "", list[i]);
		free(joined);
		joined = j;
	}
	return sc_error_make(err, EPERM,
			     "hostPathPrefix \"%s\" is not allowed on this node (allowed: %s)",
			     requested, joined ? joined : "none");
}

void sc_instance_dir_free(struct sc_instance_dir *d)
{
	if (d == NULL)
		return;
	free(d->path);
	free(d->upper);
	free(d->work);
	free(d->rootfs);
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

void sc_cleanup_instance_dirp(struct sc_instance_dir *d)
{
	sc_instance_dir_free(d);
}

/* Check what we opened is a root-owned directory nobody else may write to. */
static int check_owned_dir(int fd, const char *path, bool strict_mode, sc_error_t *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return sc_error_make_errno(err, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return sc_error_make(err, ENOTDIR, "%s is not a directory", path);
	if (st.st_uid != 0)
		return sc_error_make(err, EPERM, "%s is owned by UID %u, not root", path,
				     (unsigned)st.st_uid);
	if (strict_mode && (st.st_mode & 022) != 0)
		return sc_error_make(err, EPERM,
				     "%s is writable by group or others (mode %04o); refusing it",
				     path, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Open (creating if missing) directory name below parent, with mode. */
static int mkdir_open(int parent, const char *name, const char *path, mode_t mode, bool set_mode,
		      sc_error_t *err)
{
	if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
		return sc_error_make_errno(err, "creating %s", path);
	cleanup_close int fd = sc_open_resolved(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
						SC_RESOLVE_OWNED, err);
	if (fd < 0)
		return -1;
	if (check_owned_dir(fd, path, !set_mode, err) < 0)
		return -1;
	/* mkdir's mode is filtered by the umask, and an existing directory may
	 * have been left with another mode: set ours explicitly. */
	if (set_mode && fchmod(fd, mode) < 0)
		return sc_error_make_errno(err, "chmod %s", path);
	return steal_fd(&fd);
}

/* Open the prefix from "/" without following symlinks, creating missing parts
 * (0755 for parents, 0700 for the prefix itself) when create is set. */
static int open_prefix(const char *prefix, bool create, sc_error_t *err)
{
	if (!create) {
		cleanup_close int fd =
		    sc_open_resolved(AT_FDCWD, prefix, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
				     RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
		if (fd < 0)
			return -1;
		if (check_owned_dir(fd, prefix, true, err) < 0)
			return -1;
		return steal_fd(&fd);
	}
	cleanup_close int cur = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return sc_error_make_errno(err, "opening /");
	/* prefix is validated: absolute, no empty, "." or ".." components. */
	const char *p = prefix + 1;
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		cleanup_free char *comp = sc_xstrndup(p, l);
		bool last = slash == NULL;
		if (mkdirat(cur, comp, last ? 0700 : 0755) < 0 && errno != EEXIST)
			return sc_error_make_errno(err, "creating %s (component %s)", prefix, comp);
		/* Parents of the prefix are the administrator's; we only refuse
		 * symlinks there. The prefix itself must be ours alone. */
		int fd = sc_open_resolved(
		    cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
		    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
		if (fd < 0)
			return sc_error_wrap(err, "opening host path prefix %s", prefix);
		close(cur);
		cur = fd;
		p += l + (last ? 0 : 1);
	}
	if (check_owned_dir(cur, prefix, true, err) < 0)
		return -1;
	return steal_fd(&cur);
}

static int validate_names(const char *ns, const char *name, const char *uid, sc_error_t *err)
{
	if (sc_validate_dns1123_label("namespace", ns, err) < 0 ||
	    sc_validate_dns1123_subdomain("name", name, err) < 0 ||
	    sc_validate_uid("instance UID", uid, err) < 0)
		return -1;
	return 0;
}

int sc_statedir_create(char *const *allowed, const char *prefix, const char *ns, const char *name,
		       const char *uid, struct sc_instance_dir *out, sc_error_t *err)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (sc_statedir_check_prefix(allowed, prefix, err) < 0 ||
	    validate_names(ns, name, uid, err) < 0)
		return -1;
	cleanup_free char *ns_path = sc_xasprintf("%s/%s", prefix, ns);
	cleanup_free char *name_path = sc_xasprintf("%s/%s", ns_path, name);
	cleanup_instance_dir struct sc_instance_dir d = {.fd = -1};
	d.path = sc_xasprintf("%s/%s", name_path, uid);
	d.upper = sc_xasprintf("%s/upper", d.path);
	d.work = sc_xasprintf("%s/work", d.path);
	d.rootfs = sc_xasprintf("%s/rootfs", d.path);

	cleanup_close int pfd = open_prefix(prefix, true, err);
	if (pfd < 0)
		return -1;
	cleanup_close int nsfd = mkdir_open(pfd, ns, ns_path, 0700, true, err);
	if (nsfd < 0)
		return -1;
	cleanup_close int namefd = mkdir_open(nsfd, name, name_path, 0700, true, err);
	if (namefd < 0)
		return -1;
	d.fd = mkdir_open(namefd, uid, d.path, 0700, true, err);
	if (d.fd < 0)
		return -1;
	static const struct {
		const char *name;
		mode_t mode;
	} parts[] = {{"upper", 0755}, {"work", 0700}, {"rootfs", 0755}};
	for (size_t i = 0; i < SC_ARRAY_SIZE(parts); i++) {
		cleanup_free char *p = sc_xasprintf("%s/%s", d.path, parts[i].name);
		int fd = mkdir_open(d.fd, parts[i].name, p, parts[i].mode, true, err);
		if (fd < 0) {
			/* rootfs may already carry our overlay: then it is a
			 * mount point and RESOLVE_NO_XDEV refuses it, which is
			 * fine, the overlay code inspects it. */
			if (strcmp(parts[i].name, "rootfs") == 0 && (*err)->code == EXDEV) {
				sc_error_release(err);
				continue;
			}
			return -1;
		}
		close(fd);
	}
	*out = d;
	memset(&d, 0, sizeof(d));
	d.fd = -1;
	return 0;
}

/* Unmount every mount at or below path (deepest first), lazily and without
 * following a symlink in the last component. Stacked mounts need several
 * rounds; give up after a bounded number. */
static int unmount_below(const char *path, sc_error_t *err)
{
	size_t plen = strlen(path);
	for (int round = 0; round < 64; round++) {
		cleanup_mountinfo struct sc_mountinfo mi = {0};
		if (sc_mountinfo_read("/proc/self/mountinfo", &mi, err) < 0)
			return -1;
		const char *deepest = NULL;
		for (size_t i = 0; i < mi.n; i++) {
			const char *mp = mi.mounts[i].mount_point;
			if (strncmp(mp, path, plen) != 0 || (mp[plen] != '\0' && mp[plen] != '/'))
				continue;
			if (deepest == NULL || strlen(mp) > strlen(deepest))
				deepest = mp;
		}
		if (deepest == NULL)
			return 0;
		if (umount2(deepest, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return sc_error_make_errno(err, "unmounting %s", deepest);
	}
	return sc_error_make(err, EBUSY, "mounts below %s keep coming back", path);
}

struct level {
	char *name; /* name of this directory in its parent */
	dev_t dev;
	ino_t ino;
};

static void free_levels(struct level *lv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lv[i].name);
	free(lv);
}

/* Scan directory fd: unlink every non-directory; return the name of the first
 * subdirectory (to descend into), or NULL when the directory is empty. */
static int scan_dir(int fd, dev_t root_dev, const char *what, char **subdir, sc_error_t *err)
{
	*subdir = NULL;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return sc_error_make_errno(err, "dup");
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return sc_error_make_errno(err, "reading a directory of %s", what);
	}
	rewinddir(d);
	int ret = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				ret = sc_error_make_errno(err, "reading a directory of %s", what);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = sc_error_make_errno(err, "stat %s in %s", de->d_name, what);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != root_dev) {
				ret = sc_error_make(err, EXDEV,
						    "%s: \"%s\" is on another filesystem (a mount "
						    "point?); refusing to cross it",
						    what, de->d_name);
				break;
			}
			*subdir = sc_xstrdup(de->d_name);
			break;
		}
		/* Symlinks, whiteouts (0/0 character devices), sockets, fifos
		 * and files alike: unlinkat removes the name and never follows
		 * or opens it. */
		if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			ret = sc_error_make_errno(err, "removing %s in %s", de->d_name, what);
			break;
		}
	}
	closedir(d);
	return ret;
}

/* The walk of sc_remove_tree_contents: the directories from the top one
 * (lv[0]) down to the current one (lv[depth], open as cur). */
struct walk {
	struct level *lv;
	size_t alloc, depth;
	int cur;
	dev_t dev; /* the top directory's filesystem: never left */
	const char *what;
};

/* Into subdirectory sub (taken) of the current directory. */
static int descend(struct walk *w, char *sub, sc_error_t *err)
{
	if (w->depth + 1 >= SC_REMOVE_MAX_DEPTH) {
		free(sub);
		return sc_error_make(err, ELOOP, "%s is nested deeper than %u levels", w->what,
				     SC_REMOVE_MAX_DEPTH);
	}
	/* O_NOFOLLOW + RESOLVE_NO_SYMLINKS: if the entry was swapped for a
	 * symlink since the scan, this fails; RESOLVE_NO_XDEV: a mount point
	 * fails too. */
	int child = sc_sys_openat2(w->cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0,
				   SC_RESOLVE_OWNED);
	if (child < 0) {
		int ret = sc_error_make_errno(err, "opening %s in %s", sub, w->what);
		free(sub);
		return ret;
	}
	struct stat cst;
	if (fstat(child, &cst) < 0 || cst.st_dev != w->dev) {
		close(child);
		int ret = sc_error_make(err, EXDEV, "%s: %s crosses a mount", w->what, sub);
		free(sub);
		return ret;
	}
	if (w->depth + 2 > w->alloc) {
		w->alloc *= 2;
		w->lv = sc_xrealloc(w->lv, w->alloc * sizeof(*w->lv));
	}
	w->depth++;
	w->lv[w->depth].name = sub;
	w->lv[w->depth].dev = cst.st_dev;
	w->lv[w->depth].ino = cst.st_ino;
	close(w->cur);
	w->cur = child;
	return 0;
}

/* Back up from the (emptied) current directory, removing it. */
static int climb(struct walk *w, sc_error_t *err)
{
	struct level *lv = w->lv;
	size_t depth = w->depth;
	/* Climb back with "..", then make sure we landed where we came from:
	 * if a directory was moved meanwhile, stop rather than delete in a
	 * place we did not walk into. */
	int parent = sc_sys_openat2(w->cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
				    RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
	struct stat pst;
	if (parent < 0 || fstat(parent, &pst) < 0 || pst.st_dev != lv[depth - 1].dev ||
	    pst.st_ino != lv[depth - 1].ino) {
		if (parent >= 0)
			close(parent);
		return sc_error_make(err, ESTALE,
				     "%s: a directory moved while it was being removed", w->what);
	}
	struct stat est;
	if (fstatat(parent, lv[depth].name, &est, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(est.st_mode) && est.st_dev == lv[depth].dev && est.st_ino == lv[depth].ino) {
		if (unlinkat(parent, lv[depth].name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
		    errno != ENOTEMPTY) {
			int ret = sc_error_make_errno(err, "removing directory %s in %s",
						      lv[depth].name, w->what);
			close(parent);
			return ret;
		}
		/* ENOTEMPTY: something was added meanwhile; the parent's next
		 * scan finds it again. */
	}
	free(lv[depth].name);
	lv[depth].name = NULL;
	w->depth--;
	close(w->cur);
	w->cur = parent;
	return 0;
}

int sc_remove_tree_contents(int dirfd, const char *what, sc_error_t *err)
{
	struct stat rst;
	if (fstat(dirfd, &rst) < 0)
		return sc_error_make_errno(err, "stat %s", what);
	struct walk w = {.alloc = 16, .dev = rst.st_dev, .what = what};
	w.lv = sc_xzalloc(w.alloc * sizeof(*w.lv));
	w.lv[0].dev = rst.st_dev;
	w.lv[0].ino = rst.st_ino;
	w.cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (w.cur < 0) {
		free_levels(w.lv, 1);
		return sc_error_make_errno(err, "dup");
	}
	int ret = 0;
	for (unsigned long scans = 0;; scans++) {
		if (scans == SC_REMOVE_MAX_SCANS) {
			ret = sc_error_make(err, EBUSY, "%s keeps changing while it is removed",
					    what);
			break;
		}
		char *sub = NULL;
		if (scan_dir(w.cur, rst.st_dev, what, &sub, err) < 0) {
			ret = -1;
			break;
		}
		if (sub != NULL) {
			if (descend(&w, sub, err) < 0) {
				ret = -1;
				break;
			}
			continue;
		}
		if (w.depth == 0)
			break;
		if (climb(&w, err) < 0) {
			ret = -1;
			break;
		}
	}
	close(w.cur);
	free_levels(w.lv, w.depth + 1);
	return ret;
}

int sc_statedir_remove(char *const *allowed, const char *prefix, const char *ns, const char *name,
		       const char *uid, sc_error_t *err)
{
	if (sc_statedir_check_prefix(allowed, prefix, err) < 0 ||
	    validate_names(ns, name, uid, err) < 0)
		return -1;
	cleanup_free char *ns_path = sc_xasprintf("%s/%s", prefix, ns);
	cleanup_free char *name_path = sc_xasprintf("%s/%s", ns_path, name);
	cleanup_free char *path = sc_xasprintf("%s/%s", name_path, uid);

	/* Unmount first: removing files below a live overlay mount point would
	 * be refused anyway (RESOLVE_NO_XDEV), and the upper must not be
	 * deleted under a mounted overlay. */
	if (unmount_below(path, err) < 0)
		return sc_error_wrap(err, "removing state %s", path);

	cleanup_close int pfd = open_prefix(prefix, false, err);
	if (pfd < 0) {
		if ((*err)->code == ENOENT) {
			sc_error_release(err);
			return 0;
		}
		return sc_error_wrap(err, "removing state %s", path);
	}
	cleanup_close int nsfd = sc_sys_openat2(
	    pfd, ns, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, SC_RESOLVE_OWNED);
	if (nsfd < 0) {
		if (errno == ENOENT)
			return 0;
		return sc_error_make_errno(err, "removing state %s: opening %s", path, ns_path);
	}
	cleanup_close int namefd = sc_sys_openat2(
	    nsfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, SC_RESOLVE_OWNED);
	if (namefd < 0) {
		if (errno == ENOENT)
			return 0;
		return sc_error_make_errno(err, "removing state %s: opening %s", path, name_path);
	}
	{
		cleanup_close int ifd =
		    sc_sys_openat2(namefd, uid, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0,
				   SC_RESOLVE_OWNED);
		if (ifd < 0 && errno != ENOENT)
			return sc_error_make_errno(err, "removing state %s: opening it", path);
		if (ifd >= 0) {
			if (sc_remove_tree_contents(ifd, path, err) < 0)
				return sc_error_wrap(err, "removing state %s", path);
			if (unlinkat(namefd, uid, AT_REMOVEDIR) < 0 && errno != ENOENT)
				return sc_error_make_errno(err, "removing %s", path);
		}
	}
	/* Other instances of the same name or namespace may still be there. */
	if (unlinkat(nsfd, name, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST &&
	    errno != ENOENT)
		return sc_error_make_errno(err, "removing %s", name_path);
	if (unlinkat(pfd, ns, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST &&
	    errno != ENOENT)
		return sc_error_make_errno(err, "removing %s", ns_path);
	return 0;
}
