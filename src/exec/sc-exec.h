/* sc-exec's parts, shared between its files (main.c: the entry; args.c:
 * the arguments; mountinfo.c: waiting for and entering the stacked rootfs;
 * identity.c: user, groups and capabilities; init.c: the init loop). Static,
 * no library beyond libc. */
#ifndef SC_EXEC_H
#define SC_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define EXIT_SC_FAILED       125
#define EXIT_CANNOT_EXECUTE  126
#define EXIT_NOT_FOUND       127
#define DEFAULT_TIMEOUT_SECS 300
#define MAX_TIMEOUT_SECS     86400
#define MAX_GROUPS           64
#define DEFAULT_PATH         "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* args.c */
/* A decimal ID (UID or GID) of len bytes, refusing (uid_t)-1. */
bool parse_id(const char *s, size_t len, unsigned *out);
/* Returns 0 to go on, 1 to exit 0 (help, version), -1 on a usage error. */
int parse_args(int argc, char **argv, struct options *o);

/* mountinfo.c */
/* Wait for the rootfs; returns 0, or an exit status. */
int wait_for_rootfs(const struct options *o, unsigned long long *new_id);
int enter_rootfs(unsigned long long new_id);
int make_workdir(const char *dir);

/* identity.c */
int apply_identity(struct options *o);

/* init.c */
/* Runs argv as the child of this init until it exits; returns its exit
 * status. `all` is the blocked set, `orig` the mask to restore in the child. */
int run_init(char **argv, const sigset_t *all, const sigset_t *orig);

#endif
