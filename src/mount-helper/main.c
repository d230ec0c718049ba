/* sc-mount-helper: the node agent, the only privileged component. This file
 * parses arguments, enters the host's mount namespace and wires the parts. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sc-api.h"
#include "lib/sc-flags.h"
#include "lib/sc-httpd.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-kubeconfig.h"
#include "lib/sc-log.h"
#include "lib/sc-shutdown.h"
#include "lib/sc-validate.h"
#include "mount-helper/agent.h"
#include "mount-helper/nri.h"
#include "node/sc-kernel.h"
#include "node/sc-proc.h"

static const char usage[] =
    "Usage: sc-mount-helper --node-name NODE [OPTIONS]\n"
    "\n"
    "The StoppableContainer node agent: prepares each instance's persistent\n"
    "rootfs on this node, stacks it on the workload's root, and removes it when\n"
    "the StoppableContainer is deleted. It acts only on what the API server says.\n"
    "\n"
    "Options:\n"
    "  --node-name NODE        this node's name (required; env NODE_NAME)\n"
    "  --allowed-prefix DIR    a hostPathPrefix the agent accepts; may be repeated\n"
    "                          (default: /var/lib/stoppablecontainer)\n"
    "  --containerd-root DIR   containerd's root directory, for image configs\n"
    "                          (default: /var/lib/containerd)\n"
    "  --proc DIR              the host's /proc (default: /proc)\n"
    "  --runtime-task-dir DIR  containerd's task state of the k8s.io namespace:\n"
    "                          a container's init PID is read from\n"
    "                          DIR/<container-id>/init.pid and checked, instead\n"
    "                          of scanning /proc (default:\n"
    "                          " SC_PROC_DEFAULT_TASK_DIR ";\n"
    "                          \"\" always scans)\n"
    "  --host-mount-namespace PATH\n"
    "                          enter this mount namespace first (default:\n"
    "                          /proc/1/ns/mnt, when it is not ours already;\n"
    "                          \"none\" to stay)\n"
    "  --nri-socket PATH       the runtime's NRI socket: serve the runtime path\n"
    "                          (restricted Pod Security) through it (default:\n"
    "                          /var/run/nri/nri.sock, used once it exists;\n"
    "                          \"none\" off)\n"
    "  --rootfs-hook PATH      sc-rootfs-hook to install on the host, in\n"
    "                          <first --allowed-prefix>/.bin (default:\n"
    "                          /sc-rootfs-hook)\n"
    "  --kubeconfig PATH       kubeconfig (default: in-cluster, else $KUBECONFIG,\n"
    "                          else ~/.kube/config)\n"
    "  --context NAME          kubeconfig context\n"
    "  --health-addr ADDR      /metrics /healthz /readyz (default: :8081; \"0\" off)\n"
    "  --resync-period SECONDS queue every instance again this often, so each\n"
    "                          converges whatever event was missed (default: 60;\n"
    "                          0 never; env SC_RESYNC_PERIOD)\n"
    "  -v, --v N               log verbosity (default: 0; env SC_LOG_VERBOSITY)\n"
    "  --log-format FORMAT     json (one object a line, the default) or text\n"
    "                          (env SC_LOG_FORMAT)\n"
    "  -h, --help              this text\n"
    "      --version           print the version\n";

static bool ready(void *data, const char **why)
{
	struct sc_agent **a = data;
	if (sc_kernel_unsupported()[0] != '\0') {
		*why = sc_kernel_unsupported();
		return false;
	}
	if (*a == NULL) {
		*why = "starting";
		return false;
	}
	return sc_agent_healthy(*a, why);
}

/* Enters the host's mount namespace, so host paths (containerd's layers, the
 * state directory) mean what they say. Must run before any thread exists:
 * setns(CLONE_NEWNS) refuses a multi-threaded caller. */
