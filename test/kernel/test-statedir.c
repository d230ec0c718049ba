/* Real-kernel tests of the state directory: creation, the allow-list, and
 * removal that never follows a planted symlink or crosses a mount. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "node/sc-overlay.h"
#include "node/sc-statedir.h"
#include "sc-ktest.h"
#include "sc-test.h"

#define UID1 "3d4c5b6a-7988-4a1b-9c2d-3e4f5a6b7c8d"
#define UID2 "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static char *prefix;
static char *allowed[2];

static void setup(void)
{
	if (prefix == NULL) {
		prefix = sc_xasprintf("%s/state", sc_ktest_dir);
		allowed[0] = prefix;
	}
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

/* A canary outside the state tree that a buggy removal would destroy. */
static char *make_canary(const char *name)
{
	char *dir = sc_xasprintf("%s/canary-%s", sc_ktest_dir, name);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s/sub' && echo alive > '%1$s/file' && echo "
				     "alive > '%1$s/sub/file'",
				     dir),
			 0);
	return dir;
}

static void assert_canary_alive(const char *dir)
{
	cleanup_free char *f = sc_xasprintf("%s/file", dir);
	cleanup_free char *g = sc_xasprintf("%s/sub/file", dir);
	cleanup_free char *a = sc_ktest_read(f);
	cleanup_free char *b = sc_ktest_read(g);
	SC_ASSERT_STR_EQ(a, "alive\n");
	SC_ASSERT_STR_EQ(b, "alive\n");
}

SC_TEST(create_makes_tree_with_modes)
{
	setup();
	cleanup_error sc_error_t err = NULL;
	cleanup_instance_dir struct sc_instance_dir d = {.fd = -1};
	if (sc_statedir_create(allowed, prefix, "default", "dev", UID1, &d, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	cleanup_free char *want = sc_xasprintf("%s/default/dev/%s", prefix, UID1);
	SC_ASSERT_STR_EQ(d.path, want);
	SC_ASSERT(d.fd >= 0);
	SC_ASSERT_INT_EQ(mode_of(prefix), 0700);
	cleanup_free char *ns = sc_xasprintf("%s/default", prefix);
	SC_ASSERT_INT_EQ(mode_of(ns), 0700);
	SC_ASSERT_INT_EQ(mode_of(d.path), 0700);
	SC_ASSERT_INT_EQ(mode_of(d.upper), 0755);
	SC_ASSERT_INT_EQ(mode_of(d.work), 0700);
	SC_ASSERT_INT_EQ(mode_of(d.rootfs), 0755);
	/* again: opens the same tree */
	cleanup_instance_dir struct sc_instance_dir d2 = {.fd = -1};
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "default", "dev", UID1, &d2, &err), 0);
	SC_ASSERT_INT_EQ(sc_statedir_remove(allowed, prefix, "default", "dev", UID1, &err), 0);
	SC_ASSERT(!sc_ktest_exists(d.path));
	SC_ASSERT(!sc_ktest_exists(ns));
	/* removing again is not an error */
	SC_ASSERT_INT_EQ(sc_statedir_remove(allowed, prefix, "default", "dev", UID1, &err), 0);
}

SC_TEST(prefix_must_be_on_the_allow_list)
{
	setup();
	cleanup_error sc_error_t err = NULL;
	struct sc_instance_dir d;
	cleanup_free char *other = sc_xasprintf("%s/elsewhere", sc_ktest_dir);
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, other, "default", "dev", UID1, &d, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EPERM);
	SC_ASSERT_STR_CONTAINS(err->message, "is not allowed on this node");
	SC_ASSERT_STR_CONTAINS(err->message, prefix);
	SC_ASSERT(!sc_ktest_exists(other));
	sc_error_release(&err);
	/* a sub-directory of an allowed prefix is not the prefix */
	cleanup_free char *sub = sc_xasprintf("%s/sub", prefix);
	SC_ASSERT_INT_EQ(sc_statedir_check_prefix(allowed, sub, &err), -1);
	sc_error_release(&err);
	/* the default list */
	SC_ASSERT_INT_EQ(sc_statedir_check_prefix(NULL, "/var/lib/stoppablecontainer", &err), 0);
	SC_ASSERT_INT_EQ(sc_statedir_check_prefix(NULL, "/var/lib/../etc", &err), -1);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_statedir_check_prefix(NULL, "/var/lib/a,b", &err), -1);
	sc_error_release(&err);
	/* names are validated before they touch a path */
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "..", "dev", UID1, &d, &err), -1);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "default", "a/b", UID1, &d, &err), -1);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "default", "dev", "../../x", &d, &err),
			 -1);
	SC_ASSERT_STR_CONTAINS(err->message, "instance UID");
}

