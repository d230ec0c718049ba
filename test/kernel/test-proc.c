/* Finding a container's process through /proc/PID/cgroup on the real kernel,
 * holding it with a pidfd, and running code in a forked child (in a
 * container's mount namespace). The cgroups are made under a parent of our
 * own (never under a real kubelet's /kubepods) with the kubelet's layout
 * below it: .../kubepods/besteffort/pod<uid>/<container-id>. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/sc-proc.h"
#include "sc-ktest.h"
#include "sc-test.h"

#define POD  "6b0f3c1e-8d2a-4f5b-9c3d-2e1a0b9c8d7f"
#define CID  "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e"
#define CID2 "a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7081"
#define CID3 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *cg_root; /* our parent cgroup directory */

static const char *hierarchy(void)
{
	if (sc_ktest_exists("/sys/fs/cgroup/cgroup.controllers"))
		return "/sys/fs/cgroup"; /* pure v2 */
	if (sc_ktest_exists("/sys/fs/cgroup/pids/cgroup.procs"))
		return "/sys/fs/cgroup/pids"; /* v1 */
	return NULL;
}

static void remove_cgroups(void)
{
	if (cg_root != NULL)
		sc_ktest_sh("find '%s' -depth -type d -exec rmdir {} + 2>/dev/null", cg_root);
}

static char *make_cgroup(const char *cid)
{
	char *dir = sc_xasprintf("%s/kubepods/besteffort/pod" POD "/%s", cg_root, cid);
	if (sc_ktest_sh("mkdir -p '%s'", dir) != 0)
		sc_test_fail(__FILE__, __LINE__, "cannot create cgroup %s", dir);
	return dir;
}

/* A process that waits for a byte on its pipe, then exits; with fork_child
 * it first forks a child that does the same (both in its cgroup). */
struct proc {
	pid_t pid;
	int wfd;
};

static void move_to(pid_t pid, const char *cgdir)
{
	cleanup_free char *procs = sc_xasprintf("%s/cgroup.procs", cgdir);
	cleanup_free char *s = sc_xasprintf("%d\n", (int)pid);
	sc_ktest_write(procs, s);
}

