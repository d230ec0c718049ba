/* sc-controller: reconciles StoppableContainers into instances and pods.
 * This file only parses arguments and wires the parts together. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"
#include "lib/sc-flags.h"
#include "lib/sc-httpd.h"
#include "lib/sc-leader.h"
#include "lib/sc-log.h"
#include "lib/sc-shutdown.h"
#include "lib/sc-validate.h"

static const char usage[] =
    "Usage: sc-controller [OPTIONS]\n"
    "\n"
    "Reconciles StoppableContainers (stoppablecontainer.xtlsoft.top/v1alpha1) into\n"
    "instances, provider pods and consumer pods.\n"
    "\n"
    "Options:\n"
    "  --kubeconfig PATH          kubeconfig to use (default: in-cluster, else\n"
    "                             $KUBECONFIG, else ~/.kube/config)\n"
    "  --context NAME             kubeconfig context (default: current-context)\n"
    "  --namespace NS             watch only this namespace (default: all;\n"
    "                             env SC_WATCH_NAMESPACE)\n"
    "  --exec-image IMAGE         image with sc-exec and sc-pause\n"
    "                             (default: stoppablecontainer/sc-exec:" SC_VERSION ")\n"
    "  --exec-image-pull-policy P Always, IfNotPresent or Never, for the exec image\n"
    "                             in every provider and consumer pod (default:\n"
    "                             IfNotPresent)\n"
    "  --runtime-path MODE        \"auto\": where a node's runtime takes the\n"
    "                             mount-helper's rootfs hook (NRI), the workload pod\n"
    "                             is the template's own container, started in the\n"
    "                             rootfs by the runtime (restricted Pod Security);\n"
    "                             \"off\": always sc-exec (default: off; env\n"
    "                             SC_RUNTIME_PATH)\n"
    "  --workers N                concurrent reconciles (default: 2; env SC_WORKERS)\n"
    "  --resync-period SECONDS    queue every StoppableContainer again this often,\n"
    "                             so each converges whatever event was missed;\n"
    "                             costs no API request (default: 60; 0 never;\n"
    "                             env SC_RESYNC_PERIOD)\n"
    "  --qps Q, --burst N         client-side API rate limit (default: 50, 100;\n"
    "                             env SC_KUBE_QPS, SC_KUBE_BURST)\n"
    "  --metrics-addr ADDR        /metrics, /healthz, /readyz listen address\n"
    "                             (default: :8080; \"0\" disables)\n"
    "  --leader-elect             elect a leader among replicas (Lease\n"
    "                             stoppablecontainer-controller in the pod's namespace)\n"
    "  --leader-election-namespace NS   namespace of the Lease (default: $POD_NAMESPACE)\n"
    "  -v, --v N                  log verbosity (default: 0; env SC_LOG_VERBOSITY)\n"
    "  --log-format FORMAT        json (one object a line, the default) or text\n"
    "                             (env SC_LOG_FORMAT)\n"
    "  -h, --help                 this text\n"
    "      --version              print the version\n";

static void on_leadership_lost(void)
{
	/* As client-go's controllers do: exit and let the Deployment restart us
	 * as a standby, rather than risk two active reconcilers. */
	SC_LOG_ERROR("leadership lost; exiting");
	_exit(1);
}

struct readiness {
	struct sc_controller *controller;
	struct sc_leader *leader;
	bool leader_elect;
};

static bool ready(void *data, const char **why)
{
	struct readiness *r = data;
	if (r->leader_elect && !sc_leader_is_leader(r->leader)) {
		/* A standby is healthy and ready to take over. */
		return true;
	}
	if (r->controller == NULL) {
		*why = "starting";
		return false;
	}
	return sc_controller_healthy(r->controller, why);
}

/* A replica writes only while it holds the lease. */
static bool may_write(void *data)
{
	return sc_leader_is_leader(data);
}

/* The label the leader puts on its own pod, so the metrics Service
 * (config/manager, the chart) sends scrapes to the replica that does the
 * work. A replica clears it when it starts: a pod whose previous container
 * led keeps its labels across the restart. Failing to label only costs the
 * Service its endpoint, so it is a warning. */
#define LEADER_LABEL SC_LABEL_LEADER

