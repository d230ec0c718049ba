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
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SC_EXEC_VERSION      "0.1.0"
#define EXIT_SC_FAILED       125
#define EXIT_CANNOT_EXECUTE  126
#define EXIT_NOT_FOUND       127
#define DEFAULT_TIMEOUT_SECS 300
#define MAX_TIMEOUT_SECS     86400
#define MAX_GROUPS           64
#define MOUNTINFO_MAX        (16 * 1024 * 1024)
#define DEFAULT_PATH         "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#ifndef CAP_SYS_CHROOT
#define CAP_SYS_CHROOT 18
#endif

static const char usage_text[] =
    "Usage: sc-exec [OPTIONS] -- COMMAND [ARG...]\n"
    "\n"
    "PID 1 of a StoppableContainer consumer: waits until the mount-helper has\n"
    "stacked the persistent rootfs on this container's root, enters it, and runs\n"
    "COMMAND inside it as a tiny init (forwards signals, reaps zombies).\n"
    "\n"
    "Options:\n"
    "  --timeout SECS      wait at most SECS (1-86400) for the rootfs (default 300)\n"
    "  --workdir DIR       working directory inside the rootfs, created if missing\n"
    "                      (default /)\n"
    "  --user USER[:GROUP] user and group to run COMMAND as, numeric or names\n"
    "                      looked up in the rootfs's /etc/passwd and /etc/group\n"
    "                      (default: stay root). A name brings its primary group\n"
    "                      and the groups that list it; a bare UID gets GID 0\n"
    "  --groups G1,G2,...  numeric supplementary groups, added to the user's own\n"
    "                      (as a Pod's supplementalGroups are)\n"
    "  --non-root          refuse to run COMMAND as UID 0 (runAsNonRoot)\n"
    "  --cap-drop CAP      drop a capability (NET_RAW, CAP_NET_RAW, or ALL) from\n"
    "                      every set; may be repeated\n"
    "  --no-new-privs      set no_new_privs (allowPrivilegeEscalation: false)\n"
    "  --keep-chroot-cap   keep CAP_SYS_CHROOT in the bounding set (dropped by default)\n"
    "  --node NAME         node name for error messages (default: $NODE_NAME)\n"
    "  -h, --help          show this help\n"
    "  -v, --version       show the version\n"
    "\n"
    "COMMAND is looked up in PATH inside the rootfs (PATH defaults to\n" DEFAULT_PATH ").\n"
    "Exit status: COMMAND's; 128+N if it was killed by signal N; 126 if it could\n"
    "not be executed; 127 if it was not found; 125 if sc-exec itself failed.\n";

struct options {
	long timeout_secs;
	const char *workdir;
	bool have_user;
	const char *user; /* as given; resolved inside the rootfs */
	uid_t uid;
	gid_t gid;
	bool non_root;
	unsigned long long cap_drop; /* bit N: drop capability N */
	bool have_groups;
	gid_t groups[MAX_GROUPS];
	size_t ngroups;
	bool no_new_privs;
	bool keep_chroot_cap;
	const char *node;
	char **argv;
};

