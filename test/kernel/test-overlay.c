/* Real-kernel tests of the instance overlay: build from several lower layers,
 * remount over new lower directories keeping the upper's data, re-adoption,
 * and why index=off is required. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/sc-kernel.h"
#include "node/sc-mountinfo.h"
#include "node/sc-overlay.h"
#include "sc-ktest.h"
#include "sc-test.h"

struct env {
	char *layers[4];
	char *upper, *work, *target;
};

/* Three layers: l1 (top) shadows l2 and l3. */
static void make_env(struct env *e, const char *name)
{
	cleanup_free char *base = sc_xasprintf("%s", name);
	char *root = sc_ktest_mkdir(base);
	for (int i = 0; i < 3; i++) {
		e->layers[i] = sc_xasprintf("%s/layers-a/l%d", root, i + 1);
		SC_ASSERT_INT_EQ(
		    sc_ktest_sh("mkdir -p '%1$s/etc' '%1$s/dir' && echo layer%2$d > "
				"'%1$s/etc/version' && echo only%2$d > '%1$s/only%2$d' "
				"&& echo in-dir%2$d > '%1$s/dir/f%2$d'",
				e->layers[i], i + 1),
		    0);
	}
	e->layers[3] = NULL;
	e->upper = sc_xasprintf("%s/upper", root);
	e->work = sc_xasprintf("%s/work", root);
	e->target = sc_xasprintf("%s/rootfs", root);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' '%s' '%s'", e->upper, e->work, e->target), 0);
	free(root);
}

static void free_env(struct env *e)
{
	umount2(e->target, MNT_DETACH);
	for (int i = 0; i < 3; i++)
		free(e->layers[i]);
	free(e->upper);
	free(e->work);
	free(e->target);
}

static struct sc_overlay_spec spec_of(struct env *e)
{
	struct sc_overlay_spec s = {
	    .lowerdirs = e->layers, .upperdir = e->upper, .workdir = e->work, .target = e->target};
	return s;
}

static char *read_in(const char *dir, const char *rel)
{
	cleanup_free char *p = sc_xasprintf("%s/%s", dir, rel);
	return sc_ktest_read(p);
}

#define must(call, errp)                                                                   \
	do {                                                                               \
		if ((call) < 0)                                                            \
			sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(*(errp))); \
	} while (0)

SC_TEST(build_from_three_layers)
{
	struct env e;
	make_env(&e, "ovl-build");
	struct sc_overlay_spec s = spec_of(&e);
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	cleanup_free char *v = read_in(e.target, "etc/version");
	SC_ASSERT_STR_EQ(v, "layer1\n"); /* the top layer wins */
	for (int i = 1; i <= 3; i++) {
		cleanup_free char *rel = sc_xasprintf("only%d", i);
		cleanup_free char *want = sc_xasprintf("only%d\n", i);
		cleanup_free char *got = read_in(e.target, rel);
		SC_ASSERT_STR_EQ(got, want);
	}
	/* a write lands in the upper, not in a layer */
	cleanup_free char *nf = sc_xasprintf("%s/new-file", e.target);
	sc_ktest_write(nf, "written\n");
	cleanup_free char *in_upper = read_in(e.upper, "new-file");
	SC_ASSERT_STR_EQ(in_upper, "written\n");
	cleanup_free char *in_l1 = sc_xasprintf("%s/new-file", e.layers[0]);
	SC_ASSERT(!sc_ktest_exists(in_l1));
	/* mountinfo: our options, one lowerdir+ per layer */
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &mi, &err), &err);
	const struct sc_mount *m = sc_mountinfo_find(&mi, e.target);
	SC_ASSERT(m != NULL);
	SC_ASSERT(sc_mount_has_option(m, "nosuid"));
	SC_ASSERT(sc_mount_has_option(m, "nodev"));
	SC_ASSERT(sc_mount_has_option(m, "noexec"));
	SC_ASSERT_INT_EQ(sc_mount_shared_group(m), 0);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	must(sc_mount_overlay_layers(m, &l, &err), &err);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 3);
	SC_ASSERT_STR_EQ(l.lowerdirs[2], e.layers[2]);
	SC_ASSERT_STR_EQ(l.upperdir, e.upper);
	/* and the kernel's view of the options we set */
	const char *index = sc_mount_super_option(m, "index");
	SC_ASSERT(index == NULL || strcmp(index, "off") == 0);
	free_env(&e);
}

