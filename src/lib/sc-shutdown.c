#include "lib/sc-shutdown.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static atomic_bool requested;
static int wake_pipe[2] = {-1, -1};

/* Called from a signal handler: async-signal-safe work only. */
static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&requested, true);
	ssize_t r SC_UNUSED = write(wake_pipe[1], "x", 1);
}

int sc_shutdown_install(sc_error_t *err)
{
	if (pipe2(wake_pipe, O_CLOEXEC) != 0)
		return sc_error_make_errno(err, "creating the shutdown pipe");
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		return sc_error_make_errno(err, "installing signal handlers");
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void sc_shutdown_wait(void)
{
	char b;
	while (!atomic_load(&requested)) {
		ssize_t r = read(wake_pipe[0], &b, 1);
		if (r < 0 && errno != EINTR)
			break;
	}
}

const atomic_bool *sc_shutdown_flag(void)
{
	return &requested;
}
