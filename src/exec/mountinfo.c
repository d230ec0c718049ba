/* sc-exec's wait for the rootfs the mount-helper stacks on this container's
 * root (poll(POLLPRI) on /proc/self/mountinfo), and the way into it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec/sc-exec.h"

#define MOUNTINFO_MAX (16 * 1024 * 1024)

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int mount_id_of(int dirfd, const char *path, unsigned long long *id)
{
	struct statx stx;
	if (statx(dirfd, path, AT_SYMLINK_NOFOLLOW | (path[0] ? 0 : AT_EMPTY_PATH), STATX_MNT_ID,
		  &stx) < 0)
		return -1;
	if (!(stx.stx_mask & STATX_MNT_ID)) {
		errno = ENOSYS;
		return -1;
	}
	*id = stx.stx_mnt_id;
	return 0;
}

/* Read the whole mountinfo (it changes between reads: read it in one go from
 * offset 0 each time). */
static char *read_mountinfo(int fd, size_t *len)
{
	size_t alloc = 65536, used = 0;
	char *buf = malloc(alloc);
	if (buf == NULL)
		return NULL;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (used + 4096 > alloc) {
			if (alloc >= MOUNTINFO_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			alloc *= 2;
			char *nb = realloc(buf, alloc);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + used, alloc - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

/* Look for a mount whose parent is root_id and whose mount point is "/":
 * the rootfs stacked on our root. Only the first five fields are needed:
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..."; a mount point of exactly "/" has
 * no escapes. */
static bool find_stacked(const char *data, unsigned long long root_id, unsigned long long *found)
{
	const char *line = data;
	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *end;
		errno = 0;
		unsigned long long id = strtoull(line, &end, 10);
		if (errno == 0 && end != line && *end == ' ') {
			const char *p = end + 1;
			unsigned long long parent = strtoull(p, &end, 10);
			if (errno == 0 && end != p && *end == ' ') {
				/* skip MAJ:MIN and ROOT */
				p = end + 1;
				const char *sp = memchr(p, ' ', len - (size_t)(p - line));
				if (sp != NULL)
					sp = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line));
				if (sp != NULL && parent == root_id && id != root_id &&
				    (size_t)(sp + 1 - line) + 2 <= len && sp[1] == '/' &&
				    sp[2] == ' ') {
					*found = id;
					return true;
				}
			}
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return false;
}

int wait_for_rootfs(const struct options *o, unsigned long long *new_id)
{
	const char *node = o->node && *o->node ? o->node : "this node";
	unsigned long long root_id;
	if (mount_id_of(AT_FDCWD, "/", &root_id) < 0) {
		fail("cannot read the mount ID of / (statx STATX_MNT_ID): %s", strerror(errno));
		return EXIT_SC_FAILED;
	}
	int mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mi < 0) {
		fail("cannot open /proc/self/mountinfo: %s", strerror(errno));
		return EXIT_SC_FAILED;
	}
	/* Stop requests while waiting (the pod is deleted before the rootfs
	 * arrived) end sc-exec at once. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	int sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fail("signalfd: %s", strerror(errno));
		close(mi);
		return EXIT_SC_FAILED;
	}
	long long deadline = now_ms() + o->timeout_secs * 1000;
	int ret = -1;
	for (;;) {
		size_t len = 0;
		char *data = read_mountinfo(mi, &len);
		if (data == NULL) {
			fail("reading /proc/self/mountinfo: %s", strerror(errno));
			ret = EXIT_SC_FAILED;
			break;
		}
		bool found = find_stacked(data, root_id, new_id);
		free(data);
		if (found) {
			ret = 0;
			break;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			fail("timed out after %lds waiting for the StoppableContainer rootfs on "
			     "node "
			     "%s: no mount has been stacked on this container's root (mount %llu); "
			     "is the mount-helper running on %s, and did the provider's rootfs "
			     "become ready?",
			     o->timeout_secs, node, root_id, node);
			ret = EXIT_SC_FAILED;
			break;
		}
		struct pollfd pf[2] = {{.fd = mi, .events = POLLPRI},
				       {.fd = sfd, .events = POLLIN}};
		int r = poll(pf, 2, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR) {
			fail("poll on /proc/self/mountinfo: %s", strerror(errno));
			ret = EXIT_SC_FAILED;
			break;
		}
		if (r > 0 && (pf[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				fail("stopped by signal %u before the rootfs was ready",
				     si.ssi_signo);
				ret = 128 + (int)si.ssi_signo;
				break;
			}
		}
	}
	close(sfd);
	close(mi);
	return ret;
}

int enter_rootfs(unsigned long long new_id)
{
	/* "/.." from the root: the walk stays on the root dentry, and since a
	 * mount is stacked on it, steps onto the topmost mount there. */
	int fd = open("/..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fail("opening /.. (the stacked rootfs): %s", strerror(errno));
		return -1;
	}
	unsigned long long id;
	if (mount_id_of(fd, "", &id) < 0 || id != new_id) {
		fail("/.. is mount %llu, not the stacked rootfs %llu", id, new_id);
		close(fd);
		return -1;
	}
	if (fchdir(fd) < 0 || chroot(".") < 0) {
		fail("chroot into the rootfs: %s%s", strerror(errno),
		     errno == EPERM ? " (the container needs the SYS_CHROOT capability)" : "");
		close(fd);
		return -1;
	}
	close(fd);
	if (chdir("/") < 0 || mount_id_of(AT_FDCWD, "/", &id) < 0 || id != new_id) {
		fail("after chroot, / is not the stacked rootfs");
		return -1;
	}
	return 0;
}

/* mkdir -p of an absolute path, as root inside the rootfs (like the runtime
 * does for a container's workingDir). */
int make_workdir(const char *dir)
{
	if (chdir(dir) == 0)
		return 0;
	if (errno != ENOENT) {
		fail("working directory %s: %s", dir, strerror(errno));
		return -1;
	}
	char path[PATH_MAX];
	size_t l = strlen(dir);
	if (l >= sizeof(path)) {
		fail("working directory %s: path too long", dir);
		return -1;
	}
	memcpy(path, dir, l + 1);
	for (size_t i = 1; i <= l; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			fail("creating working directory %s: %s", path, strerror(errno));
			return -1;
		}
		path[i] = c;
	}
	if (chdir(dir) < 0) {
		fail("working directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
