/* sc-exec end to end in a fake container: it runs as the container's PID 1,
 * waits for the rootfs, enters it after the injection, runs the command, and
 * exits with the command's status; signals are forwarded, zombies reaped. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/sc-inject.h"
#include "node/sc-mountinfo.h"
#include "node/sc-overlay.h"
#include "node/sc-syscall.h"
#include "sc-ktest.h"
#include "sc-test.h"

#define must(call, errp)                                                                   \
	do {                                                                               \
		if ((call) < 0)                                                            \
			sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(*(errp))); \
	} while (0)

struct inst {
	char *lower[2];
	char *upper, *work, *rootfs, *dir;
};

static void make_instance(struct inst *in, const char *name)
{
	in->dir = sc_ktest_mkdir(name);
	in->lower[0] = sc_xasprintf("%s/layer", in->dir);
	in->lower[1] = NULL;
	sc_ktest_make_busybox_layer(in->lower[0]);
	SC_ASSERT_INT_EQ(sc_ktest_sh("set -e; l='%s'; echo 'not a program' > $l/notexec; chmod 644 "
				     "$l/notexec; mkdir -p $l/srv/app",
				     in->lower[0]),
			 0);
	in->upper = sc_xasprintf("%s/upper", in->dir);
	in->work = sc_xasprintf("%s/work", in->dir);
	in->rootfs = sc_xasprintf("%s/rootfs", in->dir);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' '%s' '%s' && chmod 755 '%s'", in->upper,
				     in->work, in->rootfs, in->upper),
			 0);
	struct sc_overlay_spec s = {.lowerdirs = in->lower,
				    .upperdir = in->upper,
				    .workdir = in->work,
				    .target = in->rootfs};
	cleanup_error sc_error_t err = NULL;
	must(sc_overlay_mount(&s, &err), &err);
}

static void free_instance(struct inst *in)
{
	umount2(in->rootfs, MNT_DETACH);
	free(in->lower[0]);
	free(in->upper);
	free(in->work);
	free(in->rootfs);
	free(in->dir);
}

/* sc-exec is waiting when its mountinfo fd is open (it polls it). */
struct waiting {
	pid_t pid;
};
static bool sc_exec_is_polling(void *arg)
{
	struct waiting *w = arg;
	cleanup_free char *cmd =
	    sc_xasprintf("ls -l /proc/%d/fd 2>/dev/null | grep -q mountinfo", (int)w->pid);
	return sc_ktest_sh("%s", cmd) == 0;
}

static void inject(struct sc_fake_container *c, struct inst *in)
{
	struct sc_inject_request req = {
	    .pid = c->pid, .pidfd = c->pidfd, .overlay_path = in->rootfs, .upperdir = in->upper};
	struct sc_inject_result res;
	cleanup_error sc_error_t err = NULL;
	must(sc_inject_rootfs(&req, &res, &err), &err);
	sc_inject_result_free(&res);
}

#define SC_EXEC "/sc/src/exec/sc-exec"

/* Start sc-exec with the given arguments as PID 1, wait until it polls,
 * inject, wait for it to exit; returns its exit code (or -1). */