SC_TEST(symlinked_namespace_dir_is_refused)
{
	setup();
	cleanup_free char *canary = make_canary("ns");
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s' && chmod 700 '%1$s' && ln -s '%2$s' "
				     "'%1$s/evil'",
				     prefix, canary),
			 0);
	struct sc_instance_dir d;
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "evil", "dev", UID1, &d, &err), -1);
	SC_ASSERT_INT_EQ(err->code, ELOOP);
	SC_ASSERT_STR_CONTAINS(err->message, "is a symlink");
	cleanup_free char *planted = sc_xasprintf("%s/dev", canary);
	SC_ASSERT(!sc_ktest_exists(planted));
	sc_error_release(&err);
	/* removal through the symlink does nothing outside */
	SC_ASSERT_INT_EQ(sc_statedir_remove(allowed, prefix, "evil", "sub", UID1, &err), -1);
	assert_canary_alive(canary);
	cleanup_free char *link = sc_xasprintf("%s/evil", prefix);
	unlink(link);
}

SC_TEST(removal_never_follows_planted_symlinks)
{
	setup();
	cleanup_free char *canary = make_canary("rm");
	/* What a workload's `ln -s /` would reach, as a root of the test's own
	 * (an absolute target, holding the other canary): a removal that
	 * followed it would empty this, never the machine's /. */
	cleanup_free char *root = make_canary("root");
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s/etc' && echo alive > '%1$s/etc/passwd' && "
				     "ln -s '%2$s' '%1$s/canary'",
				     root, canary),
			 0);
	cleanup_error sc_error_t err = NULL;
	cleanup_instance_dir struct sc_instance_dir d = {.fd = -1};
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "team", "box", UID2, &d, &err), 0);
	/* What a workload could leave in its upper layer: symlinks to the
	 * canary (dir, file, its parent, a root), a hard link to a canary file,
	 * a whiteout, a fifo, a deep tree, unreadable directories. */
	SC_ASSERT_INT_EQ(
	    sc_ktest_sh("set -e; u='%1$s'; c='%2$s'; ln -s \"$c\" $u/to-dir; ln -s \"$c/file\" "
			"$u/to-file; ln -s '%4$s' $u/to-root; ln -s .. $u/to-parent; mkdir -p "
			"$u/a/b/c; ln -s \"$c\" $u/a/b/c/deep-link; ln \"$c/sub/file\" "
			"$u/hardlink; mknod $u/whiteout c 0 0; mkfifo $u/fifo; mkdir $u/locked; "
			"touch $u/locked/x; chmod 000 $u/locked; ln -s \"$c\" $u/work-link; "
			"ln -s \"$c\" '%3$s/in-work'",
			d.upper, canary, d.work, root),
	    0);
	/* 3000 levels deep: more than any fd limit would allow if the walk
	 * held one fd per level */
	int cur = open(d.upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	SC_ASSERT(cur >= 0);
	for (int i = 0; i < 3000; i++) {
		SC_ASSERT_INT_EQ(mkdirat(cur, "d", 0755), 0);
		int next = openat(cur, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		SC_ASSERT(next >= 0);
		cur = next;
	}
	SC_ASSERT_INT_EQ(symlinkat(canary, cur, "bottom-link"), 0);
	close(cur);
	if (sc_statedir_remove(allowed, prefix, "team", "box", UID2, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	SC_ASSERT(!sc_ktest_exists(d.path));
	assert_canary_alive(canary);
	assert_canary_alive(root);
	cleanup_free char *passwd = sc_xasprintf("%s/etc/passwd", root);
	cleanup_free char *pw = sc_ktest_read(passwd);
	SC_ASSERT_STR_EQ(pw, "alive\n");
	cleanup_free char *inner = sc_xasprintf("%s/canary", root);
	struct stat st;
	SC_ASSERT_INT_EQ(lstat(inner, &st), 0);
	SC_ASSERT(S_ISLNK(st.st_mode));
}

SC_TEST(removal_does_not_cross_a_mount)
{
	setup();
	cleanup_error sc_error_t err = NULL;
	cleanup_instance_dir struct sc_instance_dir d = {.fd = -1};
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "team", "mnt", UID1, &d, &err), 0);
	cleanup_free char *canary = make_canary("mnt");
	cleanup_free char *mp = sc_xasprintf("%s/inner", d.upper);
	SC_ASSERT_INT_EQ(mkdir(mp, 0755), 0);
	SC_ASSERT_INT_EQ(mount(canary, mp, NULL, MS_BIND, NULL), 0);
	/* the low-level walk refuses to cross it ... */
	int fd = open(d.upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	SC_ASSERT(fd >= 0);
	int r = sc_remove_tree_contents(fd, d.upper, &err);
	close(fd);
	SC_ASSERT_INT_EQ(r, -1);
	SC_ASSERT_INT_EQ(err->code, EXDEV);
	assert_canary_alive(canary);
	sc_error_release(&err);
	/* ... and the full removal unmounts first, then deletes */
	SC_ASSERT_INT_EQ(sc_statedir_remove(allowed, prefix, "team", "mnt", UID1, &err), 0);
	SC_ASSERT(!sc_ktest_exists(d.path));
	assert_canary_alive(canary);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(d.path), 0);
}

SC_TEST(removal_unmounts_the_live_overlay_first)
{
	setup();
	cleanup_error sc_error_t err = NULL;
	cleanup_instance_dir struct sc_instance_dir d = {.fd = -1};
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "team", "live", UID1, &d, &err), 0);
	cleanup_free char *lower = sc_ktest_mkdir("live-lower");
	SC_ASSERT_INT_EQ(sc_ktest_sh("echo image > '%s/file'", lower), 0);
	char *lowers[] = {lower, NULL};
	struct sc_overlay_spec s = {
	    .lowerdirs = lowers, .upperdir = d.upper, .workdir = d.work, .target = d.rootfs};
	if (sc_overlay_mount(&s, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	SC_ASSERT_INT_EQ(sc_ktest_sh("echo user > '%s/mine' && rm '%s/file'", d.rootfs, d.rootfs),
			 0);
	/* the instance can also be recreated while mounted (rootfs is a mount
	 * point then) */
	cleanup_instance_dir struct sc_instance_dir again = {.fd = -1};
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "team", "live", UID1, &again, &err),
			 0);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(d.path), 1);
	SC_ASSERT_INT_EQ(sc_statedir_remove(allowed, prefix, "team", "live", UID1, &err), 0);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(d.path), 0);
	SC_ASSERT(!sc_ktest_exists(d.path));
	/* the image layer is untouched */
	cleanup_free char *f = sc_xasprintf("%s/file", lower);
	cleanup_free char *c = sc_ktest_read(f);
	SC_ASSERT_STR_EQ(c, "image\n");
}

SC_TEST(foreign_owned_or_writable_dirs_are_refused)
{
	setup();
	cleanup_error sc_error_t err = NULL;
	cleanup_free char *ns = sc_xasprintf("%s/someone", prefix);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s' && chown 1000 '%1$s'", ns), 0);
	struct sc_instance_dir d;
	SC_ASSERT_INT_EQ(sc_statedir_create(allowed, prefix, "someone", "x", UID1, &d, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "owned by UID 1000");
	sc_error_release(&err);
	rmdir(ns);
	/* a world-writable prefix */
	cleanup_free char *wp = sc_xasprintf("%s/open-prefix", sc_ktest_dir);
	char *wallowed[] = {wp, NULL};
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s' && chmod 777 '%1$s'", wp), 0);
	SC_ASSERT_INT_EQ(sc_statedir_create(wallowed, wp, "a", "b", UID1, &d, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "writable by group or others");
	cleanup_free char *made = sc_xasprintf("%s/a", wp);
	SC_ASSERT(!sc_ktest_exists(made));
}

int main(void)
{
	sc_ktest_init();
	return sc_test_run();
}
