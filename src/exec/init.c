/* sc-exec as a tiny init: runs the command as its child, forwards signals
 * to it, reaps every zombie, and exits with the command's status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/sc-exec.h"

/* Whether process pid ignores sig (its SigIgn mask in /proc/PID/status). */
static bool ignores(pid_t pid, int sig)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *line = strstr(buf, "\nSigIgn:");
	if (line == NULL)
		return false;
	unsigned long long mask = strtoull(line + 8, NULL, 16);
	return (mask >> (sig - 1)) & 1;
}

/* A stop (SIGTERM) of an interactive shell on a terminal: the shell ignores
 * SIGTERM and obeys a hangup, which is what closing its terminal sends, so
 * it gets SIGHUP and SIGCONT as the kernel sends them on a hangup. Only
 * then: a command that handles or takes SIGTERM gets SIGTERM alone. */
static void forward(pid_t child, int sig, bool on_tty)
{
	kill(child, sig);
	if (sig == SIGTERM && on_tty && ignores(child, SIGTERM)) {
		kill(child, SIGHUP);
		kill(child, SIGCONT);
	}
}

static void run_child(char **argv, const sigset_t *orig)
{
	/* Back to the mask we started with: the command must receive signals. */
	sigprocmask(SIG_SETMASK, orig, NULL);
	execvp(argv[0], argv);
	int e = errno;
	if (e == ENOENT || e == ENOTDIR) {
		if (strchr(argv[0], '/') != NULL)
			fail("cannot run \"%s\": not found in the rootfs", argv[0]);
		else
			fail("cannot run \"%s\": not found in PATH (%s) inside the rootfs", argv[0],
			     getenv("PATH"));
		_exit(EXIT_NOT_FOUND);
	}
	fail("cannot run \"%s\": %s", argv[0], strerror(e));
	_exit(EXIT_CANNOT_EXECUTE);
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_SC_FAILED;
}

int run_init(char **argv, const sigset_t *all, const sigset_t *orig)
{
	const bool on_tty = isatty(STDIN_FILENO);
	pid_t child = fork();
	if (child < 0) {
		fail("fork: %s", strerror(errno));
		return EXIT_SC_FAILED;
	}
	if (child == 0)
		run_child(argv, orig);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(all, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fail("sigwaitinfo: %s", strerror(errno));
			kill(child, SIGKILL);
			return EXIT_SC_FAILED;
		}
		if (sig != SIGCHLD) {
			/* Forward everything else (SIGTERM on pod deletion, SIGINT,
			 * SIGHUP, SIGUSR1, SIGWINCH, ...) to the command. */
			forward(child, sig, on_tty);
			continue;
		}
		/* Several children may have exited behind one SIGCHLD: reap all,
		 * including orphans reparented to us as PID 1. */
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);
			if (p <= 0)
				break;
			if (p == child) {
				/* The command is done. Reap what is already dead;
				 * the rest of the container dies with its PID 1. */
				while (waitpid(-1, NULL, WNOHANG) > 0)
					;
				return exit_code_of(status);
			}
		}
	}
}
