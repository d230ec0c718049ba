/* Unit tests of the mountinfo parser on saved files (test/unit/data/mountinfo/)
 * and on hand-made malformed input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sc-buf.h"
#include "node/sc-mountinfo.h"
#include "sc-test.h"

#define SNAP "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots"

static void load(const char *name, struct sc_mountinfo *mi)
{
	cleanup_free char *path = sc_xasprintf("%s/mountinfo/%s", SC_TEST_DATA, name);
	cleanup_error sc_error_t err = NULL;
	if (sc_mountinfo_read(path, mi, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
}

static int parse_str(const char *s, struct sc_mountinfo *mi, sc_error_t *err)
{
	return sc_mountinfo_parse(s, strlen(s), mi, err);
}

SC_TEST(runc_container_all_fields)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("runc-cgroupfs-v1-relative-lowerdir.mountinfo", &mi);
	SC_ASSERT_INT_EQ(mi.n, 26);
	const struct sc_mount *root = sc_mountinfo_find(&mi, "/");
	SC_ASSERT(root != NULL);
	SC_ASSERT_INT_EQ(root->id, 94);
	SC_ASSERT_INT_EQ(root->parent_id, 70);
	SC_ASSERT_INT_EQ(root->major, 0);
	SC_ASSERT_INT_EQ(root->minor, 41);
	SC_ASSERT_STR_EQ(root->root, "/");
	SC_ASSERT_STR_EQ(root->fstype, "overlay");
	SC_ASSERT_STR_EQ(root->source, "overlay");
	SC_ASSERT(sc_mount_has_option(root, "rw"));
	SC_ASSERT(sc_mount_has_option(root, "relatime"));
	SC_ASSERT(!sc_mount_has_option(root, "nosuid"));
	SC_ASSERT(sc_mount_has_super_option(root, "uuid=on"));
	SC_ASSERT_STR_EQ(sc_mount_super_option(root, "lowerdir"), "2/fs:1/fs");
	SC_ASSERT_INT_EQ(sc_strv_len(root->optional), 0);

	const struct sc_mount *hosts = sc_mountinfo_find(&mi, "/etc/hosts");
	SC_ASSERT(hosts != NULL);
	SC_ASSERT_STR_EQ(hosts->root, "/etc/hosts");
	SC_ASSERT_INT_EQ(hosts->major, 254);
	SC_ASSERT(sc_mount_has_option(hosts, "ro"));
	/* masked paths are binds of the container's /dev/null */
	const struct sc_mount *keys = sc_mountinfo_find(&mi, "/proc/keys");
	SC_ASSERT(keys != NULL);
	SC_ASSERT_STR_EQ(keys->root, "/null");
	SC_ASSERT_INT_EQ(keys->parent_id, 95);
}

SC_TEST(runc_relative_lowerdir_resolved_against_snapshots)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("runc-cgroupfs-v1-relative-lowerdir.mountinfo", &mi);
	cleanup_error sc_error_t err = NULL;
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(sc_mountinfo_find(&mi, "/"), &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 2);
	SC_ASSERT_STR_EQ(l.lowerdirs[0], "/tmp/scx/ctr/snapshots/2/fs");
	SC_ASSERT_STR_EQ(l.lowerdirs[1], "/tmp/scx/ctr/snapshots/1/fs");
	SC_ASSERT_STR_EQ(l.upperdir, "/tmp/scx/ctr/snapshots/3/fs");
	SC_ASSERT_STR_EQ(l.workdir, "/tmp/scx/ctr/snapshots/3/work");
}

SC_TEST(containerd_deep_image_thirty_relative_layers)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("containerd16-deep-image-relative.mountinfo", &mi);
	const struct sc_mount *root = sc_mountinfo_find(&mi, "/");
	SC_ASSERT(root != NULL);
	SC_ASSERT_STR_EQ(root->optional[0], "master:612");
	SC_ASSERT_INT_EQ(sc_mount_shared_group(root), 0);
	cleanup_error sc_error_t err = NULL;
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(root, &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 30);
	SC_ASSERT_STR_EQ(l.lowerdirs[0], SNAP "/131/fs");
	SC_ASSERT_STR_EQ(l.lowerdirs[29], SNAP "/102/fs");
	SC_ASSERT_STR_EQ(l.upperdir, SNAP "/132/fs");
	/* kubelet's mounts are all there */
	SC_ASSERT(sc_mountinfo_find(&mi, "/etc/resolv.conf") != NULL);
	SC_ASSERT(sc_mountinfo_find(&mi, "/etc/hostname") != NULL);
	SC_ASSERT(sc_mountinfo_find(&mi, "/dev/termination-log") != NULL);
	SC_ASSERT(sc_mountinfo_find(&mi, "/var/run/secrets/kubernetes.io/serviceaccount") != NULL);
	SC_ASSERT_STR_EQ(sc_mountinfo_find(&mi, "/proc/kcore")->root, "/null");
}

