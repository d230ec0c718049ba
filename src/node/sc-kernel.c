#include "node/sc-kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/sc-util.h"
#include "node/sc-proc.h"
#include "node/sc-syscall.h"

static struct sc_kernel kernel;
static bool force_classic;
static char unsupported[256];

/* A floor feature: probe() returns 0 when the kernel has it. */
struct feature {
	const char *what; /* as the message names it */
	const char *since;
	int (*probe)(void);
};

static int probe_mount_api(void)
{
	int fd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	/* move_mount and fsmount: EBADF on a bad fd, ENOSYS when absent */
	if (move_mount(-1, "", -1, "", 0) < 0 && errno == ENOSYS)
		return -1;
	if (fsmount(-1, 0, 0) < 0 && errno == ENOSYS)
		return -1;
	return 0;
}

static int probe_overlay(void)
{
	int fd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int probe_openat2(void)
{
	int fd = sc_sys_openat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0,
				RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int probe_pidfd(void)
{
	int fd = pidfd_open(getpid(), 0);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int setns_own_pidfd(void *arg, sc_error_t *err)
{
	(void)arg;
	cleanup_close int fd = pidfd_open(getpid(), 0);
	if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "setns on a pidfd");
	return 0;
}

static int probe_setns_pidfd(void)
{
	sc_error_t err = NULL;
	int r = sc_run_in_child(setns_own_pidfd, NULL, 10000, &err);
	/* the child's errno, for the caller's EPERM rule (before 5.8 it is
	 * EINVAL, whoever asks) */
	if (r < 0 && err != NULL)
		errno = err->code;
	sc_error_release(&err);
	return r;
}

static int probe_statx_mnt_id(void)
{
	cleanup_close int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool root;
	sc_error_t err = NULL;
	int r = fd < 0 ? -1 : sc_fd_is_mount_root(fd, &root, NULL, &err);
	sc_error_release(&err);
	return r;
}

static const struct feature floor_features[] = {
    {"the new mount API (open_tree, move_mount, fsmount)", "5.2", probe_mount_api},
    {"the overlay filesystem (fsopen \"overlay\")", "any", probe_overlay},
    {"openat2 with RESOLVE_ flags", "5.6", probe_openat2},
    {"pidfd_open", "5.3", probe_pidfd},
    {"setns on a pidfd", "5.8", probe_setns_pidfd},
    {"statx with STATX_MNT_ID", "5.8", probe_statx_mnt_id},
};

/* lowerdir+ by fd: fsconfig accepts it at once where the kernel knows it
 * (6.13; 6.8 to 6.12 take lowerdir+ only as a path string, EBADF for an
 * fd); older kernels refuse the key (or, before 6.5, any fd value). */
static bool probe_overlay_fd_layers(void)
{
	cleanup_close int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	cleanup_close int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs < 0 || dir < 0)
		return false;
	return fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, dir) == 0;
}

static void set_missing(const char *what, const char *since, const char *why)
{
	kernel.missing = what;
	snprintf(unsupported, sizeof(unsupported),
		 "kernel %s lacks %s (Linux %s; %s); StoppableContainer needs Linux 5.10 or "
		 "later",
		 kernel.release, what, since, why);
}

void sc_kernel_pretend_missing(const char *what, const char *since)
{
	(void)sc_kernel();
	set_missing(what, since, "pretended by a test");
	kernel.overlay_fd_layers = false;
}

int sc_kernel_probe(sc_error_t *err)
{
	struct utsname u;
	if (uname(&u) < 0)
		return sc_error_make_errno(err, "uname");
	memset(&kernel, 0, sizeof(kernel));
	snprintf(kernel.release, sizeof(kernel.release), "%s", u.release);
	unsupported[0] = '\0';
	for (size_t i = 0; i < SC_ARRAY_SIZE(floor_features); i++) {
		errno = 0;
		/* EPERM: the kernel has it, the caller lacks the privilege
		 * (tests run as a user; the mount-helper is root). */
		if (floor_features[i].probe() == 0 || errno == EPERM)
			continue;
		set_missing(floor_features[i].what, floor_features[i].since,
			    errno ? strerror(errno) : "unavailable");
		break;
	}
	kernel.overlay_fd_layers = kernel.missing == NULL && probe_overlay_fd_layers();
	kernel.probed = true;
	return 0;
}

const struct sc_kernel *sc_kernel(void)
{
	if (!kernel.probed) {
		sc_error_t err = NULL;
		if (sc_kernel_probe(&err) < 0)
			sc_error_release(&err);
	}
	return &kernel;
}

bool sc_kernel_overlay_fd_layers(void)
{
	return sc_kernel()->overlay_fd_layers && !force_classic;
}

const char *sc_kernel_unsupported(void)
{
	(void)sc_kernel();
	return unsupported;
}

char *sc_kernel_describe(void)
{
	const struct sc_kernel *k = sc_kernel();
	if (k->missing != NULL)
		return sc_xasprintf("kernel %s: unsupported: %s", k->release, unsupported);
	return sc_xasprintf("kernel %s: overlay layers %s; stacking in a scratch mount "
			    "namespace",
			    k->release,
			    sc_kernel_overlay_fd_layers()
				? "by fd (lowerdir+)"
				: "as relative paths (classic lowerdir=)");
}

void sc_kernel_force_classic_overlay(bool classic)
{
	force_classic = classic;
}
