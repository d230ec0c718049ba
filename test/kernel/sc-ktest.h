/* Helpers for the real-kernel tests (suite "kernel").
 *
 * Every test binary calls sc_ktest_init() first: without root it prints a TAP
 * "1..0 # SKIP" plan and exits; with root it moves the whole test process into
 * a private mount namespace (unshare + make "/" recursively private), so no
 * mount made by a test can reach the host even if the test crashes, and gives
 * it a scratch directory under /tmp carrying its own tmpfs, removed at exit.
 *
 * A "fake container" is what runc would make, reduced: a child in new mount and
 * PID namespaces, pivot_root'ed into a directory that has the host's /usr
 * (read-only; so dynamic binaries of a sanitizer build run too), the build
 * directory at /sc, its own /proc with masked paths (/proc/keys and
 * /proc/timer_list bound to /dev/null, as runc does), its own tmpfs /dev with a
 * marker file and a devpts, a read-only /sys, a bind-mounted /etc/hosts and a
 * /data volume. */
#ifndef SC_KTEST_H
#define SC_KTEST_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/sc-util.h"

extern char *sc_ktest_dir; /* the scratch directory (on a tmpfs) */
/* SC_KTEST_CLASSIC_OVERLAY=1 in the environment: overlays are mounted with
 * the classic lowerdir= option even where the kernel has lowerdir+ (meson
 * runs the overlay and injection tests both ways). */
extern bool sc_ktest_classic;

void sc_ktest_init(void);
/* Run a shell command (printf-style); returns its exit status. */
int sc_ktest_sh(const char *fmt, ...) SC_PRINTF(1, 2);
/* Write a file (creating parents is the caller's job). */
void sc_ktest_write(const char *path, const char *content);
/* Read a small file into a new string, or NULL. */
char *sc_ktest_read(const char *path);
/* Wait until cond(arg) is true, at most timeout_ms; false on timeout. Polls
 * every 10 ms: a bounded wait for a condition, never a fixed sleep. */
bool sc_ktest_wait(bool (*cond)(void *arg), void *arg, int timeout_ms);
bool sc_ktest_exists(const char *path);
/* A fresh directory below sc_ktest_dir. */
char *sc_ktest_mkdir(const char *name);
/* Make an image layer: busybox (static) with a few applets, plus marker. */
void sc_ktest_make_busybox_layer(const char *dir);

/* An instance overlay as the mount-helper mounts one: the test makes the
 * lower layers (lower[], NULL-terminated, top first), then
 * sc_ktest_instance_mount creates upper, work and rootfs under root and
 * mounts the overlay on rootfs. */
struct sc_ktest_instance {
	char *lower[3];
	char *upper, *work, *rootfs;
};
void sc_ktest_instance_mount(struct sc_ktest_instance *in, const char *root);
/* Unmounts it and frees the paths. */
void sc_ktest_instance_free(struct sc_ktest_instance *in);

struct sc_fake_container {
	pid_t pid; /* PID 1 of the container, as seen from the test */
	int pidfd;
	char *dir; /* its directory (old root) */
	bool shared_root;
};
/* Start a fake container running argv (paths inside the container; the build
 * directory is at /sc). With shared_root its "/" is made shared (a runtime
 * would not do that; used to test the refusal). Returns when argv has been
 * exec'd. */
void sc_fake_container_start(struct sc_fake_container *c, const char *name, char *const *argv,
			     bool shared_root);
/* Wait for it to exit (at most timeout_ms); returns its wait status, or -1
 * on timeout (then it is killed). */
int sc_fake_container_wait(struct sc_fake_container *c, int timeout_ms);
void sc_fake_container_kill(struct sc_fake_container *c);

/* Count the mounts in /proc/self/mountinfo whose mount point starts with
 * prefix. */
int sc_ktest_count_mounts(const char *prefix);

#endif
