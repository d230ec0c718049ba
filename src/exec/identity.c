/* sc-exec's identity for the command: the user and groups looked up in the
 * rootfs's /etc/passwd and /etc/group, the capabilities dropped,
 * no_new_privs. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec/sc-exec.h"

#ifndef CAP_SYS_CHROOT
#define CAP_SYS_CHROOT 18
#endif

#define DB_LINE_MAX  4096
#define DB_MAX_LINES 100000

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

/* Looks up a passwd (fields == 7) or group (fields == 4) entry in f (the
 * rootfs's /etc/passwd or /etc/group), by name (key_is_name) or by number. Fills fields[] with
 * pointers into line. Returns 1 when found, 0 when not, -1 on a read error.
 * Strict and bounded: lines are at most DB_LINE_MAX bytes, files at most
 * DB_MAX_LINES lines, and a line with the wrong field count is skipped. */
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

/* The passwd side of --user USER (a name or a bare UID): sets o->uid, and
 * o->gid from the entry (GID 0 for a bare UID without one). When an entry
 * was found, copies its name into name and sets *named. 0, or -1 after
 * fail(). */
static int resolve_uid(struct options *o, FILE *passwd, const char *spec, char *name,
		       size_t name_size, bool *named)
{
	char line[DB_LINE_MAX];
	char *pw[7];
	unsigned id;
	bool numeric = is_number(spec, strlen(spec));
	int found = passwd ? db_find(passwd, 7, spec, !numeric, line, pw) : 0;
	if (found < 0) {
		fail("reading /etc/passwd in the rootfs: malformed or unreadable");
		return -1;
	}
	if (numeric) {
		if (!parse_id(spec, strlen(spec), &id)) {
			fail("--user %s: UID out of range", o->user);
			return -1;
		}
		o->uid = id;
		o->gid = 0;
	} else if (found == 0) {
		fail("user \"%s\" not found in /etc/passwd of the rootfs", spec);
		return -1;
	} else if (!parse_id(pw[2], strlen(pw[2]), &id)) {
		fail("/etc/passwd of the rootfs: bad UID for user \"%s\"", spec);
		return -1;
	} else {
		o->uid = id;
	}
	if (found == 1) {
		unsigned g;
		if (parse_id(pw[3], strlen(pw[3]), &g))
			o->gid = g;
		snprintf(name, name_size, "%s", pw[0]);
		*named = true;
	}
	return 0;
}

/* The GROUP of --user USER:GROUP (a name or a GID): sets o->gid. 0, or -1
 * after fail(). */
static int resolve_gid(struct options *o, FILE *groupf, const char *group)
{
	char line[DB_LINE_MAX];
	char *gr[4];
	unsigned id;
	if (is_number(group, strlen(group))) {
		if (!parse_id(group, strlen(group), &id)) {
			fail("--user %s: GID out of range", o->user);
			return -1;
		}
		o->gid = id;
	} else {
		int g = groupf ? db_find(groupf, 4, group, true, line, gr) : 0;
		if (g <= 0 || !parse_id(gr[2], strlen(gr[2]), &id)) {
			fail("group \"%s\" not found in /etc/group of the rootfs", group);
			return -1;
		}
		o->gid = id;
	}
	return 0;
}

/* Supplementary groups: the primary one, every group listing the user
 * (user_name, NULL for none), then the --groups ones (already in o->groups,
 * moved to the end). */
static void supplementary_groups(struct options *o, FILE *groupf, const char *user_name)
{
	char line[DB_LINE_MAX];
	char *gr[4];
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
	FILE *passwd = fopen("/etc/passwd", "re");
	FILE *groupf = fopen("/etc/group", "re");
	char name[64];
	bool named = false;
	int ret = -1;
	if (resolve_uid(o, passwd, spec, name, sizeof(name), &named) == 0 &&
	    (group == NULL || resolve_gid(o, groupf, group) == 0)) {
		supplementary_groups(o, groupf, named ? name : NULL);
		ret = 0;
	}
	if (passwd)
		fclose(passwd);
	if (groupf)
		fclose(groupf);
	return ret;
}

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

int apply_identity(struct options *o)
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