SC_TEST(absolute_layers_and_escaped_mount_point)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("containerd-systemd-v2-absolute.mountinfo", &mi);
	cleanup_error sc_error_t err = NULL;
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(sc_mountinfo_find(&mi, "/"), &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 3);
	SC_ASSERT_STR_EQ(l.lowerdirs[2], SNAP "/56/fs");
	const struct sc_mount *v = sc_mountinfo_find(&mi, "/my volume");
	SC_ASSERT(v != NULL);
	SC_ASSERT_STR_CONTAINS(v->root, "empty-dir/my dir");
	SC_ASSERT_STR_EQ(sc_mountinfo_find(&mi, "/sys/fs/cgroup")->fstype, "cgroup2");
}

/* Recorded by hack/cluster/containerd2-smoke.sh: containerd v2.2.9, runc 1.1.5,
 * 'ctr run' on the overlayfs snapshotter, kernel 6.18 (the smoke's root
 * replaced by /var/lib/containerd). A 3-layer image: the legacy "lowerdir="
 * with absolute layers, no lowerdir+, and containerd's index=off not shown. */
SC_TEST(containerd2_absolute_layers)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("containerd2-2.2.9-runc.mountinfo", &mi);
	SC_ASSERT_INT_EQ(mi.n, 17);
	const struct sc_mount *root = sc_mountinfo_find(&mi, "/");
	SC_ASSERT(root != NULL);
	SC_ASSERT_STR_EQ(root->fstype, "overlay");
	SC_ASSERT_STR_EQ(root->source, "overlay");
	SC_ASSERT_INT_EQ(sc_strv_len(root->optional), 0);
	SC_ASSERT(sc_mount_super_option(root, "lowerdir+") == NULL);
	SC_ASSERT(sc_mount_has_super_option(root, "uuid=on"));
	SC_ASSERT(sc_mount_super_option(root, "index") == NULL);
	SC_ASSERT(sc_str_has_prefix(sc_mount_super_option(root, "lowerdir"), SNAP "/3/fs:"));
	cleanup_error sc_error_t err = NULL;
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(root, &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 3);
	SC_ASSERT_STR_EQ(l.lowerdirs[0], SNAP "/3/fs");
	SC_ASSERT_STR_EQ(l.lowerdirs[1], SNAP "/2/fs");
	SC_ASSERT_STR_EQ(l.lowerdirs[2], SNAP "/1/fs");
	SC_ASSERT_STR_EQ(l.upperdir, SNAP "/61/fs");
	SC_ASSERT_STR_EQ(l.workdir, SNAP "/61/work");
	/* ctr's default spec: a /run tmpfs, no /sys/fs/cgroup mount */
	SC_ASSERT_STR_EQ(sc_mountinfo_find(&mi, "/run")->fstype, "tmpfs");
	SC_ASSERT(sc_mountinfo_find(&mi, "/sys/fs/cgroup") == NULL);
	SC_ASSERT_STR_EQ(sc_mountinfo_find(&mi, "/proc/keys")->root, "/null");
}

/* The same run, a 60-layer image: containerd 2.x still passes the layers
 * relative to the snapshots directory when the options would not fit in a
 * page less 512 bytes. */
SC_TEST(containerd2_deep_image_relative_layers)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("containerd2-2.2.9-runc-deep-relative.mountinfo", &mi);
	const struct sc_mount *root = sc_mountinfo_find(&mi, "/");
	SC_ASSERT(root != NULL);
	SC_ASSERT(sc_str_has_prefix(sc_mount_super_option(root, "lowerdir"), "60/fs:59/fs:"));
	cleanup_error sc_error_t err = NULL;
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(root, &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 60);
	for (size_t i = 0; i < 60; i++) {
		cleanup_free char *want = sc_xasprintf(SNAP "/%zu/fs", 60 - i);
		SC_ASSERT_STR_EQ(l.lowerdirs[i], want);
	}
	SC_ASSERT_STR_EQ(l.upperdir, SNAP "/62/fs");
	SC_ASSERT_STR_EQ(l.workdir, SNAP "/62/work");
}