SC_TEST(fifty_layers_with_long_paths)
{
	/* 50 layers of ~150-byte paths: about 7.5 KiB of lowerdir, more than
	 * a page. lowerdir+ has no limit; the classic option carries them as
	 * paths relative to their common directory (about 3.2 KiB). */
	char *root = sc_ktest_mkdir("ovl-fifty");
	char *layers[51];
	const char *longname = "a-rather-long-directory-name-to-make-the-option-string-big";
	for (int i = 0; i < 50; i++) {
		layers[i] = sc_xasprintf("%s/%s/%s-%02d", root, longname, longname, i);
		SC_ASSERT_INT_EQ(
		    sc_ktest_sh("mkdir -p '%1$s' && echo %2$d > '%1$s/layer-%2$d'", layers[i], i),
		    0);
	}
	layers[50] = NULL;
	cleanup_free char *upper = sc_xasprintf("%s/upper", root);
	cleanup_free char *work = sc_xasprintf("%s/work", root);
	cleanup_free char *target = sc_xasprintf("%s/rootfs", root);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' '%s' '%s'", upper, work, target), 0);
	struct sc_overlay_spec s = {
	    .lowerdirs = layers, .upperdir = upper, .workdir = work, .target = target};
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	cleanup_free char *f0 = read_in(target, "layer-0");
	cleanup_free char *f49 = read_in(target, "layer-49");
	SC_ASSERT_STR_EQ(f0, "0\n");
	SC_ASSERT_STR_EQ(f49, "49\n");
	enum sc_overlay_state st;
	must(sc_overlay_inspect(&s, &st, &err), &err);
	SC_ASSERT_INT_EQ(st, SC_OVERLAY_CURRENT);
	umount2(target, MNT_DETACH);
	for (int i = 0; i < 50; i++)
		free(layers[i]);
	free(root);
}

/* Where the layers live in mountinfo: absolute lowerdir+ options, or (classic)
 * paths relative to their common directory, which is the mount's source. */
SC_TEST(mountinfo_shows_the_layers_as_mounted)
{
	struct env e;
	make_env(&e, "ovl-shape");
	struct sc_overlay_spec s = spec_of(&e);
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &mi, &err), &err);
	const struct sc_mount *m = sc_mountinfo_find(&mi, e.target);
	SC_ASSERT(m != NULL);
	if (sc_kernel_overlay_fd_layers()) {
		SC_ASSERT(sc_mount_super_option(m, "lowerdir") == NULL);
	} else {
		cleanup_free char *base = sc_xasprintf("%s/ovl-shape/layers-a", sc_ktest_dir);
		SC_ASSERT_STR_EQ(m->source, base);
		SC_ASSERT_STR_EQ(sc_mount_super_option(m, "lowerdir"), "l1:l2:l3");
	}
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	must(sc_mount_overlay_layers(m, &l, &err), &err);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 3);
	for (int i = 0; i < 3; i++)
		SC_ASSERT_STR_EQ(l.lowerdirs[i], e.layers[i]);
	free_env(&e);
}

/* containerd's snapshots: "<snapshots>/<id>/fs", top layer first. */
static char **snapshot_layers(const char *root, int first, int n)
{
	char **v = sc_xzalloc((size_t)(n + 1) * sizeof(char *));
	for (int i = 0; i < n; i++) {
		v[i] = sc_xasprintf("%s/snapshots/%d/fs", root, first + n - 1 - i);
		SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s' && echo %2$d > '%1$s/layer-%2$d'",
					     v[i], first + n - 1 - i),
				 0);
	}
	return v;
}

