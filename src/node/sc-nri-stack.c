#include "node/sc-nri-stack.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sc-util.h"
#include "lib/sc-validate.h"
#include "node/sc-inject.h"
#include "node/sc-mountinfo.h"
#include "node/sc-proc.h"
#include "node/sc-syscall.h"

#define MAX_CHILD_MOUNTS 512u

void sc_prepivot_result_free(struct sc_prepivot_result *r)
{
	if (r == NULL)
		return;
	sc_strv_free(r->attached);
	r->attached = NULL;
	r->already = false;
}

static bool strictly_below(const char *path, const char *base)
{
	size_t l = strlen(base);
	return strncmp(path, base, l) == 0 && path[l] == '/' && path[l + 1] != '\0';
}

static bool below_or_equal(const char *path, const char *base)
{
	return strcmp(path, base) == 0 || strictly_below(path, base);
}

/* The mounts attached directly on top (the runtime's rootfs bind), as paths
 * relative to the rootfs ("/proc"), in mount order; one hidden by a later
 * sibling mounted on a parent path is left out (it comes along with nothing:
 * the workload could not see it either). */
static char **direct_children(const struct sc_mountinfo *mi, const struct sc_mount *top,
			      const char *rootfs, sc_error_t *err)
{
	size_t cap = 0, n = 0;
	char **rel = sc_xzalloc(sizeof(char *));
	for (size_t i = 0; i < mi->n; i++) {
		const struct sc_mount *m = &mi->mounts[i];
		if (m->parent_id != top->id || !strictly_below(m->mount_point, rootfs))
			continue;
		bool hidden = false;
		for (size_t j = i + 1; j < mi->n && !hidden; j++)
			hidden = mi->mounts[j].parent_id == top->id &&
				 strcmp(mi->mounts[j].mount_point, m->mount_point) != 0 &&
				 below_or_equal(m->mount_point, mi->mounts[j].mount_point);
		if (hidden)
			continue;
		if (++cap > MAX_CHILD_MOUNTS) {
			sc_strv_free(rel);
			sc_error_make(err, E2BIG, "more than %u mounts on the container's rootfs",
				      MAX_CHILD_MOUNTS);
			return NULL;
		}
		rel = sc_xrealloc(rel, (n + 2) * sizeof(char *));
		rel[n++] = sc_xstrdup(m->mount_point + strlen(rootfs));
		rel[n] = NULL;
	}
	return rel;
}

struct stack_ctx {
	const struct sc_prepivot_request *req;
	char **rel;
};

/* Last step, in the container's namespace: the tree onto the rootfs path,
 * then the path must resolve to it. */
