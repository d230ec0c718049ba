/* Real-kernel tests of the injection: a fake container (new mount and PID
 * namespaces, its own /proc with masked paths, /dev, /sys, /etc/hosts and a
 * volume) gets the instance's overlay stacked on its root; a NEW process that
 * enters the namespace lands in the rootfs and sees the container's own
 * /proc, /dev and volume. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/sc-inject.h"
#include "node/sc-mountinfo.h"
#include "node/sc-overlay.h"
#include "node/sc-proc.h"
#include "node/sc-syscall.h"
#include "sc-ktest.h"
#include "sc-test.h"

#define must(call, errp)                                                                   \
	do {                                                                               \
		if ((call) < 0)                                                            \
			sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(*(errp))); \
	} while (0)

/* An instance overlay mounted on the host: busybox layer + a data layer. */
static void make_instance(struct sc_ktest_instance *in, const char *name, bool hosts_is_dir)
{
	char *root = sc_ktest_mkdir(name);
	in->lower[0] = sc_xasprintf("%s/layer2", root);
	in->lower[1] = sc_xasprintf("%s/layer1", root);
	in->lower[2] = NULL;
	sc_ktest_make_busybox_layer(in->lower[1]);
	SC_ASSERT_INT_EQ(
	    sc_ktest_sh("mkdir -p '%1$s/usr/share' '%1$s/workdir' && touch '%1$s/sc-rootfs-marker' "
			"&& echo image-data "
			"> '%1$s/usr/share/data' && echo 'not a program' > "
			"'%1$s/usr/share/notexec' && chmod 644 '%1$s/usr/share/notexec'",
			in->lower[0]),
	    0);
	if (hosts_is_dir)
		SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s/etc/hosts'", in->lower[0]), 0);
	sc_ktest_instance_mount(in, root);
	free(root);
}

static char *pause_argv[] = {"/sc/src/pause/sc-pause", NULL};

/* Run a shell snippet in a NEW process that enters the container's mount
 * namespace (like kubectl exec: setns, then exec). Returns its exit status;
 * its stdout goes to out (a host path). */
static int exec_in(struct sc_fake_container *c, const char *out, const char *script)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || setns(c->pidfd, CLONE_NEWNS) < 0)
			_exit(90);
		dup2(fd, 1);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(91);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int inject(struct sc_fake_container *c, struct sc_ktest_instance *in, char *const *extra,
		  struct sc_inject_result *res, sc_error_t *err)
{
	struct sc_inject_request req = {.pid = c->pid,
					.pidfd = c->pidfd,
					.overlay_path = in->rootfs,
					.upperdir = in->upper,
					.extra_paths = extra};
	return sc_inject_rootfs(&req, res, err);
}