static void label_own_pod(struct sc_kube_client *c, bool leading)
{
	const char *pod = getenv("POD_NAME"), *ns = getenv("POD_NAMESPACE");
	if (c == NULL || pod == NULL || *pod == '\0' || ns == NULL || *ns == '\0')
		return;
	cleanup_json json_t *patch = json_pack("{s:{s:{s:o}}}", "metadata", "labels", LEADER_LABEL,
					       leading ? json_string("true") : json_null());
	cleanup_error sc_error_t err = NULL;
	if (sc_kube_patch(c, &sc_kube_pods, ns, pod, SC_KUBE_PATCH_MERGE, patch, NULL, NULL, &err) <
	    0)
		SC_LOG_WARN("%s label " LEADER_LABEL " on pod %s/%s: %s",
			    leading ? "setting" : "clearing", ns, pod, sc_error_message(err));
}

static long parse_num_or_die(const char *flag, const char *v, long min, long max)
{
	long n;
	if (sc_parse_long(v, min, max, &n) < 0) {
		fprintf(stderr, "sc-controller: %s: want a number from %ld to %ld, got \"%s\"\n",
			flag, min, max, v);
		exit(2);
	}
	return n;
}

/* A number from environment variable name (a Deployment's env, a ConfigMap
 * through envFrom), else def; a flag given as well wins over it. */
static long env_num(const char *name, long min, long max, long def)
{
	const char *v = getenv(name);
	return v && *v ? parse_num_or_die(name, v, min, max) : def;
}

/* What the command line and the environment ask for. */
struct ctl_args {
	const char *kubeconfig, *context, *metrics_addr, *leader_ns, *runtime_path;
	const char *log_format, *log_format_from;
	bool leader_elect;
	int verbosity;
	long resync_s;
	struct sc_controller_options opts;
	struct sc_kube_client_options copts;
};

/* A step's outcome: go on, or exit with this status. */
#define CTL_CONTINUE SC_FLAGS_CONTINUE

enum {
	OPT_KUBECONFIG = 256,
	OPT_CONTEXT,
	OPT_NAMESPACE,
	OPT_EXEC_IMAGE,
	OPT_EXEC_PULL_POLICY,
	OPT_WORKERS,
	OPT_RUNTIME_PATH,
	OPT_RESYNC,
	OPT_QPS,
	OPT_BURST,
	OPT_METRICS,
	OPT_LEADER,
	OPT_LEADER_NS,
};

/* The defaults, then the environment's settings (a bad number exits 2). */
static void parse_env(struct ctl_args *a)
{
	*a = (struct ctl_args){.metrics_addr = ":8080", .leader_ns = getenv("POD_NAMESPACE")};
	a->verbosity = (int)env_num("SC_LOG_VERBOSITY", 0, 10, 0);
	a->opts.namespace = getenv("SC_WATCH_NAMESPACE");
	a->opts.workers = (int)env_num("SC_WORKERS", 1, 64, 2);
	a->resync_s = env_num("SC_RESYNC_PERIOD", 0, 86400, 60);
	sc_pod_options_defaults(&a->opts.pods);
	a->runtime_path = getenv("SC_RUNTIME_PATH");
	a->copts.component = "sc-controller";
	a->copts.qps = (double)env_num("SC_KUBE_QPS", 0, 100000, 50);
	a->copts.burst = (int)env_num("SC_KUBE_BURST", 1, 100000, 100);
	a->log_format = getenv("SC_LOG_FORMAT");
	a->log_format_from = "SC_LOG_FORMAT";
}