SC_TEST(new_api_lowerdir_plus_with_escapes)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("newapi-lowerdir-plus.mountinfo", &mi);
	const char *mp =
	    "/var/lib/stoppablecontainer/default/dev/3d4c5b6a-7988-4a1b-9c2d-3e4f5a6b7c8d/rootfs";
	const struct sc_mount *m = sc_mountinfo_find(&mi, mp);
	SC_ASSERT(m != NULL);
	SC_ASSERT_INT_EQ(sc_mount_shared_group(m), 40);
	SC_ASSERT(sc_mount_has_option(m, "nosuid"));
	SC_ASSERT(sc_mount_has_option(m, "nodev"));
	cleanup_error sc_error_t err = NULL;
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(m, &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 2);
	SC_ASSERT_STR_EQ(l.lowerdirs[0], SNAP "/9/fs");
	/* with lowerdir+ a ':' is part of the path, and the comma was \054 */
	SC_ASSERT_STR_EQ(l.lowerdirs[1], "/opt/layers/with,comma:and space");
	SC_ASSERT_STR_CONTAINS(l.upperdir, "/upper");
}

SC_TEST(stacked_root_after_injection)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("consumer-after-injection.mountinfo", &mi);
	const struct sc_mount *old = sc_mountinfo_by_id(&mi, 90);
	SC_ASSERT(old != NULL);
	const struct sc_mount *top = sc_mountinfo_stacked_on(&mi, old);
	SC_ASSERT(top != NULL);
	SC_ASSERT_INT_EQ(top->id, 120);
	/* the topmost "/" is the stacked one, and its /proc the new clone */
	SC_ASSERT_INT_EQ(sc_mountinfo_find(&mi, "/")->id, 120);
	SC_ASSERT(sc_mountinfo_stacked_on(&mi, top) == NULL);
}

SC_TEST(host_file_parses)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("host-debian12-cgroupv1.mountinfo", &mi);
	SC_ASSERT(mi.n >= 10);
	SC_ASSERT_STR_EQ(sc_mountinfo_find(&mi, "/")->fstype, "ext4");
	SC_ASSERT_STR_EQ(sc_mountinfo_find(&mi, "/sys/fs/cgroup/unified")->fstype, "cgroup2");
	/* /dev/pts is mounted twice; the top one is the later, stacked mount */
	SC_ASSERT_INT_EQ(sc_mountinfo_find(&mi, "/dev/pts")->id, 29);
}

SC_TEST(node_with_kubelet_and_nsfs)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("node-kubelet-containerd-nsfs.mountinfo", &mi);
	size_t nsfs = 0;
	for (size_t i = 0; i < mi.n; i++) {
		if (strcmp(mi.mounts[i].fstype, "nsfs") == 0) {
			nsfs++;
			SC_ASSERT(sc_str_has_prefix(mi.mounts[i].root, "net:["));
		}
	}
	SC_ASSERT(nsfs >= 1);
}

SC_TEST(unescape_rules)
{
	cleanup_free char *a = sc_mountinfo_unescape("a\\040b\\011c\\134", 15);
	SC_ASSERT_STR_EQ(a, "a b\tc\\");
	SC_ASSERT(sc_mountinfo_unescape("a\\04", 4) == NULL);
	SC_ASSERT(sc_mountinfo_unescape("a\\000b", 6) == NULL);
	SC_ASSERT(sc_mountinfo_unescape("a\\08x", 5) == NULL);
	SC_ASSERT(sc_mountinfo_unescape("\\", 1) == NULL);
}