static struct proc spawn_in(const char *cgdir, bool fork_child)
{
	int go[2], ready[2];
	SC_ASSERT_INT_EQ(pipe2(go, O_CLOEXEC), 0);
	SC_ASSERT_INT_EQ(pipe2(ready, O_CLOEXEC), 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char b;
		close(go[1]);
		close(ready[0]);
		if (read(go[0], &b, 1) != 1) /* moved into the cgroup */
			_exit(1);
		if (fork_child && fork() == 0) {
			ssize_t r SC_UNUSED = write(ready[1], "c", 1);
			while (read(go[0], &b, 1) < 0)
				;
			_exit(0);
		}
		ssize_t r SC_UNUSED = write(ready[1], "p", 1);
		while (read(go[0], &b, 1) < 0)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	move_to(pid, cgdir);
	SC_ASSERT_INT_EQ(write(go[1], "g", 1), 1);
	char b;
	for (int i = 0; i < (fork_child ? 2 : 1); i++)
		SC_ASSERT_INT_EQ(read(ready[0], &b, 1), 1);
	close(ready[0]);
	struct proc p = {.pid = pid, .wfd = go[1]};
	return p;
}

static void finish(struct proc *p)
{
	close(p->wfd); /* EOF: the process (and its child) exit */
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
}

/* Wait until the cgroup is empty (so it can be removed, and so a later test
 * starts from nothing): up to 20 s, however loaded the machine. */
static void wait_empty(const char *cgdir)
{
	for (int i = 0; i < 2000; i++) {
		cleanup_free char *procs = sc_xasprintf("%s/cgroup.procs", cgdir);
		cleanup_free char *c = sc_ktest_read(procs);
		if (c != NULL && c[0] == '\0')
			return;
		usleep(10000);
	}
	sc_test_fail(__FILE__, __LINE__, "%s still has processes after 20 s", cgdir);
}

SC_TEST(finds_init_holds_pidfd_and_detects_exit)
{
	const char *h = hierarchy();
	if (h == NULL)
		sc_test_fail(__FILE__, __LINE__, "no cgroup pids (v1) or v2 hierarchy mounted");
	cleanup_free char *cg = make_cgroup(CID);
	cleanup_free char *cg2 = make_cgroup(CID2);
	struct proc decoy = spawn_in(cg2, false); /* same pod, other container */
	struct proc init = spawn_in(cg, true);    /* the container: init + child */

	cleanup_error sc_error_t err = NULL;
	cleanup_container_process struct sc_container_process p = {.pidfd = -1};
	if (sc_proc_find_container("/proc", POD, CID, &p, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	SC_ASSERT_INT_EQ(p.pid, init.pid);
	SC_ASSERT(p.pidfd >= 0);
	SC_ASSERT_INT_EQ(sc_proc_verify(&p, POD, CID, &err), 0);

	/* the other container of the pod is found as itself, not as ours */
	cleanup_container_process struct sc_container_process q = {.pidfd = -1};
	SC_ASSERT_INT_EQ(sc_proc_find_container("/proc", POD, CID2, &q, &err), 0);
	SC_ASSERT_INT_EQ(q.pid, decoy.pid);

	/* wrong pod UID: nothing */
	struct sc_container_process none = {.pidfd = -1};
	SC_ASSERT_INT_EQ(sc_proc_find_container("/proc", "00000000-0000-4000-8000-000000000000",
						CID, &none, &err),
			 -1);
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	sc_error_release(&err);

	/* the held process exits: re-verification fails, whatever reuses the
	 * PID later */
	kill(init.pid, SIGKILL);
	waitpid(init.pid, NULL, 0);
	SC_ASSERT_INT_EQ(sc_proc_verify(&p, POD, CID, &err), -1);
	sc_error_release(&err);
	/* its child, reparented outside the container, is now the init */
	cleanup_container_process struct sc_container_process r = {.pidfd = -1};
	SC_ASSERT_INT_EQ(sc_proc_find_container("/proc", POD, CID, &r, &err), 0);
	SC_ASSERT(r.pid != init.pid);
	finish(&init);
	kill(r.pid, SIGKILL);
	finish(&decoy);
	/* the next test uses the same cgroups: nothing of this one may be left
	 * in them (a process still exiting would be found as their init) */
	wait_empty(cg);
	wait_empty(cg2);
}

/* The one process in cgdir other than not_this. */
static pid_t other_member(const char *cgdir, pid_t not_this)
{
	cleanup_free char *procs = sc_xasprintf("%s/cgroup.procs", cgdir);
	cleanup_free char *c = sc_ktest_read(procs);
	SC_ASSERT(c != NULL);
	pid_t found = 0;
	char *save = NULL;
	for (char *tok = strtok_r(c, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save)) {
		long v;
		SC_ASSERT_INT_EQ(sc_parse_long(tok, 1, 0x7fffffff, &v), 0);
		if ((pid_t)v != not_this) {
			SC_ASSERT_INT_EQ(found, 0);
			found = (pid_t)v;
		}
	}
	SC_ASSERT(found > 0);
	return found;
}

static char *task_dir;

static void write_init_pid(const char *cid, const char *content)
{
	cleanup_free char *dir = sc_xasprintf("%s/%s", task_dir, cid);
	cleanup_free char *f = sc_xasprintf("%s/init.pid", dir);
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%s' && rm -f '%s'", dir, f), 0);
	sc_ktest_write(f, content);
}

/* Looks container CID up with the task directory; returns the PID found and
 * whether it came from init.pid. */
static pid_t lookup(const char *cid, bool *from_file)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_container_process struct sc_container_process p = {.pidfd = -1};
	if (sc_proc_find_container_fast("/proc", task_dir, POD, cid, &p, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	SC_ASSERT(p.pidfd >= 0);
	SC_ASSERT(p.start_time > 0);
	SC_ASSERT_INT_EQ(sc_proc_verify(&p, POD, cid, &err), 0);
	*from_file = p.from_task_file;
	return p.pid;
}

SC_TEST(pid_file_parser_takes_only_a_pid)
{
	cleanup_error sc_error_t err = NULL;
	pid_t pid = 0;
	SC_ASSERT_INT_EQ(sc_proc_parse_pid_file("15772", 5, &pid, &err), 0); /* containerd 1.6 */
	SC_ASSERT_INT_EQ(pid, 15772);
	SC_ASSERT_INT_EQ(sc_proc_parse_pid_file("42\n", 3, &pid, &err), 0);
	SC_ASSERT_INT_EQ(pid, 42);
	SC_ASSERT_INT_EQ(sc_proc_parse_pid_file("2147483647", 10, &pid, &err), 0);
	SC_ASSERT_INT_EQ(pid, 2147483647);
	static const char *const bad[] = {
	    "",           "\n",  "0",      "042",         "-1",
	    " 42",        "42 ", "42\n\n", "4\0002", /* '4', NUL, '2' */
	    "2147483648", "4x2", "+42",    "99999999999", "42\r\n"};
	static const size_t badlen[] = {0, 1, 1, 3, 2, 3, 3, 4, 3, 10, 3, 3, 11, 4};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		pid = 7;
		if (sc_proc_parse_pid_file(bad[i], badlen[i], &pid, &err) != -1)
			sc_test_fail(__FILE__, __LINE__, "accepted bad PID file #%zu", i);
		SC_ASSERT_INT_EQ(err->code, EINVAL);
		SC_ASSERT_INT_EQ(pid, 7);
		sc_error_release(&err);
	}
}

SC_TEST(task_file_fast_path_is_checked_and_falls_back_to_the_scan)
{
	const char *h = hierarchy();
	if (h == NULL)
		sc_test_fail(__FILE__, __LINE__, "no cgroup pids (v1) or v2 hierarchy mounted");
	task_dir = sc_ktest_mkdir("tasks");
	cleanup_free char *cg = make_cgroup(CID);
	cleanup_free char *cg2 = make_cgroup(CID2);
	struct proc decoy = spawn_in(cg2, false); /* same pod, other container */
	struct proc init = spawn_in(cg, true);    /* the container: init + child */
	pid_t child = other_member(cg, init.pid); /* inside, but not the init */
	bool from_file = false;

	/* the runtime's file, as containerd 1.6 writes it (no newline) and
	 * with one: the init, found without a scan */
	cleanup_free char *good = sc_xasprintf("%d", (int)init.pid);
	write_init_pid(CID, good);
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(from_file);
	cleanup_free char *good_nl = sc_xasprintf("%d\n", (int)init.pid);
	write_init_pid(CID, good_nl);
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(from_file);

	/* A lying file is refused and the scan finds the init all the same:
	 * the other container's process (same pod), a process in no container
	 * (this test), a process of the container that is not its init. */
	const pid_t liars[] = {decoy.pid, getpid(), child};
	for (size_t i = 0; i < SC_ARRAY_SIZE(liars); i++) {
		cleanup_free char *lie = sc_xasprintf("%d\n", (int)liars[i]);
		write_init_pid(CID, lie);
		from_file = true;
		SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
		if (from_file)
			sc_test_fail(__FILE__, __LINE__, "init.pid naming %d was believed",
				     (int)liars[i]);
	}
	/* a PID nothing runs under */
	write_init_pid(CID, "2147483647\n");
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(!from_file);
	/* not a PID file: garbage, too large, a symbolic link (to a good
	 * file), a FIFO (opening it must not block) */
	write_init_pid(CID, "12x\n");
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(!from_file);
	write_init_pid(CID, "00000000000000000000000000000000000000001\n");
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(!from_file);
	cleanup_free char *elsewhere = sc_xasprintf("%s/good.pid", task_dir);
	sc_ktest_write(elsewhere, good_nl);
	SC_ASSERT_INT_EQ(sc_ktest_sh("ln -sf '%s' '%s/%s/init.pid'", elsewhere, task_dir, CID), 0);
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(!from_file);
	SC_ASSERT_INT_EQ(sc_ktest_sh("rm -f '%s/%s/init.pid' && mkfifo '%s/%s/init.pid'", task_dir,
				     CID, task_dir, CID),
			 0);
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(!from_file);

	/* no file (another runtime, or not written yet): the scan */
	SC_ASSERT_INT_EQ(sc_ktest_sh("rm -rf '%s/%s'", task_dir, CID), 0);
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), init.pid);
	SC_ASSERT(!from_file);
	/* and the other container by its own file */
	cleanup_free char *decoy_s = sc_xasprintf("%d\n", (int)decoy.pid);
	write_init_pid(CID2, decoy_s);
	SC_ASSERT_INT_EQ(lookup(CID2, &from_file), decoy.pid);
	SC_ASSERT(from_file);

	/* a container with no process: whatever its file says, ENOENT */
	write_init_pid(CID3, good_nl);
	cleanup_error sc_error_t err = NULL;
	struct sc_container_process none = {.pidfd = -1};
	SC_ASSERT_INT_EQ(sc_proc_find_container_fast("/proc", task_dir, POD, CID3, &none, &err),
			 -1);
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	SC_ASSERT_INT_EQ(none.pidfd, -1);
	sc_error_release(&err);
	/* a container ID that is not one never becomes a path */
	SC_ASSERT_INT_EQ(
	    sc_proc_find_container_fast("/proc", task_dir, POD, "../" CID2, &none, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EINVAL);
	sc_error_release(&err);

	/* the held process exits: the file still names it, the scan finds
	 * its child (reparented outside the container) */
	write_init_pid(CID, good_nl);
	kill(init.pid, SIGKILL);
	waitpid(init.pid, NULL, 0);
	SC_ASSERT_INT_EQ(lookup(CID, &from_file), child);
	SC_ASSERT(!from_file);
	finish(&init);
	kill(child, SIGKILL);
	finish(&decoy);
	wait_empty(cg);
	wait_empty(cg2);
}

static int fail_with_code(void *arg, sc_error_t *err)
{
	(void)arg;
	return sc_error_make(err, EXDEV, "child says no (pid %d)", (int)getpid());
}

static int hang(void *arg, sc_error_t *err)
{
	(void)arg;
	(void)err;
	pause();
	return 0;
}

static int see_container_root(void *arg, sc_error_t *err)
{
	(void)arg;
	struct stat st;
	/* the fake container has /sc (the build dir) and not the host's scratch
	 * directory (a /tmp/sc-ktest-* of the caller's, whatever the checkout's path) */
	if (stat("/sc/build.ninja", &st) < 0)
		return sc_error_make_errno(err, "stat /sc/build.ninja in the container");
	if (stat(sc_ktest_dir, &st) == 0)
		return sc_error_make(err, EIO, "the host's %s is visible", sc_ktest_dir);
	return 0;
}

SC_TEST(child_runner_passes_errors_times_out_and_enters_namespaces)
{
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_run_in_child(fail_with_code, NULL, 5000, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EXDEV);
	SC_ASSERT_STR_CONTAINS(err->message, "child says no");
	sc_error_release(&err);
	long long t0 = sc_now_ms();
	SC_ASSERT_INT_EQ(sc_run_in_child(hang, NULL, 300, &err), -1);
	SC_ASSERT_INT_EQ(err->code, ETIMEDOUT);
	SC_ASSERT(sc_now_ms() - t0 < 3000);
	sc_error_release(&err);

	char *argv[] = {"/sc/src/pause/sc-pause", NULL};
	struct sc_fake_container c;
	sc_fake_container_start(&c, "proc-ns", argv, false);
	if (sc_run_in_mntns(c.pidfd, see_container_root, NULL, 5000, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	/* and the caller itself is still in its own namespace */
	SC_ASSERT(sc_ktest_exists(sc_ktest_dir));
	sc_fake_container_kill(&c);
}

int main(void)
{
	sc_ktest_init();
	const char *h = hierarchy();
	if (h != NULL) {
		cleanup_free char *tmpl = sc_xasprintf("%s/sc-ktest-%d", h, (int)getpid());
		cg_root = sc_xstrdup(tmpl);
		atexit(remove_cgroups);
	}
	return sc_test_run();
}
