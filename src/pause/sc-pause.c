/* sc-pause: keeps a container alive and does nothing else.
 *
 * It runs as PID 1 of the provider's rootfs container (and of the local test
 * cluster's pod sandboxes), so it must reap any child that is reparented to it
 * and exit promptly and cleanly on SIGTERM or SIGINT. Static, no library beyond
 * libc. All signals are blocked and collected synchronously with sigwaitinfo(),
 * so no work happens in a signal handler. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SC_PAUSE_VERSION "0.1.0"

static void reap_children(void)
{
	/* WNOHANG: several children may have exited behind one SIGCHLD. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0) {
			printf("sc-pause %s\n", SC_PAUSE_VERSION);
			return 0;
		}
		if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
			printf("Usage: sc-pause\n"
			       "Sleeps until SIGTERM or SIGINT, reaping any child. Exits 0.\n");
			return 0;
		}
		fprintf(stderr, "sc-pause: unexpected argument '%s' (try --help)\n", argv[1]);
		return 2;
	}

	sigset_t all;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) != 0) {
		perror("sc-pause: sigprocmask");
		return 1;
	}
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			perror("sc-pause: sigwaitinfo");
			return 1;
		}
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			return 0;
		case SIGCHLD:
			reap_children();
			break;
		default:
			/* Everything else (SIGHUP, SIGUSR1, ...) is ignored on purpose:
			 * a pause container has nothing to reload. */
			break;
		}
	}
}