SC_TEST(malformed_lines_are_refused_with_line_number)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"1 2 0:1 / / rw - ext4 /dev/sda rw\n36 1 0:2 / /x rw ext4 x rw\n", "line 2: no \"-\""},
	    {"x 2 0:1 / / rw - ext4 /dev/sda rw\n", "bad mount ID"},
	    {"-1 2 0:1 / / rw - ext4 /dev/sda rw\n", "bad mount ID"},
	    {"1 2 01 / / rw - ext4 /dev/sda rw\n", "major:minor"},
	    {"1 2 0:1x / / rw - ext4 /dev/sda rw\n", "major:minor"},
	    {"1 2 0:1 / rel rw - ext4 /dev/sda rw\n", "mount point must be absolute"},
	    {"1 2 0:1 / /a\\9 rw - ext4 /dev/sda rw\n", "escape"},
	    {"1 2 0:1 / / rw - ext4 /dev/sda\n", "expected 3 fields"},
	    {"1 2 0:1 / / rw - ext4 /dev/sda rw extra\n", "expected 3 fields"},
	    {"1 2 0:1 /  / rw - ext4 /dev/sda rw\n", "empty field"},
	    {"1 2 0:1 / / rw -\n", "expected 3 fields"},
	    {"99999999999 2 0:1 / / rw - ext4 /dev/sda rw\n", "bad mount ID"},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		struct sc_mountinfo mi = {0};
		cleanup_error sc_error_t err = NULL;
		if (parse_str(cases[i].text, &mi, &err) == 0)
			sc_test_fail(__FILE__, __LINE__, "case %zu parsed", i);
		SC_ASSERT_INT_EQ(err->code, EINVAL);
		SC_ASSERT_STR_CONTAINS(err->message, cases[i].msg);
		SC_ASSERT(mi.mounts == NULL && mi.n == 0);
	}
}

SC_TEST(empty_super_options_and_no_trailing_newline)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(parse_str("5 1 0:3 / /x rw shared:2 master:3 - tmpfs none ", &mi, &err),
			 0);
	SC_ASSERT_INT_EQ(mi.n, 1);
	SC_ASSERT_INT_EQ(sc_strv_len(mi.mounts[0].super_options), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(mi.mounts[0].optional), 2);
	SC_ASSERT_INT_EQ(sc_mount_shared_group(&mi.mounts[0]), 2);
}

