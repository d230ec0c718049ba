/* The runtime path with real runc (Debian's; skipped when absent): a
 * container whose spec carries sc-rootfs-hook as a createRuntime hook, as
 * the mount-helper's NRI plugin adds it, starts its own command in the
 * instance's persistent rootfs — no sc-exec, no chroot, no capability:
 * runc's own user, working directory, capabilities and no_new_privs apply —
 * with runc's /proc (masks), /dev, /sys, /etc/hosts and a volume on it. A
 * file written survives the container and is seen by the next one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/sc-overlay.h"
#include "sc-ktest.h"
#include "sc-test.h"

#define must(call, errp)                                                                   \
	do {                                                                               \
		if ((call) < 0)                                                            \
			sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(*(errp))); \
	} while (0)

static char *runc_root;

/* A restricted-like process: uid 1000, no capability at all, no_new_privs,
 * a working directory that only the persistent rootfs has. */
static const char config_tmpl[] =
    "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":false,\"user\":{\"uid\":1000,"
    "\"gid\":1000,\"additionalGids\":[3000]},\"args\":[\"/bin/sh\",\"-c\",\"%s\"],\"env\":["
    "\"PATH=/bin\"],\"cwd\":\"/home/dev\",\"capabilities\":{\"bounding\":[],\"effective\":[],"
    "\"permitted\":[]},\"noNewPrivileges\":true},\"root\":{\"path\":\"rootfs\",\"readonly\":"
    "false},\"hostname\":\"sc-hook\",\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\","
    "\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":["
    "\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\","
    "\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"%s/hosts\",\"options\":["
    "\"rbind\",\"ro\"]},"
    "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"%s/volume\",\"options\":["
    "\"rbind\",\"rw\"]}],"
    "\"hooks\":{\"createRuntime\":[{\"path\":\"" SC_BUILD_ROOT "/src/nri/sc-rootfs-hook\","
    "\"args\":[\"sc-rootfs-hook\",\"--overlay\",\"%s\",\"--upperdir\",\"%s\"]}]},"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":"
    "\"mount\"}],\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\"],\"readonlyPaths\":[\"/proc/"
    "sys\"]}}\n";

static void make_instance(struct sc_ktest_instance *in, const char *name)
{
	char *root = sc_ktest_mkdir(name);
	in->lower[0] = sc_xasprintf("%s/layer", root);
	in->lower[1] = NULL;
	sc_ktest_make_busybox_layer(in->lower[0]);
	/* the user's home exists only in the persistent rootfs, owned by them */
	SC_ASSERT_INT_EQ(sc_ktest_sh("mkdir -p '%1$s/home/dev' && chown 1000:1000 '%1$s/home/dev'",
				     in->lower[0]),
			 0);
	sc_ktest_instance_mount(in, root);
	free(root);
}

/* A bundle whose own rootfs is another "image" (marker consumer-image, no
 * /home): what the workload sees tells which rootfs it runs in. Runs it to
 * completion; returns runc's exit status. */
static int run_bundle(const char *name, const struct sc_ktest_instance *in, const char *script,
		      char **err_out)
{
	cleanup_free char *dir = sc_xasprintf("%s/bundle-%s", sc_ktest_dir, name);
	cleanup_free char *rootfs = sc_xasprintf("%s/rootfs", dir);
	sc_ktest_make_busybox_layer(rootfs);
	SC_ASSERT_INT_EQ(
	    sc_ktest_sh("set -e; d='%s'; echo consumer-image > $d/rootfs/etc/os-release; "
			"touch $d/rootfs/etc/hosts; mkdir -p $d/rootfs/sys $d/volume; "
			"chmod 777 $d/volume; echo '127.0.0.1 sc-hook-hosts' > $d/hosts",
			dir),
	    0);
	cleanup_free char *cfg = sc_xasprintf(config_tmpl, script, dir, dir, in->rootfs, in->upper);
	cleanup_free char *cfgpath = sc_xasprintf("%s/config.json", dir);
	sc_ktest_write(cfgpath, cfg);
	cleanup_free char *errpath = sc_xasprintf("%s/runc.err", dir);
	int rc = sc_ktest_sh("cd '%s' && runc --root '%s' run 'sc-ktest-%d-%s' </dev/null "
			     ">/dev/null 2>'%s'",
			     dir, runc_root, (int)getpid(), name, errpath);
	if (err_out)
		*err_out = sc_ktest_read(errpath);
	sc_ktest_sh("runc --root '%s' delete -f 'sc-ktest-%d-%s' >/dev/null 2>&1", runc_root,
		    (int)getpid(), name);
	return rc;
}

SC_TEST(the_runtime_starts_the_workload_in_the_persistent_rootfs)
{
	struct sc_ktest_instance in;
	make_instance(&in, "hook-inst");
	cleanup_free char *runc_err = NULL;
	int rc =
	    run_bundle("first", &in,
		       "{ id; pwd; cat /etc/os-release; cat /proc/1/comm; "
		       "cat /etc/hosts; grep -c . /proc/keys; grep CapEff /proc/self/status; "
		       "grep NoNewPrivs /proc/self/status; ls -d /dev/pts; echo vol > /data/v; "
		       "} > /home/dev/out 2>&1; echo persisted > /home/dev/file",
		       &runc_err);
	SC_ASSERT_INT_EQ(rc, 0);
	cleanup_free char *outpath = sc_xasprintf("%s/home/dev/out", in.upper);
	cleanup_free char *out = sc_ktest_read(outpath);
	SC_ASSERT_STR_EQ(out, "uid=1000 gid=1000 groups=3000\n"
			      "/home/dev\n"
			      "sc-test-image\n"
			      "sh\n" /* PID 1 is the workload's own shell */
			      "127.0.0.1 sc-hook-hosts\n"
			      "0\n"
			      "CapEff:\t0000000000000000\n"
			      "NoNewPrivs:\t1\n"
			      "/dev/pts\n");
	cleanup_free char *volpath = sc_xasprintf("%s/bundle-first/volume/v", sc_ktest_dir);
	cleanup_free char *vol = sc_ktest_read(volpath);
	SC_ASSERT_STR_EQ(vol, "vol\n");
	/* Nothing of the volume, /proc or the hosts file went into the upper. */
	cleanup_free char *leaked = sc_xasprintf("%s/data/v", in.upper);
	SC_ASSERT(!sc_ktest_exists(leaked));

	/* "Stop and start": a new container over the same instance sees it. */
	rc = run_bundle("second", &in, "cat /home/dev/file > /home/dev/seen", NULL);
	SC_ASSERT_INT_EQ(rc, 0);
	cleanup_free char *seenpath = sc_xasprintf("%s/home/dev/seen", in.upper);
	cleanup_free char *seen = sc_ktest_read(seenpath);
	SC_ASSERT_STR_EQ(seen, "persisted\n");
	sc_ktest_instance_free(&in);
}

SC_TEST(a_failing_hook_fails_the_container_with_its_reason)
{
	struct sc_ktest_instance in;
	make_instance(&in, "hook-bad");
	umount2(in.rootfs, MNT_DETACH); /* the instance's overlay is not mounted */
	cleanup_free char *runc_err = NULL;
	int rc = run_bundle("bad", &in, "echo ran > /home/dev/ran", &runc_err);
	SC_ASSERT(rc != 0);
	SC_ASSERT_STR_CONTAINS(runc_err, "sc-rootfs-hook:");
	SC_ASSERT_STR_CONTAINS(runc_err, "is not mounted");
	cleanup_free char *ran = sc_xasprintf("%s/home/dev/ran", in.upper);
	SC_ASSERT(!sc_ktest_exists(ran));
	sc_ktest_instance_free(&in);
}

SC_TEST(the_hook_refuses_bad_usage_and_bad_state)
{
	cleanup_free char *hook = sc_xstrdup(SC_BUILD_ROOT "/src/nri/sc-rootfs-hook");
	SC_ASSERT_INT_EQ(sc_ktest_sh("'%s' --overlay /x </dev/null 2>/dev/null", hook), 2);
	SC_ASSERT_INT_EQ(sc_ktest_sh("echo '{\"pid\":0,\"bundle\":\"/b\"}' | '%s' --overlay /x "
				     "--upperdir /y 2>/dev/null",
				     hook),
			 1);
	cleanup_free char *out = sc_xasprintf("%s/hook.err", sc_ktest_dir);
	SC_ASSERT_INT_EQ(sc_ktest_sh("echo '{\"pid\":1,\"bundle\":\"rel\"}' | '%s' --overlay /x "
				     "--upperdir /y 2>'%s'",
				     hook, out),
			 1);
	cleanup_free char *msg = sc_ktest_read(out);
	SC_ASSERT_STR_CONTAINS(msg, "bundle");
	SC_ASSERT_INT_EQ(
	    sc_ktest_sh("echo 'not json' | '%s' --overlay /x --upperdir /y 2>/dev/null", hook), 1);
}

int main(void)
{
	sc_ktest_init();
	if (sc_ktest_sh("command -v runc >/dev/null") != 0) {
		printf("1..0 # SKIP runc is not installed\n");
		return 0;
	}
	runc_root = sc_xasprintf("%s/runc-state", sc_ktest_dir);
	return sc_test_run();
}
