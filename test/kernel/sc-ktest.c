#include "sc-ktest.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/sc-kernel.h"
#include "node/sc-mountinfo.h"
#include "node/sc-overlay.h"

char *sc_ktest_dir;
bool sc_ktest_classic;

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* Containers still running at exit (a failed assertion skips the test's own
 * cleanup) are killed here. */
#define MAX_CONTAINERS 64
static pid_t started[MAX_CONTAINERS];

static void cleanup_dir(void)
{
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		if (started[i] > 0) {
			kill(started[i], SIGKILL);
			waitpid(started[i], NULL, 0);
		}
	}
	if (sc_ktest_dir == NULL)
		return;
	umount2(sc_ktest_dir, MNT_DETACH);
	rmdir(sc_ktest_dir);
}

void sc_ktest_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (mount namespaces, overlayfs)\n");
		exit(0);
	}
	const char *classic = getenv("SC_KTEST_CLASSIC_OVERLAY");
	sc_ktest_classic = classic != NULL && strcmp(classic, "1") == 0;
	sc_kernel_force_classic_overlay(sc_ktest_classic);
	char *kernel = sc_kernel_describe();
	fprintf(stderr, "%s%s\n", kernel, sc_ktest_classic ? " (classic lowerdir= forced)" : "");
	free(kernel);
	if (unshare(CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("making / private");
	char tmpl[] = "/tmp/sc-ktest-XXXXXX";
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	sc_ktest_dir = sc_xstrdup(tmpl);
	atexit(cleanup_dir);
	if (mount("tmpfs", sc_ktest_dir, "tmpfs", 0, "mode=0700") < 0)
		die("mounting a tmpfs on the scratch directory");
}

int sc_ktest_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *cmd = sc_xvasprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	int st = system(cmd);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void sc_ktest_write(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");
	if (f == NULL)
		die(path);
	fputs(content, f);
	fclose(f);
}

char *sc_ktest_read(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return sc_xstrdup(buf);
}

bool sc_ktest_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

bool sc_ktest_wait(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
	long long deadline = sc_now_ms() + timeout_ms;
	for (;;) {
		if (cond(arg))
			return true;
		if (sc_now_ms() >= deadline)
			return false;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

char *sc_ktest_mkdir(const char *name)
{
	char *p = sc_xasprintf("%s/%s", sc_ktest_dir, name);
	if (sc_ktest_sh("mkdir -p '%s'", p) != 0)
		die(p);
	return p;
}

void sc_ktest_instance_mount(struct sc_ktest_instance *in, const char *root)
{
	in->upper = sc_xasprintf("%s/upper", root);
	in->work = sc_xasprintf("%s/work", root);
	in->rootfs = sc_xasprintf("%s/rootfs", root);
	if (sc_ktest_sh("mkdir -p '%s' '%s' '%s' && chmod 755 '%s'", in->upper, in->work,
			in->rootfs, in->upper) != 0)
		die("making the instance's directories");
	struct sc_overlay_spec s = {.lowerdirs = in->lower,
				    .upperdir = in->upper,
				    .workdir = in->work,
				    .target = in->rootfs};
	cleanup_error sc_error_t err = NULL;
	if (sc_overlay_mount(&s, &err) < 0) {
		printf("Bail out! mounting the instance overlay: %s\n", sc_error_message(err));
		fflush(stdout);
		exit(1);
	}
}

void sc_ktest_instance_free(struct sc_ktest_instance *in)
{
	umount2(in->rootfs, MNT_DETACH);
	for (size_t i = 0; i < SC_ARRAY_SIZE(in->lower) && in->lower[i] != NULL; i++)
		free(in->lower[i]);
	free(in->upper);
	free(in->work);
	free(in->rootfs);
}

void sc_ktest_make_busybox_layer(const char *dir)
{
	if (sc_ktest_sh("set -e; mkdir -p '%1$s/bin' '%1$s/proc' '%1$s/dev' '%1$s/etc' '%1$s/tmp'"
			" && cp /bin/busybox '%1$s/bin/busybox' && for a in sh cat echo ls "
			"sleep id pwd grep kill true false touch mkdir wc tr head; do ln -s "
			"busybox '%1$s/bin/'$a; done && echo sc-test-image > '%1$s/etc/os-release'",
			dir) != 0)
		die("making the busybox layer");
}

struct start_args {
	const char *dir;
	char *const *argv;
	bool shared_root;
	int ready_fd;
};

static int check(int r, const char *what, int fd)
{
	if (r < 0) {
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
		ssize_t w SC_UNUSED = write(fd, msg, (size_t)n);
		_exit(1);
	}
	return r;
}

static int container_main(void *arg)
{
	struct start_args *a = arg;
	int fd = a->ready_fd;
	char p[4096], q[4096];
#define AT(sub)  (snprintf(p, sizeof(p), "%s/%s", a->dir, sub), p)
#define AT2(sub) (snprintf(q, sizeof(q), "%s/%s", a->dir, sub), q)
	/* die with the test, whatever happens to it */
	check(prctl(PR_SET_PDEATHSIG, SIGKILL), "pdeathsig", fd);
	check(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "private /", fd);
	check(mount(a->dir, a->dir, NULL, MS_BIND | MS_REC, NULL), "bind root", fd);
	check(mount("/usr", AT("usr"), NULL, MS_BIND | MS_REC, NULL), "bind /usr", fd);
	check(mount(NULL, AT("usr"), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), "ro /usr", fd);
	check(mount(SC_BUILD_ROOT, AT("sc"), NULL, MS_BIND, NULL), "bind build dir", fd);
	check(mount("proc", AT("proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "proc",
	      fd);
	check(mount("tmpfs", AT("dev"), "tmpfs", MS_NOSUID, "mode=755"), "tmpfs /dev", fd);
	check(close(open(AT("dev/null"), O_CREAT | O_WRONLY | O_CLOEXEC, 0666)), "dev/null", fd);
	check(mount("/dev/null", AT("dev/null"), NULL, MS_BIND, NULL), "bind /dev/null", fd);
	check(close(open(AT("dev/sc-dev-marker"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), "marker",
	      fd);
	check(close(open(AT("dev/termination-log"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)),
	      "termination-log", fd);
	check(
	    mount(AT("hostside/termination-log"), AT2("dev/termination-log"), NULL, MS_BIND, NULL),
	    "bind termination-log", fd);
	check(mkdir(AT("dev/pts"), 0755), "mkdir pts", fd);
	check(mount("devpts", AT("dev/pts"), "devpts", MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=620"),
	      "devpts", fd);
	/* masked paths, as runc does */
	check(mount(AT("dev/null"), AT2("proc/keys"), NULL, MS_BIND, NULL), "mask keys", fd);
	check(mount(AT("dev/null"), AT2("proc/timer_list"), NULL, MS_BIND, NULL), "mask timers",
	      fd);
	check(
	    mount("sysfs", AT("sys"), "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
	    "sysfs", fd);
	check(mount(AT("hostside/hosts"), AT2("etc/hosts"), NULL, MS_BIND, NULL), "hosts", fd);
	check(mount(AT("hostside/volume"), AT2("data"), NULL, MS_BIND, NULL), "volume", fd);
	check(chdir(a->dir), "chdir", fd);
	check((int)syscall(SYS_pivot_root, ".", ".oldroot"), "pivot_root", fd);
	check(chdir("/"), "chdir /", fd);
	check(umount2("/.oldroot", MNT_DETACH), "umount old root", fd);
	check(rmdir("/.oldroot"), "rmdir old root", fd);
	if (a->shared_root)
		check(mount(NULL, "/", NULL, MS_SHARED, NULL), "shared /", fd);
#undef AT
#undef AT2
	execv(a->argv[0], a->argv);
	check(-1, a->argv[0], fd);
	return 1;
}

void sc_fake_container_start(struct sc_fake_container *c, const char *name, char *const *argv,
			     bool shared_root)
{
	memset(c, 0, sizeof(*c));
	c->pidfd = -1;
	c->dir = sc_xasprintf("%s/ctr-%s", sc_ktest_dir, name);
	if (sc_ktest_sh(
		"set -e; d='%s'; mkdir -p $d/usr $d/sc $d/proc $d/dev $d/sys $d/etc $d/data "
		"$d/.oldroot $d/hostside/volume && ln -s usr/bin $d/bin && ln -s usr/lib "
		"$d/lib && ln -s usr/lib64 $d/lib64 && ln -s usr/sbin $d/sbin && touch "
		"$d/etc/hosts && echo '127.0.0.1 sc-container-hosts' > $d/hostside/hosts "
		"&& echo volume-data > $d/hostside/volume/file && touch "
		"$d/hostside/termination-log",
		c->dir) != 0)
		die("preparing the fake container");
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe");
	struct start_args a = {
	    .dir = c->dir, .argv = argv, .shared_root = shared_root, .ready_fd = pfd[1]};
	size_t stack_size = 256 * 1024;
	char *stack = sc_xmalloc(stack_size);
	fflush(stdout);
	pid_t pid =
	    clone(container_main, stack + stack_size, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, &a);
	if (pid < 0)
		die("clone");
	close(pfd[1]);
	char msg[512];
	ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	free(stack);
	if (n > 0) {
		msg[n] = '\0';
		printf("Bail out! fake container: %s\n", msg);
		exit(1);
	}
	c->pid = pid;
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		if (started[i] <= 0) {
			started[i] = pid;
			break;
		}
	}
	c->pidfd = pidfd_open(pid, 0);
	if (c->pidfd < 0)
		die("pidfd_open");
}

static void forget(pid_t pid)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (started[i] == pid)
			started[i] = 0;
}

int sc_fake_container_wait(struct sc_fake_container *c, int timeout_ms)
{
	long long deadline = sc_now_ms() + timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid) {
			forget(c->pid);
			c->pid = 0;
			return st;
		}
		if (sc_now_ms() >= deadline) {
			sc_fake_container_kill(c);
			return -1;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

void sc_fake_container_kill(struct sc_fake_container *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		forget(c->pid);
		c->pid = 0;
	}
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	free(c->dir);
	c->dir = NULL;
}

int sc_ktest_count_mounts(const char *prefix)
{
	struct sc_mountinfo mi = {0};
	sc_error_t err = NULL;
	if (sc_mountinfo_read("/proc/self/mountinfo", &mi, &err) < 0) {
		sc_error_release(&err);
		return -1;
	}
	int n = 0;
	for (size_t i = 0; i < mi.n; i++)
		if (sc_str_has_prefix(mi.mounts[i].mount_point, prefix))
			n++;
	sc_mountinfo_free(&mi);
	return n;
}