SC_TEST(new_process_lands_in_rootfs_with_container_proc_dev_volume)
{
	struct sc_ktest_instance in;
	make_instance(&in, "inj-basic", false);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "basic", pause_argv, false);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	char *extra[] = {"/data", "/not-mounted-here", NULL};
	must(inject(&c, &in, extra, &res, &err), &err);
	SC_ASSERT(!res.already);
	/* /dev/termination-log comes with /dev; /not-mounted-here is skipped */
	SC_ASSERT_INT_EQ(sc_strv_len(res.attached), 5);
	/* parents first: by depth, then in the default order */
	SC_ASSERT_STR_EQ(res.attached[0], "/proc");
	SC_ASSERT_STR_EQ(res.attached[1], "/dev");
	SC_ASSERT_STR_EQ(res.attached[2], "/sys");
	SC_ASSERT_STR_EQ(res.attached[3], "/data");
	SC_ASSERT_STR_EQ(res.attached[4], "/etc/hosts");
	sc_inject_result_free(&res);

	cleanup_free char *out = sc_xasprintf("%s/inj-basic/out", sc_ktest_dir);
	/* The new process is in the rootfs (the image's files), sees the
	 * container's PID namespace in /proc (PID 1 is sc-pause, the host's PID
	 * 1 is not), the container's /dev (marker, devpts), its /etc/hosts,
	 * /sys, and the volume. */
	int rc = exec_in(&c, out,
			 "cat /etc/os-release /usr/share/data && cat /proc/1/comm && ls /proc | "
			 "grep -c '^[0-9]' && test -e /dev/sc-dev-marker && echo dev-ok && "
			 "test -c /dev/pts/ptmx && echo devpts-ok && cat "
			 "/etc/hosts && test -d /sys/kernel && echo sys-ok && cat /data/file && "
			 "test -e /dev/termination-log && echo tlog-ok");
	SC_ASSERT_INT_EQ(rc, 0);
	cleanup_free char *o = sc_ktest_read(out);
	SC_ASSERT_STR_CONTAINS(o, "sc-test-image\nimage-data\nsc-pause\n1\n");
	SC_ASSERT_STR_CONTAINS(o, "dev-ok\ndevpts-ok\n127.0.0.1 sc-container-hosts\nsys-ok\n"
				  "volume-data\ntlog-ok\n");
	/* the process already running (PID 1) stays on the old root */
	cleanup_free char *p1root = sc_proc_path(c.pid, "root/sc");
	SC_ASSERT(sc_ktest_exists(p1root));

	/* masked paths stay masked: /proc/keys is the container's /dev/null */
	rc = exec_in(&c, out, "stat -c '%t:%T %F' /proc/keys /proc/timer_list");
	SC_ASSERT_INT_EQ(rc, 0);
	cleanup_free char *m = sc_ktest_read(out);
	SC_ASSERT_STR_EQ(m, "1:3 character special file\n1:3 character special file\n");

	/* idempotent: a second injection (mount-helper restarted) sees it done */
	struct sc_inject_result again;
	must(inject(&c, &in, extra, &again, &err), &err);
	SC_ASSERT(again.already);
	sc_inject_result_free(&again);

	/* nothing but empty mountpoints was written into the upper: the image
	 * has /proc, /dev, /etc but not /sys, /etc/hosts or /data */
	cleanup_free char *list = sc_xasprintf("%s/inj-basic/upper-list", sc_ktest_dir);
	SC_ASSERT_INT_EQ(sc_ktest_sh("cd '%s' && find . | sort > '%s'", in.upper, list), 0);
	cleanup_free char *l = sc_ktest_read(list);
	SC_ASSERT_STR_EQ(l, ".\n./data\n./etc\n./etc/hosts\n./sys\n");
	cleanup_free char *hosts = sc_xasprintf("%s/etc/hosts", in.upper);
	struct stat st;
	SC_ASSERT_INT_EQ(stat(hosts, &st), 0);
	SC_ASSERT(S_ISREG(st.st_mode) && st.st_size == 0);

	/* writes through the container land in the upper */
	SC_ASSERT_INT_EQ(exec_in(&c, out, "echo from-exec > /written"), 0);
	cleanup_free char *w = sc_xasprintf("%s/written", in.upper);
	cleanup_free char *wc = sc_ktest_read(w);
	SC_ASSERT_STR_EQ(wc, "from-exec\n");

	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

