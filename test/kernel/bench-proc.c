/* Benchmark (not a test): the time to find a container's init process with
 * N other processes on the node, by scanning /proc against reading the
 * runtime's init.pid (then the same checks), side by side in one run.
 *
 *   build/test/kernel/bench-proc [PROCESSES [RUNS]]   (default 1000 101)
 *
 * Starts PROCESSES sleeping processes (children of this one, in its PID
 * namespace, which is the host's: they add to what /proc lists), a fake
 * container (an init and its child) in a cgroup with the kubelet's layout
 * under a parent of our own, and an init.pid for it in a scratch task
 * directory; then RUNS lookups each way, alternating. Needs root; the
 * processes and the cgroups are removed at exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/sc-proc.h"
#include "sc-ktest.h"

#define POD "6b0f3c1e-8d2a-4f5b-9c3d-2e1a0b9c8d7f"
#define CID "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e"

static pid_t *sleepers;
static long nsleepers;
static pid_t container_init;
static char *cg_root;

static void cleanup(void)
{
	for (long i = 0; i < nsleepers; i++)
		if (sleepers[i] > 0)
			kill(sleepers[i], SIGKILL);
	if (container_init > 0)
		kill(container_init, SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	if (cg_root != NULL) {
		/* the container's child was reparented: wait (bounded) until
		 * the cgroups are empty, then remove them */
		for (int i = 0; i < 200; i++) {
			if (sc_ktest_sh("find '%s' -name cgroup.procs -exec cat {} + 2>/dev/null "
					"| grep -q .",
					cg_root) != 0)
				break;
			sc_ktest_sh("find '%s' -name cgroup.procs -exec cat {} + 2>/dev/null | "
				    "xargs -r kill -9 2>/dev/null",
				    cg_root);
			usleep(10000);
		}
		sc_ktest_sh("find '%s' -depth -type d -exec rmdir {} + 2>/dev/null", cg_root);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "bench-proc: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A child that sleeps until killed (or until this process dies). */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static double us_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e6 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *how, double *t, long n)
{
	qsort(t, (size_t)n, sizeof(double), cmp);
	printf("| %s | %.3f ms | %.3f ms | %.3f ms | %.3f ms |\n", how, t[n / 2] / 1e3,
	       t[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1] / 1e3, t[0] / 1e3, t[n - 1] / 1e3);
}

static int count_processes(void)
{
	int n = 0;
	FILE *f = popen("ls /proc | grep -c '^[0-9]'", "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

int main(int argc, char **argv)
{
	long runs = 101;
	if ((argc > 1 && sc_parse_long(argv[1], 0, 30000, &nsleepers) < 0) ||
	    (argc > 2 && sc_parse_long(argv[2], 1, 100000, &runs) < 0) || argc > 3) {
		fprintf(stderr, "usage: bench-proc [PROCESSES (0-30000) [RUNS]]\n");
		return 2;
	}
	if (argc <= 1)
		nsleepers = 1000;
	if (geteuid() != 0) {
		fprintf(stderr, "bench-proc: needs root\n");
		return 2;
	}
	sc_ktest_init();
	const char *h = NULL;
	if (sc_ktest_exists("/sys/fs/cgroup/cgroup.controllers"))
		h = "/sys/fs/cgroup";
	else if (sc_ktest_exists("/sys/fs/cgroup/pids/cgroup.procs"))
		h = "/sys/fs/cgroup/pids";
	if (h == NULL) {
		fprintf(stderr, "bench-proc: no cgroup pids (v1) or v2 hierarchy mounted\n");
		return 1;
	}
	cg_root = sc_xasprintf("%s/sc-bench-%d", h, (int)getpid());
	atexit(cleanup);
	cleanup_free char *cg = sc_xasprintf("%s/kubepods/besteffort/pod" POD "/" CID, cg_root);
	if (sc_ktest_sh("mkdir -p '%s'", cg) != 0)
		die("creating the container's cgroup");

	sleepers = sc_xzalloc((size_t)(nsleepers + 1) * sizeof(pid_t));
	for (long i = 0; i < nsleepers; i++)
		sleepers[i] = sleeper();

	/* the container: an init that forks a child, both in its cgroup */
	int go[2];
	if (pipe(go) < 0)
		die("pipe");
	container_init = fork();
	if (container_init < 0)
		die("fork");
	if (container_init == 0) {
		char b;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	close(go[0]);
	cleanup_free char *procs = sc_xasprintf("%s/cgroup.procs", cg);
	cleanup_free char *pid_s = sc_xasprintf("%d\n", (int)container_init);
	sc_ktest_write(procs, pid_s);
	if (write(go[1], "g", 1) != 1)
		die("starting the container");
	close(go[1]);

	cleanup_free char *tasks = sc_ktest_mkdir("tasks");
	cleanup_free char *task = sc_xasprintf("%s/%s", tasks, CID);
	cleanup_free char *pidfile = sc_xasprintf("%s/init.pid", task);
	if (sc_ktest_sh("mkdir -p '%s'", task) != 0)
		die("creating the task directory");
	sc_ktest_write(pidfile, pid_s);

	/* until the container's child has joined (it is one of the processes
	 * the scan must tell from the init) */
	bool two = false;
	for (int i = 0; i < 500 && !two; i++) {
		cleanup_free char *c = sc_ktest_read(procs);
		two = c != NULL && strchr(c, '\n') != NULL && strchr(c, '\n')[1] != '\0';
		if (!two)
			usleep(10000);
	}
	if (!two) {
		fprintf(stderr, "bench-proc: the container's child did not start\n");
		return 1;
	}

	double *scan = sc_xzalloc((size_t)runs * sizeof(double));
	double *fast = sc_xzalloc((size_t)runs * sizeof(double));
	for (long i = 0; i < runs; i++) {
		for (int way = 0; way < 2; way++) {
			cleanup_error sc_error_t err = NULL;
			cleanup_container_process struct sc_container_process p = {.pidfd = -1};
			struct timespec t0;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			int r = sc_proc_find_container_fast("/proc", way ? tasks : NULL, POD, CID,
							    &p, &err);
			double us = us_since(&t0);
			if (r < 0) {
				fprintf(stderr, "bench-proc: lookup: %s\n", sc_error_message(err));
				return 1;
			}
			if (p.pid != container_init || p.from_task_file != (way == 1)) {
				fprintf(stderr,
					"bench-proc: %s lookup found %d (from init.pid: %d), "
					"not the init %d\n",
					way ? "fast" : "scan", (int)p.pid, (int)p.from_task_file,
					(int)container_init);
				return 1;
			}
			(way ? fast : scan)[i] = us;
		}
	}
	printf("%d processes in /proc (%ld started by the benchmark), %ld lookups each way\n\n",
	       count_processes(), nsleepers, runs);
	printf("| lookup | median | p95 | min | max |\n| --- | --- | --- | --- | --- |\n");
	report("scan of /proc", scan, runs);
	report("init.pid, checked", fast, runs);
	free(scan);
	free(fast);
	return 0;
}
