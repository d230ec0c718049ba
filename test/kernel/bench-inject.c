/* Benchmark (not a test): time from the start of the injection to the user's
 * command running under sc-exec, in a fake container, for a small rootfs and
 * a large one.
 *
 *   build/test/kernel/bench-inject [LAYERS [FILES_PER_LAYER [RUNS]]]
 *
 * The command writes to a FIFO on the container's /data volume; the clock
 * stops when that byte arrives. Needs root; everything happens in a private
 * mount namespace and a scratch tmpfs (sc-ktest.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/sc-inject.h"
#include "node/sc-overlay.h"
#include "sc-ktest.h"

static bool polling(void *arg)
{
	pid_t pid = *(pid_t *)arg;
	return sc_ktest_sh("ls -l /proc/%d/fd 2>/dev/null | grep -q mountinfo", (int)pid) == 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long layers = 1, files = 10, runs = 5;
	if ((argc > 1 && sc_parse_long(argv[1], 1, 500, &layers) < 0) ||
	    (argc > 2 && sc_parse_long(argv[2], 0, 1000000, &files) < 0) ||
	    (argc > 3 && sc_parse_long(argv[3], 1, 1000, &runs) < 0)) {
		fprintf(stderr, "usage: bench-inject [LAYERS [FILES_PER_LAYER [RUNS]]]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-inject: needs root\n");
		return 2;
	}
	sc_ktest_init();
	char *root = sc_ktest_mkdir("bench");
	char **lower = sc_xzalloc((size_t)(layers + 1) * sizeof(char *));
	long long tb = sc_now_ms();
	for (long i = 0; i < layers; i++) {
		lower[i] = sc_xasprintf("%s/snapshots/%ld/fs", root, layers - i);
		if (i == layers - 1)
			sc_ktest_make_busybox_layer(lower[i]);
		/* FILES_PER_LAYER small files in 100 directories */
		if (sc_ktest_sh(
			"set -e; mkdir -p '%1$s'; cd '%1$s'; for d in $(seq 0 99); do mkdir "
			"-p usr/share/l%2$ld/d$d; done; n=0; while [ $n -lt %3$ld ]; do echo "
			"$n > usr/share/l%2$ld/d$((n %% 100))/f$n; n=$((n+1)); done",
			lower[i], i, files) != 0)
			return 1;
	}
	long long tbuilt = sc_now_ms();
	char *upper = sc_xasprintf("%s/upper", root), *work = sc_xasprintf("%s/work", root);
	char *rootfs = sc_xasprintf("%s/rootfs", root);
	sc_ktest_sh("mkdir -p '%s' '%s' '%s' && chmod 755 '%s'", upper, work, rootfs, upper);
	struct sc_overlay_spec spec = {
	    .lowerdirs = lower, .upperdir = upper, .workdir = work, .target = rootfs};
	sc_error_t err = NULL;
	long long m0 = sc_now_ms();
	if (sc_overlay_mount(&spec, &err) < 0) {
		fprintf(stderr, "overlay: %s\n", sc_error_message(err));
		return 1;
	}
	long long m1 = sc_now_ms();
	double *inject_ms = sc_xzalloc((size_t)runs * sizeof(double));
	double *total_ms = sc_xzalloc((size_t)runs * sizeof(double));
	for (long r = 0; r < runs; r++) {
		char *argv_[] = {"/sc/src/exec/sc-exec", "--timeout", "30", "--", "sh", "-c",
				 "echo x > /data/fifo",  NULL};
		char name[32];
		snprintf(name, sizeof(name), "b%ld", r);
		struct sc_fake_container c;
		sc_fake_container_start(&c, name, argv_, false);
		char *fifo = sc_xasprintf("%s/hostside/volume/fifo", c.dir);
		if (mkfifo(fifo, 0666) < 0)
			return 1;
		int ff = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (!sc_ktest_wait(polling, &c.pid, 10000))
			return 1;
		struct timespec t0, t1, t2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		char *volumes[] = {"/data", NULL};
		struct sc_inject_request req = {.pid = c.pid,
						.pidfd = c.pidfd,
						.overlay_path = rootfs,
						.upperdir = upper,
						.extra_paths = volumes};
		struct sc_inject_result res;
		if (sc_inject_rootfs(&req, &res, &err) < 0) {
			fprintf(stderr, "inject: %s\n", sc_error_message(err));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		struct pollfd pf = {.fd = ff, .events = POLLIN};
		char b[8];
		for (;;) {
			if (poll(&pf, 1, 10000) <= 0)
				return 1;
			if (read(ff, b, sizeof(b)) > 0)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t2);
		inject_ms[r] =
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		total_ms[r] =
		    (double)(t2.tv_sec - t0.tv_sec) * 1e3 + (double)(t2.tv_nsec - t0.tv_nsec) / 1e6;
		sc_inject_result_free(&res);
		close(ff);
		free(fifo);
		sc_fake_container_wait(&c, 10000);
		sc_fake_container_kill(&c);
	}
	qsort(inject_ms, (size_t)runs, sizeof(double), cmp);
	qsort(total_ms, (size_t)runs, sizeof(double), cmp);
	printf("layers=%ld files=%ld (tree built in %lld ms) overlay mount %lld ms\n", layers,
	       layers * files, tbuilt - tb, m1 - m0);
	printf("inject (sc_inject_rootfs incl. verification): median %.2f ms, min %.2f, max "
	       "%.2f\n",
	       inject_ms[runs / 2], inject_ms[0], inject_ms[runs - 1]);
	printf("injection start -> command running under sc-exec: median %.2f ms, min %.2f, max "
	       "%.2f (%ld runs)\n",
	       total_ms[runs / 2], total_ms[0], total_ms[runs - 1], runs);
	umount2(rootfs, MNT_DETACH);
	return 0;
}
