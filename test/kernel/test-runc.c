/* Injection into real runc containers (runc from Debian; skipped when absent).
 * The consumer container is what Kubernetes would run: its own PID, IPC, UTS
 * and mount namespaces, runc's /proc masks, /dev, /sys, a bind-mounted
 * /etc/hosts, the default containerd capability set (with SYS_CHROOT), and a
 * cgroup laid out like the kubelet's cgroupfs driver. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/sc-inject.h"
#include "node/sc-overlay.h"
#include "node/sc-proc.h"
#include "sc-ktest.h"
#include "sc-test.h"

#define must(call, errp)                                                                   \
	do {                                                                               \
		if ((call) < 0)                                                            \
			sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(*(errp))); \
	} while (0)

#define POD "3f7c5b1e-2a4d-4c8e-9b1a-7d2e6f0a1c55"

static char *runc_root;
static char *cg_parent; /* relative cgroup parent of our containers */

static const char config_tmpl[] =
    "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
    "\"args\":[%s],\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/"
    "bin\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[%s],\"effective\":[%s],"
    "\"permitted\":[%s]},\"noNewPrivileges\":false},\"root\":{\"path\":\"rootfs\",\"readonly\":"
    "false},\"hostname\":\"sc-runc\",\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\","
    "\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":["
    "\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\","
    "\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":["
    "\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\","
    "\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"%s/hosts\",\"options\":["
    "\"rbind\",\"ro\"]},"
    "{\"destination\":\"/usr\",\"type\":\"bind\",\"source\":\"/usr\",\"options\":[\"rbind\","
    "\"ro\"]},"
    "{\"destination\":\"/sc\",\"type\":\"bind\",\"source\":\"" SC_BUILD_ROOT "\",\"options\":["
    "\"rbind\",\"ro\"]}],"
    "\"linux\":{\"cgroupsPath\":\"%s\",\"resources\":{\"devices\":[{\"allow\":false,"
    "\"access\":\"rwm\"}]},\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":"
    "\"uts\"},{\"type\":\"mount\"}],\"maskedPaths\":[\"/proc/acpi\",\"/proc/kcore\",\"/proc/"
    "keys\",\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/"
    "sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],\"readonlyPaths\":[\"/proc/bus\",\"/proc/"
    "fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}\n";

/* containerd's default capabilities */
static const char caps[] =
    "\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\","
    "\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\","
    "\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"";

struct bundle {
	char *dir, *id, *cid, *pidfile;
};

/* A consumer bundle: busybox, /usr from the host (so a sanitizer build's
 * dynamic sc-exec runs), the build directory at /sc. */
static void make_bundle(struct bundle *b, const char *name, const char *args_json)
{
	b->dir = sc_xasprintf("%s/runc-%s", sc_ktest_dir, name);
	b->id = sc_xasprintf("sc-ktest-%d-%s", (int)getpid(), name);
	/* a 64-hex container ID, as the kubelet's cgroup would carry */
	b->cid = sc_xasprintf("%064x", (unsigned)getpid() * 7919u + (unsigned)strlen(name));
	b->pidfile = sc_xasprintf("%s/pid", b->dir);
	cleanup_free char *rootfs = sc_xasprintf("%s/rootfs", b->dir);
	sc_ktest_make_busybox_layer(rootfs);
	SC_ASSERT_INT_EQ(sc_ktest_sh("set -e; r='%1$s'; mkdir -p $r/usr $r/sc $r/sys $r/etc; "
				     "touch $r/etc/hosts; ln -s usr/lib $r/lib; ln -s usr/lib64 "
				     "$r/lib64; echo consumer-image > $r/etc/os-release; echo "
				     "'127.0.0.1 sc-runc-hosts' > '%2$s/hosts'",
				     rootfs, b->dir),
			 0);
	cleanup_free char *cgpath =
	    sc_xasprintf("/%s/kubepods/besteffort/pod" POD "/%s", cg_parent, b->cid);
	cleanup_free char *cfg =
	    sc_xasprintf(config_tmpl, args_json, caps, caps, caps, b->dir, cgpath);
	cleanup_free char *cfgpath = sc_xasprintf("%s/config.json", b->dir);
	sc_ktest_write(cfgpath, cfg);
}

static void free_bundle(struct bundle *b)
{
	sc_ktest_sh("runc --root '%s' delete -f '%s' >/dev/null 2>&1", runc_root, b->id);
	free(b->dir);
	free(b->id);
	free(b->cid);
	free(b->pidfile);
}

static void make_instance(struct sc_ktest_instance *in, const char *name)
{
	char *root = sc_ktest_mkdir(name);
	in->lower[0] = sc_xasprintf("%s/layer", root);
	in->lower[1] = NULL;
	sc_ktest_make_busybox_layer(in->lower[0]);
	sc_ktest_instance_mount(in, root);
	free(root);
}

static bool pidfile_there(void *arg)
{
	struct bundle *b = arg;
	cleanup_free char *s = sc_ktest_read(b->pidfile);
	return s != NULL && s[0] != '\0';
}

static pid_t read_pid(struct bundle *b)
{
	cleanup_free char *s = sc_ktest_read(b->pidfile);
	long v = 0;
	if (s == NULL || sc_parse_long(s, 1, 0x7fffffff, &v) < 0)
		sc_test_fail(__FILE__, __LINE__, "bad pid file %s", b->pidfile);
	return (pid_t)v;
}

/* Find the container's init through its cgroup, as the mount-helper does,
 * check it is runc's, and inject. */
static void find_and_inject(struct bundle *b, struct sc_ktest_instance *in)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_container_process struct sc_container_process p = {.pidfd = -1};
	must(sc_proc_find_container("/proc", POD, b->cid, &p, &err), &err);
	SC_ASSERT_INT_EQ(p.pid, read_pid(b));
	struct sc_inject_request req = {
	    .pid = p.pid, .pidfd = p.pidfd, .overlay_path = in->rootfs, .upperdir = in->upper};
	struct sc_inject_result res;
	must(sc_inject_rootfs(&req, &res, &err), &err);
	sc_inject_result_free(&res);
}

SC_TEST(runc_exec_lands_in_rootfs_with_container_proc_and_dev)
{
	struct bundle b;
	make_bundle(&b, "exec", "\"/bin/sleep\",\"1000\"");
	SC_ASSERT_INT_EQ(sc_ktest_sh("cd '%s' && runc --root '%s' run -d --pid-file '%s' '%s' "
				     "</dev/null >/dev/null",
				     b.dir, runc_root, b.pidfile, b.id),
			 0);
	struct sc_ktest_instance in;
	make_instance(&in, "runc-exec-inst");
	find_and_inject(&b, &in);
	/* `runc exec` is what `kubectl exec` does: it lands in the rootfs */
	cleanup_free char *out = sc_xasprintf("%s/out", b.dir);
	SC_ASSERT_INT_EQ(sc_ktest_sh("runc --root '%s' exec '%s' sh -c 'cat /etc/os-release; cat "
				     "/proc/1/cmdline | tr \"\\0\" \" \"; echo; stat -c %%t:%%T "
				     "/proc/keys; test -c /dev/pts/ptmx && echo pts; test -d "
				     "/dev/mqueue && echo mqueue; cat /etc/hosts; hostname; echo "
				     "via-runc > /written' > '%s'",
				     runc_root, b.id, out),
			 0);
	cleanup_free char *o = sc_ktest_read(out);
	SC_ASSERT_STR_EQ(o, "sc-test-image\n/bin/sleep 1000 \n1:3\npts\nmqueue\n127.0.0.1 "
			    "sc-runc-hosts\nsc-runc\n");
	cleanup_free char *w = sc_xasprintf("%s/written", in.upper);
	cleanup_free char *wc = sc_ktest_read(w);
	SC_ASSERT_STR_EQ(wc, "via-runc\n");
	sc_ktest_sh("runc --root '%s' kill '%s' KILL >/dev/null 2>&1", runc_root, b.id);
	free_bundle(&b);
	sc_ktest_instance_free(&in);
}

SC_TEST(sc_exec_as_pid1_of_a_runc_container)
{
	struct bundle b;
	make_bundle(
	    &b, "scexec",
	    "\"/sc/src/exec/sc-exec\",\"--timeout\",\"30\",\"--node\",\"ktest\",\"--\","
	    "\"sh\",\"-c\",\"cat /proc/1/cmdline > /pid1; cat /etc/os-release > /seen; exit 3\"");
	fflush(stdout);
	pid_t runc = fork();
	if (runc == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		if (chdir(b.dir) < 0)
			_exit(90);
		execlp("runc", "runc", "--root", runc_root, "run", "--pid-file", b.pidfile, b.id,
		       (char *)NULL);
		_exit(91);
	}
	if (!sc_ktest_wait(pidfile_there, &b, 20000))
		sc_test_fail(__FILE__, __LINE__, "runc did not start the container within 20 s");
	struct sc_ktest_instance in;
	make_instance(&in, "runc-scexec-inst");
	find_and_inject(&b, &in);
	int st;
	SC_ASSERT_INT_EQ(waitpid(runc, &st, 0), runc);
	SC_ASSERT(WIFEXITED(st));
	SC_ASSERT_INT_EQ(WEXITSTATUS(st), 3); /* runc run returns the container's status */
	cleanup_free char *seen = sc_xasprintf("%s/seen", in.upper);
	cleanup_free char *s = sc_ktest_read(seen);
	SC_ASSERT_STR_EQ(s, "sc-test-image\n");
	cleanup_free char *pid1 = sc_xasprintf("%s/pid1", in.upper);
	cleanup_free char *p = sc_ktest_read(pid1);
	/* PID 1 of the container is sc-exec (its first argument; NUL ends it) */
	SC_ASSERT_STR_EQ(p, "/sc/src/exec/sc-exec");
	free_bundle(&b);
	sc_ktest_instance_free(&in);
}

static void cleanup_cgroups(void)
{
	sc_ktest_sh("for h in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -d \"$h/%s\" ] && find "
		    "\"$h/%s\" -depth -type d -exec rmdir {} + 2>/dev/null; done; true",
		    cg_parent, cg_parent);
}

int main(void)
{
	sc_ktest_init();
	if (sc_ktest_sh("command -v runc >/dev/null") != 0) {
		printf("1..0 # SKIP runc is not installed\n");
		return 0;
	}
	runc_root = sc_xasprintf("%s/runc-state", sc_ktest_dir);
	cg_parent = sc_xasprintf("sc-ktest-runc-%d", (int)getpid());
	atexit(cleanup_cgroups);
	return sc_test_run();
}