SC_TEST(caps_are_enforced)
{
	/* a line longer than the cap */
	size_t n = SC_MOUNTINFO_MAX_LINE + 10;
	cleanup_free char *big = sc_xmalloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	struct sc_mountinfo mi = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(parse_str(big, &mi, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
	sc_error_release(&err);
	/* too many optional fields */
	cleanup_buf struct sc_buf b = SC_BUF_INIT(1 << 20);
	sc_buf_append_str(&b, "1 0 0:1 / / rw", &err);
	for (int i = 0; i < 100; i++)
		sc_buf_printf(&b, &err, " shared:%d", i + 1);
	sc_buf_append_str(&b, " - ext4 x rw\n", &err);
	SC_ASSERT(err == NULL);
	SC_ASSERT_INT_EQ(parse_str(b.data, &mi, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "too many fields");
	/* NUL inside */
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_mountinfo_parse("1 0 0:1 /\0 / rw - a b c\n", 24, &mi, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "NUL");
}

SC_TEST(split_legacy_lowerdir)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_strv char **v = NULL;
	SC_ASSERT_INT_EQ(sc_overlay_split_lowerdir("/a:/b\\:c:/d\\\\e", &v, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(v), 3);
	SC_ASSERT_STR_EQ(v[0], "/a");
	SC_ASSERT_STR_EQ(v[1], "/b:c");
	SC_ASSERT_STR_EQ(v[2], "/d\\e");
	char **w = NULL;
	SC_ASSERT_INT_EQ(sc_overlay_split_lowerdir("/a::/b", &w, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "empty layer");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_overlay_split_lowerdir("/a:", &w, &err), -1);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_overlay_split_lowerdir("/a\\", &w, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "lone backslash");
}

static int layers_of(const char *super, struct sc_overlay_layers *l, sc_error_t *err)
{
	cleanup_free char *line = sc_xasprintf("1 0 0:1 / / rw - overlay overlay rw,%s\n", super);
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (parse_str(line, &mi, err) < 0)
		return -1;
	return sc_mount_overlay_layers(&mi.mounts[0], l, err);
}

SC_TEST(relative_lowerdir_cannot_escape_snapshots)
{
	static const struct {
		const char *super;
		const char *msg;
	} bad[] = {
	    {"lowerdir=../../etc/fs,upperdir=/s/snapshots/3/fs,workdir=/s/snapshots/3/work",
	     "not a plain path"},
	    {"lowerdir=1/../../x,upperdir=/s/snapshots/3/fs,workdir=/s/snapshots/3/work",
	     "not a plain path"},
	    {"lowerdir=./1/fs,upperdir=/s/snapshots/3/fs,workdir=/s/snapshots/3/work",
	     "not a plain path"},
	    {"lowerdir=1//fs,upperdir=/s/snapshots/3/fs,workdir=/s/snapshots/3/work",
	     "not a plain path"},
	    {"lowerdir=1/fs", "no upperdir"},
	    {"lowerdir=1/fs,upperdir=/s/upper,workdir=/s/work", "is not <snapshots>/<id>/fs"},
	    {"lowerdir=1/fs,upperdir=/3/fs,workdir=/3/work", "is not <snapshots>/<id>/fs"},
	    {"lowerdir=1/fs,upperdir=/s/x3/fs,workdir=/s/3/work", "is not <snapshots>/<id>/fs"},
	    {"lowerdir=/a/../b,upperdir=/s/3/fs,workdir=/s/3/work", "lowerdir"},
	    {"lowerdir=/a,upperdir=rel/3/fs,workdir=/s/3/work", "upperdir"},
	    {"lowerdir=/a,upperdir=/s/3/fs", "must come together"},
	    {"upperdir=/s/3/fs,workdir=/s/3/work", "no lowerdir"},
	    {"lowerdir=/a,lowerdir+=/b", "both"},
	    {"lowerdir+=/a,datadir+=/b", "data-only"},
	    {"lowerdir=/a,lowerdir=/b", "more than once"},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		cleanup_overlay_layers struct sc_overlay_layers l = {0};
		cleanup_error sc_error_t err = NULL;
		if (layers_of(bad[i].super, &l, &err) == 0)
			sc_test_fail(__FILE__, __LINE__, "case %zu (%s) accepted", i, bad[i].super);
		SC_ASSERT_STR_CONTAINS(err->message, bad[i].msg);
	}
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(layers_of("lowerdir=12/fs:1/fs,upperdir=/s/snapshots/300/fs,workdir=/s/"
				   "snapshots/300/work",
				   &l, &err),
			 0);
	SC_ASSERT_STR_EQ(l.lowerdirs[0], "/s/snapshots/12/fs");
	SC_ASSERT_STR_EQ(l.lowerdirs[1], "/s/snapshots/1/fs");
}

SC_TEST(classic_overlay_layers_are_relative_to_an_absolute_source)
{
	/* Our own overlays mounted with the classic option (kernels before
	 * 6.8) name the layers' common directory as the source. */
	static const char line[] =
	    "7 1 0:9 / /var/lib/sc/ns/n/u/rootfs rw,nosuid,nodev,noexec - overlay "
	    "/var/lib/ctd/snapshots rw,lowerdir=12/fs:1/fs,upperdir=/var/lib/sc/ns/n/u/upper,"
	    "workdir=/var/lib/sc/ns/n/u/work,index=off\n";
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(parse_str(line, &mi, &err), 0);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(&mi.mounts[0], &l, &err), 0);
	SC_ASSERT_INT_EQ(sc_strv_len(l.lowerdirs), 2);
	SC_ASSERT_STR_EQ(l.lowerdirs[0], "/var/lib/ctd/snapshots/12/fs");
	SC_ASSERT_STR_EQ(l.lowerdirs[1], "/var/lib/ctd/snapshots/1/fs");
	/* the source "/" (layers with nothing in common) */
	cleanup_mountinfo struct sc_mountinfo root = {0};
	SC_ASSERT_INT_EQ(parse_str("7 1 0:9 / /t rw - overlay / rw,lowerdir=a/fs:b,upperdir=/u,"
				   "workdir=/w\n",
				   &root, &err),
			 0);
	cleanup_overlay_layers struct sc_overlay_layers r = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(&root.mounts[0], &r, &err), 0);
	SC_ASSERT_STR_EQ(r.lowerdirs[0], "/a/fs");
	SC_ASSERT_STR_EQ(r.lowerdirs[1], "/b");
	/* the source does not let a layer escape: still no ".." */
	cleanup_mountinfo struct sc_mountinfo esc = {0};
	SC_ASSERT_INT_EQ(parse_str("7 1 0:9 / /t rw - overlay /s rw,lowerdir=../etc,upperdir=/u,"
				   "workdir=/w\n",
				   &esc, &err),
			 0);
	cleanup_overlay_layers struct sc_overlay_layers e = {0};
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(&esc.mounts[0], &e, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "not a plain path");
}

SC_TEST(not_an_overlay)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("host-debian12-cgroupv1.mountinfo", &mi);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_mount_overlay_layers(sc_mountinfo_find(&mi, "/"), &l, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "not overlay");
}

SC_TEST(find_missing_returns_null)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	load("host-debian12-cgroupv1.mountinfo", &mi);
	SC_ASSERT(sc_mountinfo_find(&mi, "/nope") == NULL);
	SC_ASSERT(sc_mountinfo_by_id(&mi, 123456) == NULL);
}

int main(void)
{
	return sc_test_run();
}