static int enter_mount_namespace(const char *path, sc_error_t *err)
{
	struct stat ours, theirs;
	if (stat("/proc/self/ns/mnt", &ours) < 0)
		return sc_error_make_errno(err, "stat /proc/self/ns/mnt");
	if (stat(path, &theirs) < 0)
		return sc_error_make_errno(err, "stat %s", path);
	if (ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev)
		return 0;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sc_error_make_errno(err, "opening %s", path);
	if (setns(fd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err,
					   "entering the mount namespace %s (the agent "
					   "must run privileged with hostPID)",
					   path);
	if (chdir("/") < 0)
		return sc_error_make_errno(err, "chdir /");
	SC_LOG_INFO("entered the host mount namespace %s", path);
	return 1;
}

/* What the command line and the environment ask for. */
struct mh_args {
	const char *node, *containerd_root, *proc_root, *hostns, *kubeconfig, *context, *health;
	const char *task_dir, *nri_socket, *rootfs_hook, *log_format, *log_format_from;
	char *prefixes[17];
	size_t nprefixes;
	long verbosity, resync_s;
};

/* A step's outcome: go on, or exit with this status. */
#define MH_CONTINUE SC_FLAGS_CONTINUE

enum {
	OPT_NODE = 256,
	OPT_PREFIX,
	OPT_CONTAINERD,
	OPT_PROC,
	OPT_TASK_DIR,
	OPT_HOSTNS,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_HEALTH,
	OPT_RESYNC,
	OPT_NRI,
	OPT_HOOK
};

/* The defaults, then the environment's settings. */
static int parse_env(struct mh_args *a)
{
	*a = (struct mh_args){.node = getenv("NODE_NAME"),
			      .containerd_root = "/var/lib/containerd",
			      .proc_root = "/proc",
			      .hostns = "/proc/1/ns/mnt",
			      .health = ":8081",
			      .task_dir = SC_PROC_DEFAULT_TASK_DIR,
			      .nri_socket = "/var/run/nri/nri.sock",
			      .rootfs_hook = "/sc-rootfs-hook",
			      .resync_s = 60};
	const char *env_resync = getenv("SC_RESYNC_PERIOD");
	if (env_resync && *env_resync && sc_parse_long(env_resync, 0, 86400, &a->resync_s) < 0) {
		fprintf(stderr, "sc-mount-helper: SC_RESYNC_PERIOD: want 0 to 86400, got \"%s\"\n",
			env_resync);
		return 2;
	}
	const char *env_v = getenv("SC_LOG_VERBOSITY");
	if (env_v && *env_v && sc_parse_long(env_v, 0, 10, &a->verbosity) < 0) {
		fprintf(stderr, "sc-mount-helper: SC_LOG_VERBOSITY: want 0 to 10, got \"%s\"\n",
			env_v);
		return 2;
	}
	a->log_format = getenv("SC_LOG_FORMAT");
	a->log_format_from = "SC_LOG_FORMAT";
	return MH_CONTINUE;
}

/* One flag that is not a plain string. */
static int parse_option(void *data, int c, char *arg)
{
	struct mh_args *a = data;
	switch (c) {
	case OPT_PREFIX:
		if (a->nprefixes == 16) {
			fprintf(stderr, "sc-mount-helper: at most 16 --allowed-prefix\n");
			return 2;
		}
		a->prefixes[a->nprefixes++] = arg;
		return MH_CONTINUE;
	case OPT_RESYNC:
		if (sc_parse_long(arg, 0, 86400, &a->resync_s) < 0) {
			fprintf(stderr,
				"sc-mount-helper: --resync-period: want 0 to 86400 seconds, "
				"got \"%s\"\n",
				arg);
			return 2;
		}
		return MH_CONTINUE;
	case SC_FLAG_LOG_FORMAT:
		a->log_format = arg;
		a->log_format_from = "--log-format";
		return MH_CONTINUE;
	case SC_FLAG_VERBOSITY:
		if (sc_parse_long(arg, 0, 10, &a->verbosity) < 0) {
			fprintf(stderr, "sc-mount-helper: -v: want 0 to 10, got \"%s\"\n", arg);
			return 2;
		}
		return MH_CONTINUE;
	default: /* not in the table: sc_flags_parse refused it */
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct mh_args *a)
{
	const struct sc_flag flags[] = {
	    {"node-name", required_argument, OPT_NODE, &a->node},
	    {"allowed-prefix", required_argument, OPT_PREFIX, NULL},
	    {"containerd-root", required_argument, OPT_CONTAINERD, &a->containerd_root},
	    {"proc", required_argument, OPT_PROC, &a->proc_root},
	    {"runtime-task-dir", required_argument, OPT_TASK_DIR, &a->task_dir},
	    {"host-mount-namespace", required_argument, OPT_HOSTNS, &a->hostns},
	    {"kubeconfig", required_argument, OPT_KUBECONFIG, &a->kubeconfig},
	    {"context", required_argument, OPT_CONTEXT, &a->context},
	    {"health-addr", required_argument, OPT_HEALTH, &a->health},
	    {"resync-period", required_argument, OPT_RESYNC, NULL},
	    {"nri-socket", required_argument, OPT_NRI, &a->nri_socket},
	    {"rootfs-hook", required_argument, OPT_HOOK, &a->rootfs_hook},
	    SC_FLAGS_COMMON,
	};
	return sc_flags_parse(argc, argv, "sc-mount-helper", usage, flags, SC_ARRAY_SIZE(flags),
			      parse_option, a);
}

/* The arguments' own checks, and the log set up as they ask. */
static int check_args(struct mh_args *a)
{
	cleanup_error sc_error_t err = NULL;
	if (a->node == NULL || *a->node == '\0') {
		fprintf(stderr, "sc-mount-helper: --node-name (or $NODE_NAME) is required\n");
		return 2;
	}
	if (sc_validate_dns1123_subdomain("--node-name", a->node, &err) < 0)
		goto bad;
	if (a->nprefixes == 0)
		a->prefixes[a->nprefixes++] = SC_DEFAULT_HOST_PATH_PREFIX;
	if (a->task_dir[0] != '\0' &&
	    sc_validate_abs_path("--runtime-task-dir", a->task_dir, &err) < 0)
		goto bad;
	for (size_t i = 0; i < a->nprefixes; i++) {
		if (sc_validate_abs_path("--allowed-prefix", a->prefixes[i], &err) < 0)
			goto bad;
	}
	if (sc_flags_log_format("sc-mount-helper", a->log_format, a->log_format_from) !=
	    MH_CONTINUE)
		return 2;
	sc_log_init("sc-mount-helper", (int)a->verbosity);
	sc_malloc_tune();
	return MH_CONTINUE;
bad:
	fprintf(stderr, "sc-mount-helper: %s\n", sc_error_message(err));
	return 2;
}

/* The node-side start-up, before any thread: the service account directory
 * kept reachable, the host's mount namespace entered, the kernel probed, the
 * signals taken. *sa_dir is where the token is read from afterwards. */
static int enter_node(const struct mh_args *a, int *sa_fd, char **sa_dir)
{
	cleanup_error sc_error_t err = NULL;
	/* The service account directory stays reachable after we leave the
	 * container's mount namespace, through an fd: the token rotates and
	 * is re-read from there. */
	if (getenv("KUBERNETES_SERVICE_HOST") && a->kubeconfig == NULL) {
		*sa_fd = open("/var/run/secrets/kubernetes.io/serviceaccount",
			      O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*sa_fd >= 0)
			*sa_dir = sc_xasprintf("/proc/self/fd/%d", *sa_fd);
	}
	if (strcmp(a->hostns, "none") != 0 && enter_mount_namespace(a->hostns, &err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}
	/* Before any thread: the probes fork. A kernel below the floor is not
	 * fatal: the agent runs, reports not ready, and says why on every
	 * instance it would have served. */
	if (sc_kernel_probe(&err) < 0) {
		SC_LOG_ERROR("probing the kernel: %s", sc_error_message(err));
		return 1;
	}
	cleanup_free char *kernel = sc_kernel_describe();
	if (sc_kernel_unsupported()[0] != '\0')
		SC_LOG_ERROR("%s", kernel);
	else
		SC_LOG_INFO("%s", kernel);
	if (sc_shutdown_install(&err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}
	return MH_CONTINUE;
}

/* The running daemon: health server, agent, NRI plugin, until a signal. */
static int serve(struct mh_args *a, struct sc_kube_config *cfg, struct sc_metrics *metrics)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_free char *content_root =
	    sc_xasprintf("%s/io.containerd.content.v1.content", a->containerd_root);
	struct sc_agent_options opts = {.node = a->node,
					.allowed_prefixes = a->prefixes,
					.proc_root = a->proc_root,
					.task_dir = a->task_dir,
					.content_root = content_root,
					.metrics = metrics,
					.resync_ms = a->resync_s > 0 ? a->resync_s * 1000 : -1,
					.runtime_hook = sc_mh_nri_registered};
	struct sc_agent *agent = NULL;
	struct sc_httpd *httpd = NULL;
	if (strcmp(a->health, "0") != 0 &&
	    sc_httpd_start(a->health, metrics, ready, &agent, &httpd, &err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}
	if (sc_agent_new(cfg, &opts, &agent, &err) < 0 || sc_agent_start(agent, &err) < 0) {
		SC_LOG_ERROR("starting the agent: %s", sc_error_message(err));
		return 1;
	}
	cleanup_free char *hook_dir = sc_xasprintf("%s/.bin", a->prefixes[0]);
	struct sc_mh_nri_options nopts = {.socket = a->nri_socket,
					  .hook_src = a->rootfs_hook,
					  .hook_dir = hook_dir,
					  .agent = agent};
	/* Without the runtime path the node still serves today's one. */
	if (strcmp(a->nri_socket, "none") != 0 && sc_mh_nri_start(&nopts, &err) < 0) {
		SC_LOG_ERROR("%s; only the chroot path is offered", sc_error_message(err));
		sc_error_release(&err);
	}
	SC_LOG_KV(SC_LOG_LEVEL_INFO, "sc-mount-helper started", "version", SC_VERSION, "node",
		  a->node, NULL);
	sc_shutdown_wait();
	SC_LOG_INFO("shutting down; mounts stay for the next start to adopt");
	struct sc_agent *gone = agent;
	agent = NULL;
	sc_agent_free(gone);
	sc_httpd_stop(httpd);
	return 0;
}

int main(int argc, char **argv)
{
	struct mh_args a;
	int r;
	if ((r = parse_env(&a)) != MH_CONTINUE || (r = parse_args(argc, argv, &a)) != MH_CONTINUE ||
	    (r = check_args(&a)) != MH_CONTINUE)
		return r;
	cleanup_close int sa_fd = -1;
	cleanup_free char *sa_dir = NULL;
	if ((r = enter_node(&a, &sa_fd, &sa_dir)) != MH_CONTINUE)
		return r;
	cleanup_error sc_error_t err = NULL;
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	struct sc_kubeconfig_options kopts = {
	    .path = a.kubeconfig, .context = a.context, .service_account_dir = sa_dir};
	if (sc_kube_config_load(&kopts, &cfg, &err) < 0) {
		SC_LOG_ERROR("loading the Kubernetes configuration: %s", sc_error_message(err));
		return 1;
	}
	struct sc_metrics *metrics = sc_metrics_new();
	sc_kube_count_requests(metrics);
	sc_metrics_build_info(metrics, "sc-mount-helper");
	r = serve(&a, cfg, metrics);
	if (r != 0)
		return r;
	sc_kube_count_requests(NULL);
	sc_metrics_free(metrics);
	return 0;
}