SC_TEST(hundred_twenty_layers_of_containerd_snapshots)
{
	char *root = sc_ktest_mkdir("ovl-120");
	cleanup_strv char **a = snapshot_layers(root, 1, 120);
	cleanup_free char *upper = sc_xasprintf("%s/upper", root);
	cleanup_free char *work = sc_xasprintf("%s/work", root);
	cleanup_free char *target = sc_xasprintf("%s/rootfs", root);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' '%s' '%s'", upper, work, target), 0);
	struct sc_overlay_spec s = {
	    .lowerdirs = a, .upperdir = upper, .workdir = work, .target = target};
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	cleanup_free char *bottom = read_in(target, "layer-1");
	cleanup_free char *top = read_in(target, "layer-120");
	SC_ASSERT_STR_EQ(bottom, "1\n");
	SC_ASSERT_STR_EQ(top, "120\n");
	enum sc_overlay_state st;
	must(sc_overlay_inspect(&s, &st, &err), &err);
	SC_ASSERT_INT_EQ(st, SC_OVERLAY_CURRENT);
	/* the same image unpacked again under other snapshot IDs: stale, and
	 * remounted over them */
	cleanup_strv char **b = snapshot_layers(root, 201, 120);
	s.lowerdirs = b;
	must(sc_overlay_inspect(&s, &st, &err), &err);
	SC_ASSERT_INT_EQ(st, SC_OVERLAY_STALE);
	must(sc_overlay_ensure(&s, NULL, &err), &err);
	cleanup_free char *top2 = read_in(target, "layer-320");
	SC_ASSERT_STR_EQ(top2, "320\n");
	umount2(target, MNT_DETACH);
	free(root);
}

SC_TEST(classic_option_over_a_page_is_refused_with_a_reason)
{
	/* Layers with nothing in common but "/": the relative form is as
	 * long as the absolute one, more than a page. */
	sc_kernel_force_classic_overlay(true);
	char *root = sc_ktest_mkdir("ovl-page");
	char *layers[41];
	for (int i = 0; i < 40; i++) {
		layers[i] = sc_xasprintf("%s/%03d-%080d", root, i, 0);
		SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s'", layers[i]), 0);
	}
	layers[40] = NULL;
	cleanup_free char *upper = sc_xasprintf("%s/upper", root);
	cleanup_free char *work = sc_xasprintf("%s/work", root);
	cleanup_free char *target = sc_xasprintf("%s/rootfs", root);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' '%s' '%s'", upper, work, target), 0);
	/* ...unless they share a long directory: then each is short */
	struct sc_overlay_spec s = {
	    .lowerdirs = layers, .upperdir = upper, .workdir = work, .target = target};
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	umount2(target, MNT_DETACH);
	char *moved = layers[39];
	layers[39] = sc_xasprintf("%s/other-%0200d/%0200d", sc_ktest_dir, 0, 0);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s'", layers[39]), 0);
	SC_ASSERT_INT_EQ(sc_overlay_mount(&s, &err), -1);
	SC_ASSERT_INT_EQ(err->code, E2BIG);
	SC_ASSERT_STR_CONTAINS(err->message, "40 layers need more than");
	SC_ASSERT_STR_CONTAINS(err->message, "lowerdir+ by fd (Linux 6.13)");
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(target), 0);
	for (int i = 0; i < 40; i++)
		free(layers[i]);
	free(moved);
	free(root);
	sc_kernel_force_classic_overlay(sc_ktest_classic);
}

/* Copy the three layers to new directories (same content, new inodes), as
 * when the provider pod is recreated and the image unpacked again. */
static void new_layers(struct env *e)
{
	for (int i = 0; i < 3; i++) {
		char *n = sc_xasprintf("%s", e->layers[i]);
		char *slash = strstr(n, "/layers-a/");
		SC_ASSERT(slash != NULL);
		memcpy(slash, "/layers-b/", 10);
		SC_ASSERT_INT_EQ(
		    sc_ktest_sh("mkdir -p \"$(dirname '%2$s')\" && cp -a '%1$s' '%2$s'",
				e->layers[i], n),
		    0);
		free(e->layers[i]);
		e->layers[i] = n;
	}
}