static int run(struct inst *in, const char *name, char **argv, int (*during)(pid_t, struct inst *))
{
	struct sc_fake_container c;
	sc_fake_container_start(&c, name, argv, false);
	struct waiting w = {.pid = c.pid};
	if (!sc_ktest_wait(sc_exec_is_polling, &w, 10000))
		sc_test_fail(__FILE__, __LINE__, "sc-exec did not start waiting within 10 s");
	/* it is waiting: nothing has run yet */
	inject(&c, in);
	if (during != NULL && during(c.pid, in) != 0) {
		sc_fake_container_kill(&c);
		sc_test_fail(__FILE__, __LINE__, "the check during the run failed");
	}
	int st = sc_fake_container_wait(&c, 20000);
	sc_fake_container_kill(&c);
	if (st < 0)
		sc_test_fail(__FILE__, __LINE__, "sc-exec did not exit within 20 s");
	if (!WIFEXITED(st))
		sc_test_fail(__FILE__, __LINE__, "sc-exec was killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

static char *upper_file(struct inst *in, const char *rel)
{
	cleanup_free char *p = sc_xasprintf("%s/%s", in->upper, rel);
	return sc_ktest_read(p);
}

SC_TEST(runs_command_in_rootfs_and_writes_there)
{
	struct inst in;
	make_instance(&in, "exec-basic");
	char *argv[] = {SC_EXEC,
			"--timeout",
			"20",
			"--node",
			"test-node",
			"--",
			"sh",
			"-c",
			"echo hello > /result; cat /etc/os-release >> /result; pwd >> /result; "
			"grep CapBnd /proc/self/status >> /result",
			NULL};
	SC_ASSERT_INT_EQ(run(&in, "basic", argv, NULL), 0);
	cleanup_free char *r = upper_file(&in, "result");
	SC_ASSERT(r != NULL);
	SC_ASSERT_STR_CONTAINS(r, "hello\nsc-test-image\n/\nCapBnd:");
	/* CAP_SYS_CHROOT (bit 18) is gone from the bounding set */
	const char *hex = strstr(r, "CapBnd:");
	unsigned long long bnd = strtoull(hex + 7, NULL, 16);
	SC_ASSERT((bnd & (1ull << 18)) == 0);
	SC_ASSERT((bnd & (1ull << 21)) != 0); /* CAP_SYS_ADMIN still there (root test) */
	free_instance(&in);
}

SC_TEST(keep_chroot_cap_workdir_and_user)
{
	struct inst in;
	make_instance(&in, "exec-user");
	char *argv[] = {SC_EXEC,
			"--timeout",
			"20",
			"--workdir",
			"/srv/app/new",
			"--user",
			"1000:2000",
			"--groups",
			"3000,3001",
			"--keep-chroot-cap",
			"--no-new-privs",
			"--",
			"sh",
			"-c",
			"pwd > /tmp/out; id -u >> /tmp/out; id -g >> /tmp/out; id -G >> /tmp/out; "
			"grep -E 'CapBnd|NoNewPrivs' /proc/self/status >> /tmp/out",
			NULL};
	/* /tmp must be writable by UID 1000 */
	SC_ASSERT_INT_EQ(sc_ktest_sh("chmod 1777 '%s/tmp'", in.lower[0]), 0);
	SC_ASSERT_INT_EQ(run(&in, "user", argv, NULL), 0);
	cleanup_free char *r = upper_file(&in, "tmp/out");
	SC_ASSERT(r != NULL);
	SC_ASSERT_STR_CONTAINS(r, "/srv/app/new\n1000\n2000\n2000 3000 3001\n");
	SC_ASSERT_STR_CONTAINS(r, "NoNewPrivs:\t1");
	const char *hex = strstr(r, "CapBnd:");
	SC_ASSERT(hex != NULL);
	unsigned long long bnd = strtoull(hex + 7, NULL, 16);
	SC_ASSERT((bnd & (1ull << 18)) != 0);
	free_instance(&in);
}

/* A passwd and group file in the image, as the user's image would have. */
static void write_user_db(struct inst *in)
{
	cleanup_free char *passwd = sc_xasprintf("%s/etc/passwd", in->lower[0]);
	cleanup_free char *group = sc_xasprintf("%s/etc/group", in->lower[0]);
	SC_ASSERT_INT_EQ(
	    sc_ktest_sh("mkdir -p '%s/etc' && chmod 1777 '%s/tmp'", in->lower[0], in->lower[0]), 0);
	sc_ktest_write(passwd, "root:x:0:0:root:/root:/bin/sh\n"
			       "broken line without fields\n"
			       "alice:x:1234:1300:Alice:/home/alice:/bin/sh\n");
	sc_ktest_write(group, "root:x:0:\nstaff:x:1300:\ndev:x:1400:bob,alice\n"
			      "ops:x:1500:alice\nother:x:1600:bob\n");
}

SC_TEST(user_names_groups_and_dropped_caps)
{
	struct inst in;
	make_instance(&in, "exec-names");
	write_user_db(&in);
	char *argv[] = {SC_EXEC,
			"--timeout",
			"20",
			"--user",
			"alice",
			"--groups",
			"7",
			"--cap-drop",
			"NET_RAW",
			"--",
			"sh",
			"-c",
			"id -u > /tmp/out; id -g >> /tmp/out; id -G >> /tmp/out; "
			"grep CapBnd /proc/self/status >> /tmp/out",
			NULL};
	SC_ASSERT_INT_EQ(run(&in, "names", argv, NULL), 0);
	cleanup_free char *r = upper_file(&in, "tmp/out");
	SC_ASSERT(r != NULL);
	/* A name brings its primary group and the groups listing it; --groups
	 * adds to them, as a Pod's supplementalGroups do. (id -G prints the
	 * primary group first; the kernel keeps the others sorted.) */
	SC_ASSERT_STR_CONTAINS(r, "1234\n1300\n1300 7 1400 1500\n");
	unsigned long long bnd = strtoull(strstr(r, "CapBnd:") + 7, NULL, 16);
	SC_ASSERT((bnd & (1ull << 13)) == 0); /* NET_RAW dropped */
	SC_ASSERT((bnd & (1ull << 18)) == 0); /* SYS_CHROOT dropped by default */
	SC_ASSERT((bnd & (1ull << 0)) != 0);  /* CHOWN kept */
	free_instance(&in);
}

SC_TEST(user_group_by_name_and_unknown_user)
{
	struct inst in;
	make_instance(&in, "exec-names2");
	write_user_db(&in);
	char *ok[] = {SC_EXEC, "--timeout", "20", "--user",         "alice:dev",
		      "--",    "sh",        "-c", "id -g > /tmp/g", NULL};
	SC_ASSERT_INT_EQ(run(&in, "names2", ok, NULL), 0);
	cleanup_free char *g = upper_file(&in, "tmp/g");
	SC_ASSERT_STR_EQ(g, "1400\n");
	char *unknown[] = {SC_EXEC, "--timeout", "20", "--user", "mallory", "--", "true", NULL};
	SC_ASSERT_INT_EQ(run(&in, "names3", unknown, NULL), 125);
	free_instance(&in);
}

SC_TEST(non_root_refuses_uid_0_and_cap_drop_all_empties_every_set)
{
	struct inst in;
	make_instance(&in, "exec-nonroot");
	write_user_db(&in);
	char *as_root[] = {SC_EXEC, "--timeout", "20",   "--non-root", "--user",
			   "root",  "--",        "true", NULL};
	SC_ASSERT_INT_EQ(run(&in, "nonroot", as_root, NULL), 125);
	char *no_user[] = {SC_EXEC, "--timeout", "20", "--non-root", "--", "true", NULL};
	SC_ASSERT_INT_EQ(run(&in, "nonroot2", no_user, NULL), 125);
	char *drop_all[] = {SC_EXEC,
			    "--timeout",
			    "20",
			    "--cap-drop",
			    "ALL",
			    "--",
			    "sh",
			    "-c",
			    "grep -E 'Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status > /tmp/caps",
			    NULL};
	SC_ASSERT_INT_EQ(run(&in, "dropall", drop_all, NULL), 0);
	cleanup_free char *caps = upper_file(&in, "tmp/caps");
	SC_ASSERT(caps != NULL);
	SC_ASSERT_STR_CONTAINS(caps, "CapInh:\t0000000000000000");
	SC_ASSERT_STR_CONTAINS(caps, "CapPrm:\t0000000000000000");
	SC_ASSERT_STR_CONTAINS(caps, "CapEff:\t0000000000000000");
	SC_ASSERT_STR_CONTAINS(caps, "CapBnd:\t0000000000000000");
	free_instance(&in);
}

SC_TEST(exit_codes_like_a_shell)
{
	struct inst in;
	make_instance(&in, "exec-codes");
	static const struct {
		const char *cmd[5];
		int want;
	} cases[] = {
	    {{"true", NULL}, 0},
	    {{"sh", "-c", "exit 1", NULL}, 1},
	    {{"sh", "-c", "exit 42", NULL}, 42},
	    {{"no-such-command", NULL}, 127},
	    {{"/bin/no-such-file", NULL}, 127},
	    {{"/notexec", NULL}, 126},
	    {{"/srv", NULL}, 126},
	    {{"sh", "-c", "kill -TERM $$", NULL}, 128 + 15},
	    {{"sh", "-c", "kill -KILL $$", NULL}, 128 + 9},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		char *argv[12] = {SC_EXEC, "--timeout", "20", "--"};
		size_t n = 4;
		for (size_t j = 0; cases[i].cmd[j] != NULL; j++)
			argv[n++] = (char *)cases[i].cmd[j];
		argv[n] = NULL;
		cleanup_free char *name = sc_xasprintf("codes-%zu", i);
		int got = run(&in, name, argv, NULL);
		if (got != cases[i].want)
			sc_test_fail(__FILE__, __LINE__, "%s: exit %d, want %d", cases[i].cmd[0],
				     got, cases[i].want);
	}
	free_instance(&in);
}

static bool file_in_upper(void *arg)
{
	const char *p = arg;
	return sc_ktest_exists(p);
}

static int send_term_when_started(pid_t pid, struct inst *in)
{
	cleanup_free char *started = sc_xasprintf("%s/started", in->upper);
	if (!sc_ktest_wait(file_in_upper, started, 10000))
		return -1;
	return kill(pid, SIGTERM);
}

SC_TEST(signals_are_forwarded)
{
	struct inst in;
	make_instance(&in, "exec-signal");
	char *argv[] = {SC_EXEC,
			"--timeout",
			"20",
			"--",
			"sh",
			"-c",
			"trap 'echo got-term > /trapped; exit 7' TERM; touch /started; while true; "
			"do sleep 0.05; done",
			NULL};
	SC_ASSERT_INT_EQ(run(&in, "signal", argv, send_term_when_started), 7);
	cleanup_free char *t = upper_file(&in, "trapped");
	SC_ASSERT_STR_EQ(t, "got-term\n");
	free_instance(&in);
}

SC_TEST(zombies_are_reaped)
{
	struct inst in;
	make_instance(&in, "exec-zombie");
	/* Orphans are reparented to sc-exec (PID 1 of the container): five
	 * background children of a subshell that exits at once. Wait (bounded)
	 * until no process is a zombie, then report. */
	char *argv[] = {SC_EXEC,
			"--timeout",
			"20",
			"--",
			"sh",
			"-c",
			"sh -c 'for i in 1 2 3 4 5; do true & done'; i=0; while [ $i -lt 200 ]; "
			"do z=$(cat /proc/[0-9]*/stat 2>/dev/null | grep -c '^[0-9]* ([^)]*) Z'); "
			"[ \"$z\" = 0 ] && break; i=$((i+1)); sleep 0.02; done; echo zombies=$z > "
			"/zombies",
			NULL};
	SC_ASSERT_INT_EQ(run(&in, "zombie", argv, NULL), 0);
	cleanup_free char *z = upper_file(&in, "zombies");
	SC_ASSERT_STR_EQ(z, "zombies=0\n");
	free_instance(&in);
}

SC_TEST(times_out_with_a_clear_message)
{
	char *argv[] = {
	    "/bin/sh", "-c",
	    "exec /sc/src/exec/sc-exec --timeout 1 --node node-7 -- true 2>/hostside/err", NULL};
	struct sc_fake_container c;
	sc_fake_container_start(&c, "timeout", argv, false);
	long long t0 = sc_now_ms();
	int st = sc_fake_container_wait(&c, 10000);
	long long took = sc_now_ms() - t0;
	SC_ASSERT(st >= 0 && WIFEXITED(st));
	SC_ASSERT_INT_EQ(WEXITSTATUS(st), 125);
	SC_ASSERT(took >= 900 && took < 5000);
	cleanup_free char *ep = sc_xasprintf("%s/hostside/err", c.dir);
	cleanup_free char *msg = sc_ktest_read(ep);
	SC_ASSERT_STR_CONTAINS(msg, "sc-exec: timed out after 1s waiting for the "
				    "StoppableContainer rootfs on node node-7");
	SC_ASSERT_STR_CONTAINS(msg, "mount-helper");
	sc_fake_container_kill(&c);
}

SC_TEST(sigterm_while_waiting_exits_at_once)
{
	char *argv[] = {SC_EXEC, "--timeout", "60", "--", "true", NULL};
	struct sc_fake_container c;
	sc_fake_container_start(&c, "term-wait", argv, false);
	struct waiting w = {.pid = c.pid};
	SC_ASSERT(sc_ktest_wait(sc_exec_is_polling, &w, 10000));
	SC_ASSERT_INT_EQ(kill(c.pid, SIGTERM), 0);
	int st = sc_fake_container_wait(&c, 5000);
	SC_ASSERT(st >= 0 && WIFEXITED(st));
	SC_ASSERT_INT_EQ(WEXITSTATUS(st), 128 + 15);
	sc_fake_container_kill(&c);
}

SC_TEST(usage_errors)
{
	static const char *bad[][4] = {
	    {"--timeout", "0", "--", "true"},      {"--timeout", "x", "--", "true"},
	    {"--user", "-1", "--", "true"},        {"--user", "1:x/y", "--", "true"},
	    {"--cap-drop", "BOGUS", "--", "true"}, {"--user", "a:b:c", "--", "true"},
	    {"--workdir", "rel", "--", "true"},    {"--groups", "1,", "--", "true"},
	    {"--bogus", "--", "true", NULL},       {"--timeout", "5", NULL, NULL},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		char *argv[6] = {SC_BUILD_ROOT "/src/exec/sc-exec"};
		size_t n = 1;
		for (size_t j = 0; j < 4 && bad[i][j] != NULL; j++)
			argv[n++] = (char *)bad[i][j];
		argv[n] = NULL;
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 2);
			execv(argv[0], argv);
			_exit(99);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 125)
			sc_test_fail(__FILE__, __LINE__, "case %zu: status %d", i, st);
	}
	SC_ASSERT_INT_EQ(
	    sc_ktest_sh("%s/src/exec/sc-exec --help | grep -q -- --keep-chroot-cap", SC_BUILD_ROOT),
	    0);
}

int main(void)
{
	sc_ktest_init();
	return sc_test_run();
}