static int attach_tree(const struct sc_prepivot_request *req, int tree, sc_error_t *err)
{
	bool is_root;
	unsigned long long tree_id, top_id;
	if (sc_fd_is_mount_root(tree, &is_root, &tree_id, err) < 0)
		return -1;
	if (setns(req->pidfd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "entering the container's mount namespace again");
	if (move_mount(tree, "", AT_FDCWD, req->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return sc_error_make_errno(err, "attaching the rootfs on %s", req->rootfs);
	cleanup_close int top = sc_open_resolved(AT_FDCWD, req->rootfs, O_PATH | O_DIRECTORY,
						 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
	if (top < 0 || sc_fd_is_mount_root(top, &is_root, &top_id, err) < 0)
		return -1;
	if (top_id != tree_id)
		return sc_error_make(err, EIO,
				     "after attaching, %s is mount %llu, not the rootfs (%llu)",
				     req->rootfs, top_id, tree_id);
	return 0;
}

static int child_stack(void *arg, sc_error_t *err)
{
	struct stack_ctx *c = arg;
	size_t n = sc_strv_len(c->rel);
	if (unshare(CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "creating a scratch mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sc_error_make_errno(err, "making the scratch mount namespace private");
	cleanup_close int scratch = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (scratch < 0)
		return sc_error_make_errno(err, "opening the scratch mount namespace");
	cleanup_close int tree = sc_inject_open_rootfs_copy(c->req->overlay_path, err);
	if (tree < 0)
		return -1;
	cleanup_fdv struct sc_fdv clones = {0};
	sc_fdv_init(&clones, n);
	cleanup_free bool *is_dir = sc_xzalloc((n + 1) * sizeof(bool));
	if (setns(c->req->pidfd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "entering the container's mount namespace");
	cleanup_close int croot =
	    sc_open_resolved(AT_FDCWD, c->req->rootfs, O_PATH | O_DIRECTORY,
			     RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
	if (croot < 0 || sc_inject_clone_mounts(croot, c->rel, &clones, is_dir, err) < 0)
		return -1;
	if (setns(scratch, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "returning to the scratch mount namespace");
	if (sc_inject_attach_clones(tree, c->rel, &clones, is_dir, err) < 0)
		return -1;
	cleanup_close int full =
	    open_tree(tree, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (full < 0)
		return sc_error_make_errno(err, "cloning the finished rootfs tree");
	return attach_tree(c->req, full, err);
}

/* From the host: the rootfs path's top is our overlay, nodev, suid allowed,
 * not shared, and carries every re-attached path. */
static int verify(const struct sc_prepivot_request *req, char *const *rel, sc_error_t *err)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_inject_read_mountinfo(req->pid, req->pidfd, &mi, err) < 0)
		return -1;
	const struct sc_mount *top = sc_mountinfo_find(&mi, req->rootfs);
	if (top == NULL || !sc_inject_is_our_overlay(top, req->upperdir))
		return sc_error_make(err, EIO, "the rootfs is not stacked on %s", req->rootfs);
	if (!sc_mount_has_option(top, "nodev") || sc_mount_has_option(top, "nosuid"))
		return sc_error_make(err, EIO, "the stacked rootfs lacks nodev or has nosuid");
	if (sc_mount_shared_group(top) != 0)
		return sc_error_make(err, EIO, "the stacked rootfs is shared, not private");
	for (size_t i = 0; rel[i] != NULL; i++) {
		cleanup_free char *want = sc_xasprintf("%s%s", req->rootfs, rel[i]);
		const struct sc_mount *m = sc_mountinfo_find(&mi, want);
		const struct sc_mount *p = m;
		for (size_t depth = 0; p != NULL && p != top && depth < 64; depth++)
			p = sc_mountinfo_by_id(&mi, p->parent_id);
		if (m == NULL || p != top)
			return sc_error_make(err, EIO, "%s is not mounted on the stacked rootfs",
					     rel[i]);
	}
	return 0;
}

int sc_stack_before_pivot(const struct sc_prepivot_request *req, struct sc_prepivot_result *res,
			  sc_error_t *err)
{
	memset(res, 0, sizeof(*res));
	if (req->pid <= 0 || req->pidfd < 0)
		return sc_error_make(err, EINVAL, "stack: no target process");
	if (sc_validate_abs_path("container rootfs", req->rootfs, err) < 0 ||
	    sc_validate_abs_path("overlay path", req->overlay_path, err) < 0 ||
	    sc_validate_abs_path("overlay upperdir", req->upperdir, err) < 0)
		return -1;
	if (strcmp(req->rootfs, "/") == 0)
		return sc_error_make(err, EINVAL, "the container's rootfs cannot be /");
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_inject_read_mountinfo(req->pid, req->pidfd, &mi, err) < 0)
		return sc_error_wrap(err, "reading the container's mounts");
	const struct sc_mount *top = sc_mountinfo_find(&mi, req->rootfs);
	if (top == NULL)
		return sc_error_make(err, ENOENT,
				     "%s is not a mount point in process %d (a runtime bind-mounts "
				     "the rootfs on itself before its hooks)",
				     req->rootfs, (int)req->pid);
	if (sc_inject_is_our_overlay(top, req->upperdir)) {
		cleanup_strv char **have = direct_children(&mi, top, req->rootfs, err);
		if (have == NULL || verify(req, have, err) < 0)
			return sc_error_wrap(err, "checking the rootfs stacked earlier");
		res->already = true;
		res->attached = sc_xzalloc(sizeof(char *));
		return 0;
	}
	if (sc_mount_shared_group(top) != 0)
		return sc_error_make(err, EPERM,
				     "the container's rootfs mount is shared (peer group %d); "
				     "refusing to stack on it",
				     sc_mount_shared_group(top));
	cleanup_strv char **rel = direct_children(&mi, top, req->rootfs, err);
	if (rel == NULL)
		return -1;
	struct stack_ctx ctx = {.req = req, .rel = rel};
	int timeout = req->timeout_ms > 0 ? req->timeout_ms : 30000;
	if (sc_run_in_child(child_stack, &ctx, timeout, err) < 0)
		return sc_error_wrap(err, "stacking the rootfs on %s of process %d", req->rootfs,
				     (int)req->pid);
	if (verify(req, rel, err) < 0)
		return sc_error_wrap(err, "verifying the rootfs of process %d", (int)req->pid);
	res->attached = steal_pointer(&rel);
	return 0;
}