SC_TEST(a_stacked_root_is_checked_again_not_taken_on_trust)
{
	/* Stacked once, then something changes it (here: nosuid on the
	 * container's "/"): a second injection, as after a mount-helper
	 * restart, finds our overlay but refuses it instead of reporting done. */
	struct sc_ktest_instance in;
	make_instance(&in, "inj-recheck", false);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "recheck", pause_argv, false);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	must(inject(&c, &in, NULL, &res, &err), &err);
	sc_inject_result_free(&res);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setns(c.pidfd, CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	int st;
	SC_ASSERT_INT_EQ(waitpid(pid, &st, 0), pid);
	SC_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	SC_ASSERT_INT_EQ(inject(&c, &in, NULL, &res, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "checking the rootfs stacked earlier");
	SC_ASSERT_STR_CONTAINS(err->message, "lacks nodev or has nosuid");
	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

SC_TEST(stacked_root_is_private_nodev_and_allows_suid)
{
	struct sc_ktest_instance in;
	make_instance(&in, "inj-attrs", false);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "attrs", pause_argv, false);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	must(inject(&c, &in, NULL, &res, &err), &err);
	sc_inject_result_free(&res);
	cleanup_free char *mp = sc_proc_path(c.pid, "mountinfo");
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	must(sc_mountinfo_read(mp, &mi, &err), &err);
	const struct sc_mount *top = sc_mountinfo_find(&mi, "/");
	SC_ASSERT(top != NULL);
	SC_ASSERT_STR_EQ(top->fstype, "overlay");
	SC_ASSERT(sc_mount_has_option(top, "nodev"));
	SC_ASSERT(!sc_mount_has_option(top, "nosuid"));
	SC_ASSERT(!sc_mount_has_option(top, "noexec"));
	SC_ASSERT_INT_EQ(sc_mount_shared_group(top), 0);
	/* the host-side mount keeps nosuid,noexec */
	cleanup_mountinfo struct sc_mountinfo host = {0};
	must(sc_mountinfo_read("/proc/self/mountinfo", &host, &err), &err);
	const struct sc_mount *h = sc_mountinfo_find(&host, in.rootfs);
	SC_ASSERT(h != NULL && sc_mount_has_option(h, "nosuid") &&
		  sc_mount_has_option(h, "noexec"));
	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

SC_TEST(shared_container_root_is_refused)
{
	struct sc_ktest_instance in;
	make_instance(&in, "inj-shared", false);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "shared", pause_argv, true);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	SC_ASSERT_INT_EQ(inject(&c, &in, NULL, &res, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EPERM);
	SC_ASSERT_STR_CONTAINS(err->message, "shared");
	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

SC_TEST(failure_leaves_the_container_untouched)
{
	/* The image has /etc/hosts as a directory: the file mount cannot go
	 * there. The injection fails before anything is attached. */
	struct sc_ktest_instance in;
	make_instance(&in, "inj-fail", true);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "fail", pause_argv, false);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	SC_ASSERT_INT_EQ(inject(&c, &in, NULL, &res, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "/etc/hosts is a file in the container but a "
					     "directory in the rootfs");
	cleanup_free char *mp = sc_proc_path(c.pid, "mountinfo");
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	sc_error_release(&err);
	must(sc_mountinfo_read(mp, &mi, &err), &err);
	int roots = 0;
	for (size_t i = 0; i < mi.n; i++)
		roots += strcmp(mi.mounts[i].mount_point, "/") == 0;
	SC_ASSERT_INT_EQ(roots, 1);
	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

SC_TEST(dead_target_is_an_error)
{
	struct sc_ktest_instance in;
	make_instance(&in, "inj-dead", false);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "dead", pause_argv, false);
	pid_t pid = c.pid;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	SC_ASSERT_INT_EQ(inject(&c, &in, NULL, &res, &err), -1);
	c.pid = 0;
	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

/* A process that enters the container's mount namespace over and over (as
 * kubectl exec does) while the rootfs is stacked: whenever it lands in the
 * rootfs, the container's /proc, /dev and volume are already there. Reports
 * "<old root> <rootfs> <incomplete>" counts on fd. */
static void poll_entries(struct sc_fake_container *c, int fd, int go)
{
	long old = 0, new_root = 0, bad = 0;
	char ready = 'r';
	if (write(go, &ready, 1) != 1)
		_exit(90);
	long long deadline = sc_now_ms() + 20000;
	while (new_root < 200 && sc_now_ms() < deadline) {
		if (setns(c->pidfd, CLONE_NEWNS) < 0)
			_exit(91);
		if (access("/sc-rootfs-marker", F_OK) != 0) {
			old++;
			continue;
		}
		new_root++;
		if (access("/proc/1/status", R_OK) != 0 ||
		    access("/dev/sc-dev-marker", F_OK) != 0 || access("/data/file", R_OK) != 0 ||
		    access("/etc/hosts", R_OK) != 0)
			bad++;
	}
	dprintf(fd, "%ld %ld %ld\n", old, new_root, bad);
	_exit(0);
}

SC_TEST(a_process_entering_during_stacking_never_sees_a_half_built_root)
{
	struct sc_ktest_instance in;
	make_instance(&in, "inj-atomic", false);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "atomic", pause_argv, false);
	int rep[2], go[2];
	SC_ASSERT_INT_EQ(pipe2(rep, O_CLOEXEC), 0);
	SC_ASSERT_INT_EQ(pipe2(go, O_CLOEXEC), 0);
	fflush(stdout);
	pid_t poller = fork();
	if (poller == 0)
		poll_entries(&c, rep[1], go[1]);
	close(rep[1]);
	close(go[1]);
	char ready;
	SC_ASSERT_INT_EQ(read(go[0], &ready, 1), 1);
	close(go[0]);
	cleanup_error sc_error_t err = NULL;
	struct sc_inject_result res;
	char *extra[] = {"/data", NULL};
	must(inject(&c, &in, extra, &res, &err), &err);
	sc_inject_result_free(&res);
	char buf[128] = {0};
	SC_ASSERT(read(rep[0], buf, sizeof(buf) - 1) > 0);
	close(rep[0]);
	int st;
	SC_ASSERT_INT_EQ(waitpid(poller, &st, 0), poller);
	SC_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	long old = -1, new_root = -1, bad = -1;
	SC_ASSERT_INT_EQ(sscanf(buf, "%ld %ld %ld", &old, &new_root, &bad), 3);
	printf("# entered %ld times before and %ld times after the rootfs came\n", old, new_root);
	SC_ASSERT(new_root == 200);
	SC_ASSERT_INT_EQ(bad, 0);
	sc_fake_container_kill(&c);
	sc_ktest_instance_free(&in);
}

SC_TEST(a_hundred_and_twenty_layer_image_stacks)
{
	char *root = sc_ktest_mkdir("inj-120");
	char *lower[121];
	for (int i = 0; i < 120; i++) {
		int id = 120 - i; /* top layer first; busybox at the bottom */
		lower[i] = sc_xasprintf("%s/snapshots/%d/fs", root, id);
		SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s/layers' && echo %2$d > "
					     "'%1$s/layers/%2$d'",
					     lower[i], id),
				 0);
	}
	lower[120] = NULL;
	sc_ktest_make_busybox_layer(lower[119]);
	struct sc_ktest_instance in = {0};
	in.upper = sc_xasprintf("%s/upper", root);
	in.work = sc_xasprintf("%s/work", root);
	in.rootfs = sc_xasprintf("%s/rootfs", root);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' '%s' '%s' && chmod 755 '%s'", in.upper, in.work,
				     in.rootfs, in.upper),
			 0);
	struct sc_overlay_spec s = {
	    .lowerdirs = lower, .upperdir = in.upper, .workdir = in.work, .target = in.rootfs};
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
	struct sc_fake_container c;
	sc_fake_container_start(&c, "l120", pause_argv, false);
	struct sc_inject_result res;
	must(inject(&c, &in, NULL, &res, &err), &err);
	sc_inject_result_free(&res);
	cleanup_free char *out = sc_xasprintf("%s/out", root);
	SC_ASSERT_INT_EQ(exec_in(&c, out, "ls /layers | wc -l && cat /layers/1 /layers/120"), 0);
	cleanup_free char *o = sc_ktest_read(out);
	SC_ASSERT_STR_EQ(o, "120\n1\n120\n");
	sc_fake_container_kill(&c);
	umount2(in.rootfs, MNT_DETACH);
	for (int i = 0; i < 120; i++)
		free(lower[i]);
	free(in.upper);
	free(in.work);
	free(in.rootfs);
	free(root);
}

SC_TEST(cleanup_leaves_no_mount)
{
	/* after the containers of the tests above are gone and the instance
	 * overlays unmounted, nothing is mounted below the scratch directory
	 * but its own tmpfs */
	SC_ASSERT_INT_EQ(sc_ktest_count_mounts(sc_ktest_dir), 1);
}

int main(void)
{
	sc_ktest_init();
	return sc_test_run();
}