SC_TEST(remount_over_new_lower_dirs_keeps_upper_data)
{
	struct env e;
	make_env(&e, "ovl-remount");
	struct sc_overlay_spec s = spec_of(&e);
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	/* every kind of change a user makes: new file, modified lower file
	 * (copy-up), deleted lower file (whiteout), deleted lower directory
	 * (opaque), renamed lower directory (copied up, redirect_dir=off),
	 * a new directory with a file, metadata change. */
	SC_ASSERT_INT_EQ(sc_ktest_sh("set -e; cd '%s'; echo mine > new-file; echo changed > "
				     "etc/version; rm only2; mkdir -p home/user && echo hi > "
				     "home/user/notes; mv dir dir-renamed; chmod 600 only3",
				     e.target),
			 0);
	SC_ASSERT_INT_EQ(umount2(e.target, 0), 0);
	new_layers(&e);
	s = spec_of(&e);
	enum sc_overlay_state st;
	must(sc_overlay_inspect(&s, &st, &err), &err);
	SC_ASSERT_INT_EQ(st, SC_OVERLAY_ABSENT);
	must(sc_overlay_mount(&s, &err), &err);
	cleanup_free char *a = read_in(e.target, "new-file");
	cleanup_free char *b = read_in(e.target, "etc/version");
	cleanup_free char *c = read_in(e.target, "home/user/notes");
	cleanup_free char *d = read_in(e.target, "dir-renamed/f1");
	cleanup_free char *f = read_in(e.target, "only1");
	SC_ASSERT_STR_EQ(a, "mine\n");
	SC_ASSERT_STR_EQ(b, "changed\n");
	SC_ASSERT_STR_EQ(c, "hi\n");
	SC_ASSERT_STR_EQ(d, "in-dir1\n");
	SC_ASSERT_STR_EQ(f, "only1\n"); /* untouched lower file, from the NEW layer */
	cleanup_free char *gone = sc_xasprintf("%s/only2", e.target);
	cleanup_free char *old_dir = sc_xasprintf("%s/dir", e.target);
	SC_ASSERT(!sc_ktest_exists(gone));
	SC_ASSERT(!sc_ktest_exists(old_dir));
	cleanup_free char *o3 = sc_xasprintf("%s/only3", e.target);
	struct stat sb;
	SC_ASSERT_INT_EQ(stat(o3, &sb), 0);
	SC_ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	/* the mount really uses the new layers */
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &mi, &err), &err);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	must(sc_mount_overlay_layers(sc_mountinfo_find(&mi, e.target), &l, &err), &err);
	SC_ASSERT_STR_CONTAINS(l.lowerdirs[0], "/layers-b/");
	free_env(&e);
}

SC_TEST(readopt_and_remount_stale)
{
	struct env e;
	make_env(&e, "ovl-adopt");
	struct sc_overlay_spec s = spec_of(&e);
	cleanup_error sc_error_t err = NULL;
	enum sc_overlay_state before;
	must(sc_overlay_ensure(&s, &before, &err), &err);
	SC_ASSERT_INT_EQ(before, SC_OVERLAY_ABSENT);
	cleanup_free char *nf = sc_xasprintf("%s/kept", e.target);
	sc_ktest_write(nf, "kept\n");
	/* a restarted mount-helper finds its mount and keeps it: still one
	 * mount, the same one */
	cleanup_mountinfo struct sc_mountinfo mi1 = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &mi1, &err), &err);
	int id1 = sc_mountinfo_find(&mi1, e.target)->id;
	must(sc_overlay_ensure(&s, &before, &err), &err);
	SC_ASSERT_INT_EQ(before, SC_OVERLAY_CURRENT);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(e.target), 1);
	cleanup_mountinfo struct sc_mountinfo mi2 = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &mi2, &err), &err);
	SC_ASSERT_INT_EQ(sc_mountinfo_find(&mi2, e.target)->id, id1);
	/* the provider was recreated: new lower paths -> remounted */
	new_layers(&e);
	s = spec_of(&e);
	must(sc_overlay_ensure(&s, &before, &err), &err);
	SC_ASSERT_INT_EQ(before, SC_OVERLAY_STALE);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(e.target), 1);
	cleanup_free char *kept = sc_ktest_read(nf);
	SC_ASSERT_STR_EQ(kept, "kept\n");
	cleanup_mountinfo struct sc_mountinfo mi3 = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &mi3, &err), &err);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	must(sc_mount_overlay_layers(sc_mountinfo_find(&mi3, e.target), &l, &err), &err);
	SC_ASSERT_STR_CONTAINS(l.lowerdirs[0], "/layers-b/");
	SC_ASSERT_INT_EQ(sc_overlay_unmount(e.target, &err), 0);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(e.target), 0);
	free_env(&e);
}

