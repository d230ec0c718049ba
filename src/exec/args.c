/* sc-exec's arguments: options, capability names, user specs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec/sc-exec.h"

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

bool parse_id(const char *s, size_t len, unsigned *out)
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

/* --groups G1,G2,...: numeric GIDs. */
static int parse_groups(const char *val, struct options *o)
{
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
	return 0;
}

/* The value `val` of an option `a` that takes one; 0 or -1 on a usage
 * error. */
static int parse_value(const char *a, const char *val, struct options *o)
{
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
		return parse_groups(val, o);
	} else {
		o->node = val;
	}
	return 0;
}

int parse_args(int argc, char **argv, struct options *o)
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
			printf("sc-exec %s\n", SC_VERSION);
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
		if (parse_value(a, val, o) < 0)
			return -1;
	}
	if (i >= argc) {
		fail("no command given (usage: sc-exec [OPTIONS] -- COMMAND [ARG...])");
		return -1;
	}
	o->argv = argv + i;
	return 0;
}
