/* Finding a container's process through /proc/PID/cgroup on the real kernel,
 * holding it with a pidfd, and running code in a forked child (in a
 * container's mount namespace). The cgroups are made under a parent of our
 * own (never under a real kubelet's /kubepods) with the kubelet's layout
 * below it: .../kubepods/besteffort/pod<uid>/<container-id>. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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
	/* wait (bounded) until the cgroup is empty so it can be removed */
	for (int i = 0; i < 200; i++) {
		cleanup_free char *procs = sc_xasprintf("%s/cgroup.procs", cg);
		cleanup_free char *c = sc_ktest_read(procs);
		if (c != NULL && c[0] == '\0')
			break;
		usleep(10000);
	}
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