/* One clear line on stderr. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
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

static bool parse_num(const char *s, long min, long max, long *out)
{
	if (s == NULL || *s == '\0')
		return false;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_id(const char *s, size_t len, unsigned *out)
{
	char tmp[16];
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	long v;
	/* 4294967295 is (uid_t)-1, "no change" for set*id: refuse it */
	if (!parse_num(tmp, 0, 4294967294L, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* Capability names, indexed by number (linux/capability.h). */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
#define CAP_COUNT (sizeof(cap_names) / sizeof(cap_names[0]))

static bool parse_cap(const char *s, unsigned long long *mask)
{
	if (strcasecmp(s, "ALL") == 0) {
		*mask = ~0ULL;
		return true;
	}
	if (strncasecmp(s, "CAP_", 4) == 0)
		s += 4;
	for (size_t i = 0; i < CAP_COUNT; i++) {
		if (strcasecmp(s, cap_names[i]) == 0) {
			*mask |= 1ULL << i;
			return true;
		}
	}
	return false;
}

/* USER or USER:GROUP, each numeric or a POSIX-ish name: nothing a path,
 * an option or a passwd line could be smuggled through. */
static bool valid_name_or_id(const char *s, size_t len)
{
	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || (c == '-' && i > 0) ||
			  (c == '$' && i == len - 1);
		if (!ok)
			return false;
	}
	return true;
}

static bool valid_user_spec(const char *s)
{
	const char *colon = strchr(s, ':');
	if (colon == NULL)
		return valid_name_or_id(s, strlen(s));
	return valid_name_or_id(s, (size_t)(colon - s)) &&
	       valid_name_or_id(colon + 1, strlen(colon + 1));
}

/* Returns 0 to go on, 1 to exit 0 (help, version), -1 on a usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
	o->timeout_secs = DEFAULT_TIMEOUT_SECS;
	o->workdir = "/";
	o->node = getenv("NODE_NAME");
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
			printf("sc-exec %s\n", SC_EXEC_VERSION);
			return 1;
		}
		if (strcmp(a, "--no-new-privs") == 0) {
			o->no_new_privs = true;
			continue;
		}
		if (strcmp(a, "--keep-chroot-cap") == 0) {
			o->keep_chroot_cap = true;
			continue;
		}
		if (strcmp(a, "--non-root") == 0) {
			o->non_root = true;
			continue;
		}
		bool takes = strcmp(a, "--timeout") == 0 || strcmp(a, "--workdir") == 0 ||
			     strcmp(a, "--user") == 0 || strcmp(a, "--groups") == 0 ||
			     strcmp(a, "--node") == 0 || strcmp(a, "--cap-drop") == 0;
		if (!takes) {
			fail("unknown option \"%s\" (try --help)", a);
			return -1;
		}
		if (val == NULL) {
			fail("option %s needs a value (try --help)", a);
			return -1;
		}
		i++;
		if (strcmp(a, "--timeout") == 0) {
			if (!parse_num(val, 1, MAX_TIMEOUT_SECS, &o->timeout_secs)) {
				fail("--timeout \"%s\": expected whole seconds from 1 to %d", val,
				     MAX_TIMEOUT_SECS);
				return -1;
			}
		} else if (strcmp(a, "--workdir") == 0) {
			if (val[0] != '/') {
				fail("--workdir \"%s\": must be an absolute path", val);
				return -1;
			}
			o->workdir = val;
		} else if (strcmp(a, "--user") == 0) {
			if (!valid_user_spec(val)) {
				fail("--user \"%s\": expected USER or USER:GROUP, each a number or "
				     "a name of letters, digits, '_', '-' and '.'",
				     val);
				return -1;
			}
			o->have_user = true;
			o->user = val;
		} else if (strcmp(a, "--cap-drop") == 0) {
			if (!parse_cap(val, &o->cap_drop)) {
				fail("--cap-drop \"%s\": not a capability name (like NET_RAW or "
				     "ALL)",
				     val);
				return -1;
			}
		} else if (strcmp(a, "--groups") == 0) {
			o->have_groups = true;
			o->ngroups = 0;
			const char *s = val;
			while (*s != '\0') {
				const char *comma = strchr(s, ',');
				size_t l = comma ? (size_t)(comma - s) : strlen(s);
				unsigned g;
				if (o->ngroups == MAX_GROUPS || !parse_id(s, l, &g)) {
					fail("--groups \"%s\": expected up to %d numeric GIDs "
					     "separated by commas",
					     val, MAX_GROUPS);
					return -1;
				}
				o->groups[o->ngroups++] = g;
				s += l + (comma ? 1 : 0);
				if (comma != NULL && *s == '\0') {
					fail("--groups \"%s\": trailing comma", val);
					return -1;
				}
			}
		} else {
			o->node = val;
		}
	}
	if (i >= argc) {
		fail("no command given (usage: sc-exec [OPTIONS] -- COMMAND [ARG...])");
		return -1;
	}
	o->argv = argv + i;
	return 0;
}

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

/* Wait for the rootfs; returns 0, or an exit status. */
static int wait_for_rootfs(const struct options *o, unsigned long long *new_id)
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

static int enter_rootfs(unsigned long long new_id)
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
static int make_workdir(const char *dir)
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

#define DB_LINE_MAX  4096
#define DB_MAX_LINES 100000

/* Looks up a passwd (fields == 7) or group (fields == 4) entry in `path`
 * inside the rootfs, by name (key_is_name) or by number. Fills fields[] with
 * pointers into line. Returns 1 when found, 0 when not, -1 on a read error.
 * Strict and bounded: lines are at most DB_LINE_MAX bytes, files at most
 * DB_MAX_LINES lines, and a line with the wrong field count is skipped. */
/* Reads the next line of f into line and splits it at ':' into exactly
 * nfields fields. Returns 1 for a well-formed line, 0 for one to skip,
 * -1 at the end, -2 on an over-long line or a read error. */
static int db_next(FILE *f, int nfields, char *line, char **fields)
{
	if (fgets(line, DB_LINE_MAX, f) == NULL)
		return ferror(f) ? -2 : -1;
	size_t l = strlen(line);
	if (l > 0 && line[l - 1] == '\n')
		line[--l] = '\0';
	else if (!feof(f))
		return -2; /* over-long line: refuse rather than guess */
	int k = 0;
	char *p = line;
	fields[k++] = p;
	while (k < nfields && (p = strchr(p, ':')) != NULL) {
		*p++ = '\0';
		fields[k++] = p;
	}
	return k == nfields && strchr(fields[nfields - 1], ':') == NULL ? 1 : 0;
}

static int db_find(FILE *f, int nfields, const char *key, bool key_is_name, char *line,
		   char **fields)
{
	rewind(f);
	for (int n = 0; n < DB_MAX_LINES; n++) {
		int r = db_next(f, nfields, line, fields);
		if (r == -1)
			return 0;
		if (r == -2)
			return -1;
		if (r == 1 && strcmp(key_is_name ? fields[0] : fields[2], key) == 0)
			return 1;
	}
	return 0;
}

static bool is_number(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Resolves --user inside the rootfs, as `docker run --user` does: a name
 * gives its UID, primary GID and the groups listing it; a bare UID gets its
 * passwd entry's group if any, else GID 0. Called after the chroot. */
static int resolve_user(struct options *o)
{
	char spec[80];
	snprintf(spec, sizeof(spec), "%s", o->user);
	char *group = strchr(spec, ':');
	if (group != NULL)
		*group++ = '\0';
	char line[DB_LINE_MAX];
	char *pw[7], *gr[4];
	FILE *passwd = fopen("/etc/passwd", "re");
	FILE *groupf = fopen("/etc/group", "re");
	int ret = -1;
	const char *user_name = NULL;
	char name_buf[64];
	unsigned id;
	bool numeric = is_number(spec, strlen(spec));
	int found = passwd ? db_find(passwd, 7, spec, !numeric, line, pw) : 0;
	if (found < 0) {
		fail("reading /etc/passwd in the rootfs: malformed or unreadable");
		goto out;
	}
	if (numeric) {
		if (!parse_id(spec, strlen(spec), &id)) {
			fail("--user %s: UID out of range", o->user);
			goto out;
		}
		o->uid = id;
		o->gid = 0;
	} else if (found == 0) {
		fail("user \"%s\" not found in /etc/passwd of the rootfs", spec);
		goto out;
	} else if (!parse_id(pw[2], strlen(pw[2]), &id)) {
		fail("/etc/passwd of the rootfs: bad UID for user \"%s\"", spec);
		goto out;
	} else {
		o->uid = id;
	}
	if (found == 1) {
		unsigned g;
		if (parse_id(pw[3], strlen(pw[3]), &g))
			o->gid = g;
		snprintf(name_buf, sizeof(name_buf), "%s", pw[0]);
		user_name = name_buf;
	}
	if (group != NULL) {
		if (is_number(group, strlen(group))) {
			if (!parse_id(group, strlen(group), &id)) {
				fail("--user %s: GID out of range", o->user);
				goto out;
			}
			o->gid = id;
		} else {
			int g = groupf ? db_find(groupf, 4, group, true, line, gr) : 0;
			if (g <= 0 || !parse_id(gr[2], strlen(gr[2]), &id)) {
				fail("group \"%s\" not found in /etc/group of the rootfs", group);
				goto out;
			}
			o->gid = id;
		}
	}
	/* Supplementary groups: the primary one, every group listing the user,
	 * then the --groups ones (already in o->groups, moved to the end). */
	{
		gid_t extra[MAX_GROUPS];
		size_t nextra = o->ngroups;
		memcpy(extra, o->groups, nextra * sizeof(gid_t));
		o->ngroups = 0;
		o->groups[o->ngroups++] = o->gid;
		if (user_name != NULL && groupf != NULL) {
			rewind(groupf);
			for (int n = 0; n < DB_MAX_LINES && o->ngroups < MAX_GROUPS; n++) {
				int r = db_next(groupf, 4, line, gr);
				if (r < 0)
					break;
				unsigned g;
				if (r == 0 || !parse_id(gr[2], strlen(gr[2]), &g) || g == o->gid)
					continue;
				char *save = NULL;
				for (char *m = strtok_r(gr[3], ",", &save); m != NULL;
				     m = strtok_r(NULL, ",", &save)) {
					if (strcmp(m, user_name) == 0) {
						o->groups[o->ngroups++] = g;
						break;
					}
				}
			}
		}
		for (size_t i = 0; i < nextra && o->ngroups < MAX_GROUPS; i++) {
			bool dup = false;
			for (size_t j = 0; j < o->ngroups; j++)
				dup = dup || o->groups[j] == extra[i];
			if (!dup)
				o->groups[o->ngroups++] = extra[i];
		}
	}
	ret = 0;
out:
	if (passwd)
		fclose(passwd);
	if (groupf)
		fclose(groupf);
	return ret;
}

/* Removes the dropped capabilities from the bounding set (what execve can
 * grant) and clears the ambient set. Needs CAP_SETPCAP in the effective set,
 * so it runs before the user changes. */
static int drop_bounding_caps(unsigned long long drop)
{
	for (unsigned c = 0; c < 64; c++) {
		if (!(drop & (1ULL << c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
			fail("dropping capability %u from the bounding set: %s", c,
			     strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		fail("clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes them from the inheritable set too (for root, inheritable
 * capabilities survive execve whatever the bounding set says) and from our
 * effective and permitted sets. Only lowers sets, so it needs no privilege
 * and runs after the user changed (dropping SETUID earlier would block it). */
static int drop_process_caps(unsigned long long drop)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0) {
		fail("capget: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		unsigned keep = ~(unsigned)(drop >> (32 * i));
		data[i].effective &= keep;
		data[i].permitted &= keep;
		data[i].inheritable &= keep;
	}
	if (syscall(SYS_capset, &hdr, data) < 0) {
		fail("capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int apply_identity(struct options *o)
{
	unsigned long long drop = o->cap_drop;
	if (!o->keep_chroot_cap)
		drop |= 1ULL << CAP_SYS_CHROOT;
	if (drop_bounding_caps(drop) < 0)
		return -1;
	/* Groups given without a user are root's groups plus those. */
	if (o->have_groups && !o->have_user) {
		o->have_user = true;
		o->user = "0";
	}
	if (o->have_user && resolve_user(o) < 0)
		return -1;
	if (o->non_root && (!o->have_user || o->uid == 0)) {
		fail("runAsNonRoot is set, but the workload would run as root (set runAsUser, or "
		     "a non-root USER in the image)");
		return -1;
	}
	if (o->have_user || o->have_groups) {
		if (setgroups(o->ngroups, o->ngroups ? o->groups : NULL) < 0) {
			fail("setgroups: %s", strerror(errno));
			return -1;
		}
	}
	if (o->have_user) {
		if (setgid(o->gid) < 0) {
			fail("setgid %u: %s", (unsigned)o->gid, strerror(errno));
			return -1;
		}
		if (setuid(o->uid) < 0) {
			fail("setuid %u: %s", (unsigned)o->uid, strerror(errno));
			return -1;
		}
	}
	if (drop_process_caps(drop) < 0)
		return -1;
	if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		fail("setting no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

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

	const bool on_tty = isatty(STDIN_FILENO);
	pid_t child = fork();
	if (child < 0) {
		fail("fork: %s", strerror(errno));
		return EXIT_SC_FAILED;
	}
	if (child == 0)
		run_child(o.argv, &orig);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
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