/* One flag that is not a plain string. */
static int parse_option(void *data, int c, char *arg)
{
	struct ctl_args *a = data;
	switch (c) {
	case OPT_EXEC_PULL_POLICY:
		/* Checked here: a typo would otherwise surface only as every
		 * pod the controller creates being refused by the API server. */
		if (strcmp(arg, "Always") != 0 && strcmp(arg, "IfNotPresent") != 0 &&
		    strcmp(arg, "Never") != 0) {
			fprintf(stderr,
				"sc-controller: --exec-image-pull-policy must be Always, "
				"IfNotPresent or Never, not \"%s\"\n",
				arg);
			return 2;
		}
		a->opts.pods.exec_image_pull_policy = arg;
		return CTL_CONTINUE;
	case OPT_RESYNC:
		a->resync_s = parse_num_or_die("--resync-period", arg, 0, 86400);
		return CTL_CONTINUE;
	case OPT_WORKERS:
		a->opts.workers = (int)parse_num_or_die("--workers", arg, 1, 64);
		return CTL_CONTINUE;
	case OPT_QPS:
		a->copts.qps = (double)parse_num_or_die("--qps", arg, 0, 100000);
		return CTL_CONTINUE;
	case OPT_BURST:
		a->copts.burst = (int)parse_num_or_die("--burst", arg, 1, 100000);
		return CTL_CONTINUE;
	case OPT_LEADER:
		a->leader_elect = true;
		return CTL_CONTINUE;
	case SC_FLAG_LOG_FORMAT:
		a->log_format = arg;
		a->log_format_from = "--log-format";
		return CTL_CONTINUE;
	case SC_FLAG_VERBOSITY:
		a->verbosity = (int)parse_num_or_die("-v", arg, 0, 10);
		return CTL_CONTINUE;
	default: /* not in the table: sc_flags_parse refused it */
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct ctl_args *a)
{
	const struct sc_flag flags[] = {
	    {"kubeconfig", required_argument, OPT_KUBECONFIG, &a->kubeconfig},
	    {"context", required_argument, OPT_CONTEXT, &a->context},
	    {"namespace", required_argument, OPT_NAMESPACE, &a->opts.namespace},
	    {"exec-image", required_argument, OPT_EXEC_IMAGE, &a->opts.pods.exec_image},
	    {"exec-image-pull-policy", required_argument, OPT_EXEC_PULL_POLICY, NULL},
	    {"workers", required_argument, OPT_WORKERS, NULL},
	    {"runtime-path", required_argument, OPT_RUNTIME_PATH, &a->runtime_path},
	    {"resync-period", required_argument, OPT_RESYNC, NULL},
	    {"qps", required_argument, OPT_QPS, NULL},
	    {"burst", required_argument, OPT_BURST, NULL},
	    {"metrics-addr", required_argument, OPT_METRICS, &a->metrics_addr},
	    {"leader-elect", no_argument, OPT_LEADER, NULL},
	    {"leader-election-namespace", required_argument, OPT_LEADER_NS, &a->leader_ns},
	    SC_FLAGS_COMMON,
	};
	return sc_flags_parse(argc, argv, "sc-controller", usage, flags, SC_ARRAY_SIZE(flags),
			      parse_option, a);
}

/* The arguments' own checks, and the log set up as they ask. */
static int check_args(struct ctl_args *a)
{
	if (sc_flags_log_format("sc-controller", a->log_format, a->log_format_from) != CTL_CONTINUE)
		return 2;
	const char *rp = a->runtime_path;
	if (rp && *rp && strcmp(rp, "auto") != 0 && strcmp(rp, "off") != 0) {
		fprintf(stderr, "sc-controller: --runtime-path must be auto or off, not \"%s\"\n",
			rp);
		return 2;
	}
	a->opts.pods.runtime_path = rp && strcmp(rp, "auto") == 0;
	sc_log_init("sc-controller", a->verbosity);
	sc_malloc_tune();
	cleanup_error sc_error_t err = NULL;
	if (a->opts.namespace && *a->opts.namespace &&
	    sc_validate_dns1123_label("--namespace", a->opts.namespace, &err) < 0) {
		fprintf(stderr, "sc-controller: %s\n", sc_error_message(err));
		return 2;
	}
	if (a->opts.namespace && *a->opts.namespace == '\0')
		a->opts.namespace = NULL;
	if (a->leader_elect && (a->leader_ns == NULL || *a->leader_ns == '\0')) {
		fprintf(stderr, "sc-controller: --leader-elect needs --leader-election-namespace "
				"or $POD_NAMESPACE\n");
		return 2;
	}
	return CTL_CONTINUE;
}

/* The running replica's parts, torn down in reverse. */
struct ctl_run {
	struct readiness readiness;
	struct sc_httpd *httpd;
	struct sc_metric *leader_gauge;
	struct sc_leader *leader;
	struct sc_kube_client *label_client;
};

/* With --leader-elect: blocks until this replica holds the Lease (or a
 * signal: exit 0), then writes only while it does. */
static int lead(struct ctl_args *a, struct sc_kube_config *cfg, struct ctl_run *run)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_kube_client struct sc_kube_client *lease_client = NULL;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	const char *pod = getenv("POD_NAME");
	cleanup_free char *identity =
	    sc_xasprintf("%s_%d", pod && *pod ? pod : host, (int)getpid());
	struct sc_kube_client_options lopts = {.component = "sc-controller"};
	if (sc_kube_client_new(cfg, &lopts, &lease_client, &err) < 0 ||
	    sc_kube_client_new(cfg, &lopts, &run->label_client, &err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}
	label_own_pod(run->label_client, false);
	struct sc_leader_config lc = {.namespace = a->leader_ns,
				      .name = "stoppablecontainer-controller",
				      .identity = identity,
				      .lease_duration_s = 15,
				      .renew_deadline_s = 10,
				      .retry_period_s = 2};
	if (sc_leader_acquire(steal_pointer(&lease_client), &lc, sc_shutdown_flag(),
			      on_leadership_lost, &run->leader, &err) < 0) {
		SC_LOG_INFO("%s", sc_error_message(err));
		sc_httpd_stop(run->httpd);
		return 0;
	}
	run->readiness.leader = run->leader;
	sc_metric_set(run->leader_gauge, 1);
	label_own_pod(run->label_client, true);
	a->opts.may_write = may_write;
	a->opts.may_write_data = run->leader;
	return CTL_CONTINUE;
}

/* Metrics, the leader gauge and the health server. */
static int serve_health(struct ctl_args *a, struct ctl_run *run)
{
	cleanup_error sc_error_t err = NULL;
	a->opts.metrics = sc_metrics_new();
	sc_kube_count_requests(a->opts.metrics);
	sc_metrics_build_info(a->opts.metrics, "sc-controller");
	/* 1 on the replica that reconciles: the Lease holder, or the only one
	 * without --leader-elect. A replica that loses the Lease exits. */
	run->leader_gauge = sc_metrics_gauge(
	    a->opts.metrics, "sc_leader",
	    "1 when this replica leads (holds the Lease, or runs without --leader-elect), "
	    "0 while it stands by.",
	    NULL);
	sc_metric_set(run->leader_gauge, a->leader_elect ? 0 : 1);
	run->readiness.leader_elect = a->leader_elect;
	if (strcmp(a->metrics_addr, "0") != 0 &&
	    sc_httpd_start(a->metrics_addr, a->opts.metrics, ready, &run->readiness, &run->httpd,
			   &err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}
	return CTL_CONTINUE;
}

/* The controller, until a signal. */
static int reconcile_until_stopped(struct ctl_args *a, struct sc_kube_config *cfg,
				   struct ctl_run *run)
{
	cleanup_error sc_error_t err = NULL;
	struct sc_controller *ctl = NULL;
	a->opts.resync_ms = a->resync_s > 0 ? a->resync_s * 1000 : -1;
	if (sc_controller_new(cfg, &a->copts, &a->opts, &ctl, &err) < 0 ||
	    sc_controller_start(ctl, &err) < 0) {
		SC_LOG_ERROR("starting the controller: %s", sc_error_message(err));
		return 1;
	}
	run->readiness.controller = ctl;
	SC_LOG_KV(SC_LOG_LEVEL_INFO, "sc-controller started", "version", SC_VERSION, "namespace",
		  a->opts.namespace ? a->opts.namespace : "(all)", NULL);
	sc_shutdown_wait();
	SC_LOG_INFO("shutting down");
	run->readiness.controller = NULL;
	sc_controller_free(ctl);
	return CTL_CONTINUE;
}

int main(int argc, char **argv)
{
	struct ctl_args a;
	int r;
	parse_env(&a);
	if ((r = parse_args(argc, argv, &a)) != CTL_CONTINUE ||
	    (r = check_args(&a)) != CTL_CONTINUE)
		return r;
	cleanup_error sc_error_t err = NULL;
	if (sc_shutdown_install(&err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	struct sc_kubeconfig_options kopts = {.path = a.kubeconfig, .context = a.context};
	if (sc_kube_config_load(&kopts, &cfg, &err) < 0) {
		SC_LOG_ERROR("loading the Kubernetes configuration: %s", sc_error_message(err));
		return 1;
	}
	struct ctl_run run = {0};
	cleanup_kube_client struct sc_kube_client *label_client = NULL;
	if ((r = serve_health(&a, &run)) != CTL_CONTINUE)
		return r;
	if (a.leader_elect) {
		r = lead(&a, cfg, &run);
		label_client = run.label_client;
		if (r != CTL_CONTINUE)
			return r;
	}
	if ((r = reconcile_until_stopped(&a, cfg, &run)) != CTL_CONTINUE)
		return r;
	if (run.leader != NULL)
		label_own_pod(label_client, false);
	sc_leader_release(run.leader);
	sc_httpd_stop(run.httpd);
	sc_kube_count_requests(NULL);
	sc_metrics_free(a.opts.metrics);
	return 0;
}