SC_TEST(foreign_mount_at_target_is_not_touched)
{
	struct env e;
	make_env(&e, "ovl-foreign");
	struct sc_overlay_spec s = spec_of(&e);
	SC_ASSERT_INT_EQ(mount("tmpfs", e.target, "tmpfs", 0, NULL), 0);
	cleanup_error sc_error_t err = NULL;
	enum sc_overlay_state before;
	SC_ASSERT_INT_EQ(sc_overlay_ensure(&s, &before, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EEXIST);
	SC_ASSERT_STR_CONTAINS(err->message, "tmpfs");
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(e.target), 1);
	free_env(&e);
}

SC_TEST(symlink_in_a_layer_path_is_refused)
{
	struct env e;
	make_env(&e, "ovl-symlink");
	cleanup_free char *link = sc_xasprintf("%s-link", e.layers[1]);
	SC_ASSERT_INT_EQ(symlink(e.layers[1], link), 0);
	char *saved = e.layers[1];
	e.layers[1] = link;
	struct sc_overlay_spec s = spec_of(&e);
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_overlay_mount(&s, &err), -1);
	SC_ASSERT_INT_EQ(err->code, ELOOP);
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(e.target), 0);
	e.layers[1] = saved;
	free_env(&e);
}

/* Why index=off: with the inode index on, overlayfs stores the identity of
 * the lower layer in the upper and refuses to mount that upper over other
 * lower directories, which is exactly what a recreated provider brings. */
/* A plain overlay mount of e's layers with index=INDEX (the classic option
 * string, which every kernel takes), bypassing sc_overlay_mount's options. */
static int raw_mount(struct env *e, const char *index)
{
	cleanup_free char *data =
	    sc_xasprintf("lowerdir=%s:%s:%s,upperdir=%s,workdir=%s,index=%s", e->layers[0],
			 e->layers[1], e->layers[2], e->upper, e->work, index);
	return mount("overlay", e->target, "overlay", 0, data);
}

SC_TEST(index_on_refuses_new_lower_dirs_which_is_why_we_use_off)
{
	struct env e;
	make_env(&e, "ovl-index");
	SC_ASSERT_INT_EQ(raw_mount(&e, "on"), 0);
	SC_ASSERT_INT_EQ(sc_ktest_sh("echo x > '%s/etc/version'", e.target), 0);
	SC_ASSERT_INT_EQ(umount2(e.target, 0), 0);
	new_layers(&e);
	errno = 0;
	SC_ASSERT_INT_EQ(raw_mount(&e, "on"), -1);
	SC_ASSERT_INT_EQ(errno, ESTALE);
	/* the same upper over the same new layers mounts with index=off */
	struct sc_overlay_spec s = spec_of(&e);
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	cleanup_free char *v = read_in(e.target, "etc/version");
	SC_ASSERT_STR_EQ(v, "x\n");
	free_env(&e);
}

int main(void)
{
	sc_ktest_init();
	return sc_test_run();
}
