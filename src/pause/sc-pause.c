/* sc-pause: keeps a container alive and does nothing else.
 *
 * It runs as PID 1 of the provider's rootfs container (and of the local test
 * cluster's pod sandboxes), so it must reap any child that is reparented to it
 * and exit promptly and cleanly on SIGTERM or SIGINT. Static, no library beyond
 * libc. All signals are blocked and collected synchronously with sigwaitinfo(),
 * so no work happens in a signal handler. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* SC_VERSION is the meson project version (a project-wide define).
 * hack/cluster/cluster.sh also compiles this one file on its own for the
 * local cluster's sandbox image; there it has no version. */
#ifndef SC_VERSION
#define SC_VERSION "0.0.0"
#endif

/* Copies this executable to dest (mode 0555). The provider pod's init
 * container runs `sc-pause --install /.sc-bin/sc-pause` from our scratch image,
 * which has no cp, to hand the binary to the user's image through an
 * emptyDir. Written to a temporary name and renamed, so a restarted init
 * container never leaves a half-written binary behind. */
static int install(const char *dest)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fprintf(stderr, "sc-pause: --install: path too long\n");
		return 1;
	}
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		perror("sc-pause: --install: opening /proc/self/exe");
		return 1;
	}
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0555);
	if (out < 0) {
		fprintf(stderr, "sc-pause: --install: creating %s: %s\n", tmp, strerror(errno));
		close(in);
		return 1;
	}
	char buf[65536];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("sc-pause: --install: reading /proc/self/exe");
			goto fail;
		}
		if (r == 0)
			break;
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				fprintf(stderr, "sc-pause: --install: writing %s: %s\n", tmp,
					strerror(errno));
				goto fail;
			}
			off += w;
		}
	}
	if (fchmod(out, 0555) != 0 || fsync(out) != 0 || close(out) != 0) {
		out = -1;
		fprintf(stderr, "sc-pause: --install: finishing %s: %s\n", tmp, strerror(errno));
		goto fail;
	}
	close(in);
	if (rename(tmp, dest) != 0) {
		fprintf(stderr, "sc-pause: --install: renaming to %s: %s\n", dest, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
fail:
	if (out >= 0)
		close(out);
	close(in);
	unlink(tmp);
	return 1;
}

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
			printf("sc-pause %s\n", SC_VERSION);
			return 0;
		}
		if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
			printf("Usage: sc-pause\n"
			       "       sc-pause --install DEST\n"
			       "Without arguments: sleeps until SIGTERM or SIGINT, reaping any "
			       "child, then exits 0.\n"
			       "--install DEST: copies this executable to DEST (mode 0555) and "
			       "exits.\n");
			return 0;
		}
		if (strcmp(argv[1], "--install") == 0) {
			if (argc != 3 || argv[2][0] == '\0') {
				fprintf(stderr, "sc-pause: --install needs one destination path\n");
				return 2;
			}
			return install(argv[2]);
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
