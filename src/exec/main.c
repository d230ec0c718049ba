/* sc-exec: PID 1 of a StoppableContainer consumer container.
 *
 * The consumer container starts on a tiny image holding only this program. The
 * mount-helper then stacks the user's persistent rootfs on top of the
 * container's root (one mount on "/", complete with the container's /proc,
 * /dev, /sys and volumes). sc-exec
 *   1. waits for that mount: poll(POLLPRI) on /proc/self/mountinfo, which the
 *      kernel wakes on every mount table change, with a bounded timeout;
 *   2. enters it with one chroot through ".." of its old root: ".." of the
 *      old root's root directory is covered by the stacked mount, and path
 *      walking steps onto the topmost mount there, the new rootfs;
 *   3. drops CAP_SYS_CHROOT from the bounding set (unless asked to keep it),
 *      so the workload cannot chroot its way back under the rootfs;
 *   4. applies the working directory, groups and user, no_new_privs;
 *   5. runs the command (found through PATH inside the rootfs) and stays as
 *      a tiny init: forwards signals to it, reaps every zombie, and exits
 *      with its status (128+N when killed by signal N; 126 when it cannot be
 *      executed, 127 when it is not found; 125 when sc-exec itself fails).
 *
 * Static, no library beyond libc, and no work in signal handlers: all
 * signals are blocked and taken synchronously (signalfd while waiting,
 * sigwaitinfo after). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/sc-exec.h"

void fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	fprintf(stderr, "sc-exec: %.*s\n", n, buf);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	struct options o = {0};
	int r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : EXIT_SC_FAILED;

	/* Block every asynchronous signal for good; faults stay deliverable. */
	sigset_t all, orig;
	sigfillset(&all);
	static const int synchronous[] = {SIGSEGV, SIGBUS,  SIGILL, SIGFPE,
					  SIGABRT, SIGTRAP, SIGSYS};
	for (size_t i = 0; i < sizeof(synchronous) / sizeof(synchronous[0]); i++)
		sigdelset(&all, synchronous[i]);
	if (sigprocmask(SIG_BLOCK, &all, &orig) < 0) {
		fail("sigprocmask: %s", strerror(errno));
		return EXIT_SC_FAILED;
	}

	unsigned long long new_id = 0;
	r = wait_for_rootfs(&o, &new_id);
	if (r != 0)
		return r;
	if (enter_rootfs(new_id) < 0)
		return EXIT_SC_FAILED;
	if (make_workdir(o.workdir) < 0)
		return EXIT_SC_FAILED;
	if (apply_identity(&o) < 0)
		return EXIT_SC_FAILED;
	if (getenv("PATH") == NULL && setenv("PATH", DEFAULT_PATH, 1) < 0) {
		fail("setenv PATH: %s", strerror(errno));
		return EXIT_SC_FAILED;
	}
	return run_init(o.argv, &all, &orig);
}
