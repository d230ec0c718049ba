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
    "  --qps Q, --burst N         client-side API rate limit (default: 20, 40;\n"
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
#define LEADER_LABEL "stoppablecontainer.xtlsoft.top/leader"

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

int main(int argc, char **argv)
{
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
		OPT_VERSION,
		OPT_LOG_FORMAT
	};
	static const struct option longopts[] = {
	    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
	    {"context", required_argument, NULL, OPT_CONTEXT},
	    {"namespace", required_argument, NULL, OPT_NAMESPACE},
	    {"exec-image", required_argument, NULL, OPT_EXEC_IMAGE},
	    {"exec-image-pull-policy", required_argument, NULL, OPT_EXEC_PULL_POLICY},
	    {"workers", required_argument, NULL, OPT_WORKERS},
	    {"runtime-path", required_argument, NULL, OPT_RUNTIME_PATH},
	    {"resync-period", required_argument, NULL, OPT_RESYNC},
	    {"qps", required_argument, NULL, OPT_QPS},
	    {"burst", required_argument, NULL, OPT_BURST},
	    {"metrics-addr", required_argument, NULL, OPT_METRICS},
	    {"leader-elect", no_argument, NULL, OPT_LEADER},
	    {"leader-election-namespace", required_argument, NULL, OPT_LEADER_NS},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"v", required_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *kubeconfig = NULL, *context = NULL, *metrics_addr = ":8080";
	const char *leader_ns = getenv("POD_NAMESPACE");
	bool leader_elect = false;
	int verbosity = (int)env_num("SC_LOG_VERBOSITY", 0, 10, 0);
	struct sc_controller_options opts = {.namespace = getenv("SC_WATCH_NAMESPACE"),
					     .workers = (int)env_num("SC_WORKERS", 1, 64, 2)};
	long resync_s = env_num("SC_RESYNC_PERIOD", 0, 86400, 60);
	sc_pod_options_defaults(&opts.pods);
	const char *runtime_path = getenv("SC_RUNTIME_PATH");
	struct sc_kube_client_options copts = {.component = "sc-controller",
					       .qps = (double)env_num("SC_KUBE_QPS", 0, 100000, 20),
					       .burst =
						   (int)env_num("SC_KUBE_BURST", 1, 100000, 40)};
	const char *log_format = getenv("SC_LOG_FORMAT"), *log_format_from = "SC_LOG_FORMAT";
	int c;
	while ((c = getopt_long(argc, argv, "v:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KUBECONFIG:
			kubeconfig = optarg;
			break;
		case OPT_CONTEXT:
			context = optarg;
			break;
		case OPT_NAMESPACE:
			opts.namespace = optarg;
			break;
		case OPT_EXEC_IMAGE:
			opts.pods.exec_image = optarg;
			break;
		case OPT_EXEC_PULL_POLICY:
			/* Checked here: a typo would otherwise surface only as every
			 * pod the controller creates being refused by the API server. */
			if (strcmp(optarg, "Always") != 0 && strcmp(optarg, "IfNotPresent") != 0 &&
			    strcmp(optarg, "Never") != 0) {
				fprintf(stderr,
					"sc-controller: --exec-image-pull-policy must be Always, "
					"IfNotPresent or Never, not \"%s\"\n",
					optarg);
				return 2;
			}
			opts.pods.exec_image_pull_policy = optarg;
			break;
		case OPT_RESYNC:
			resync_s = parse_num_or_die("--resync-period", optarg, 0, 86400);
			break;
		case OPT_RUNTIME_PATH:
			runtime_path = optarg;
			break;
		case OPT_WORKERS:
			opts.workers = (int)parse_num_or_die("--workers", optarg, 1, 64);
			break;
		case OPT_QPS:
			copts.qps = (double)parse_num_or_die("--qps", optarg, 0, 100000);
			break;
		case OPT_BURST:
			copts.burst = (int)parse_num_or_die("--burst", optarg, 1, 100000);
			break;
		case OPT_METRICS:
			metrics_addr = optarg;
			break;
		case OPT_LEADER:
			leader_elect = true;
			break;
		case OPT_LEADER_NS:
			leader_ns = optarg;
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			log_format_from = "--log-format";
			break;
		case 'v':
			verbosity = (int)parse_num_or_die("-v", optarg, 0, 10);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_VERSION:
			printf("sc-controller %s\n", SC_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sc-controller: unexpected argument \"%s\"\n%s", argv[optind],
			usage);
		return 2;
	}
	/* An empty variable is unset; an empty flag is a mistake. */
	if (log_format != NULL &&
	    (*log_format != '\0' || strcmp(log_format_from, "--log-format") == 0) &&
	    sc_log_set_format(log_format) < 0) {
		fprintf(stderr, "sc-controller: %s must be json or text, not \"%s\"\n",
			log_format_from, log_format);
		return 2;
	}
	if (runtime_path && *runtime_path && strcmp(runtime_path, "auto") != 0 &&
	    strcmp(runtime_path, "off") != 0) {
		fprintf(stderr, "sc-controller: --runtime-path must be auto or off, not \"%s\"\n",
			runtime_path);
		return 2;
	}
	opts.pods.runtime_path = runtime_path && strcmp(runtime_path, "auto") == 0;
	sc_log_init("sc-controller", verbosity);
	sc_malloc_tune();
	cleanup_error sc_error_t err = NULL;
	if (opts.namespace && *opts.namespace &&
	    sc_validate_dns1123_label("--namespace", opts.namespace, &err) < 0) {
		fprintf(stderr, "sc-controller: %s\n", sc_error_message(err));
		return 2;
	}
	if (opts.namespace && *opts.namespace == '\0')
		opts.namespace = NULL;
	if (leader_elect && (leader_ns == NULL || *leader_ns == '\0')) {
		fprintf(stderr, "sc-controller: --leader-elect needs --leader-election-namespace "
				"or $POD_NAMESPACE\n");
		return 2;
	}

	if (sc_shutdown_install(&err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}

	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	struct sc_kubeconfig_options kopts = {.path = kubeconfig, .context = context};
	if (sc_kube_config_load(&kopts, &cfg, &err) < 0) {
		SC_LOG_ERROR("loading the Kubernetes configuration: %s", sc_error_message(err));
		return 1;
	}

	opts.metrics = sc_metrics_new();
	sc_kube_count_requests(opts.metrics);
	sc_metrics_build_info(opts.metrics, "sc-controller");
	/* 1 on the replica that reconciles: the Lease holder, or the only one
	 * without --leader-elect. A replica that loses the Lease exits. */
	struct sc_metric *leader_gauge = sc_metrics_gauge(
	    opts.metrics, "sc_leader",
	    "1 when this replica leads (holds the Lease, or runs without --leader-elect), "
	    "0 while it stands by.",
	    NULL);
	sc_metric_set(leader_gauge, leader_elect ? 0 : 1);
	struct readiness readiness = {.leader_elect = leader_elect};
	struct sc_httpd *httpd = NULL;
	if (strcmp(metrics_addr, "0") != 0 &&
	    sc_httpd_start(metrics_addr, opts.metrics, ready, &readiness, &httpd, &err) < 0) {
		SC_LOG_ERROR("%s", sc_error_message(err));
		return 1;
	}

	struct sc_leader *leader = NULL;
	cleanup_kube_client struct sc_kube_client *label_client = NULL;
	if (leader_elect) {
		cleanup_kube_client struct sc_kube_client *lease_client = NULL;
		char host[256] = "";
		gethostname(host, sizeof(host) - 1);
		const char *pod = getenv("POD_NAME");
		cleanup_free char *identity =
		    sc_xasprintf("%s_%d", pod && *pod ? pod : host, (int)getpid());
		struct sc_kube_client_options lopts = {.component = "sc-controller"};
		if (sc_kube_client_new(cfg, &lopts, &lease_client, &err) < 0 ||
		    sc_kube_client_new(cfg, &lopts, &label_client, &err) < 0) {
			SC_LOG_ERROR("%s", sc_error_message(err));
			return 1;
		}
		label_own_pod(label_client, false);
		struct sc_leader_config lc = {.namespace = leader_ns,
					      .name = "stoppablecontainer-controller",
					      .identity = identity,
					      .lease_duration_s = 15,
					      .renew_deadline_s = 10,
					      .retry_period_s = 2};
		if (sc_leader_acquire(steal_pointer(&lease_client), &lc, sc_shutdown_flag(),
				      on_leadership_lost, &leader, &err) < 0) {
			SC_LOG_INFO("%s", sc_error_message(err));
			sc_httpd_stop(httpd);
			return 0;
		}
		readiness.leader = leader;
		sc_metric_set(leader_gauge, 1);
		label_own_pod(label_client, true);
		opts.may_write = may_write;
		opts.may_write_data = leader;
	}

	struct sc_controller *ctl = NULL;
	opts.resync_ms = resync_s > 0 ? resync_s * 1000 : -1;
	if (sc_controller_new(cfg, &copts, &opts, &ctl, &err) < 0 ||
	    sc_controller_start(ctl, &err) < 0) {
		SC_LOG_ERROR("starting the controller: %s", sc_error_message(err));
		return 1;
	}
	readiness.controller = ctl;
	SC_LOG_KV(SC_LOG_LEVEL_INFO, "sc-controller started", "version", SC_VERSION, "namespace",
		  opts.namespace ? opts.namespace : "(all)", NULL);

	sc_shutdown_wait();
	SC_LOG_INFO("shutting down");
	readiness.controller = NULL;
	sc_controller_free(ctl);
	if (leader != NULL)
		label_own_pod(label_client, false);
	sc_leader_release(leader);
	sc_httpd_stop(httpd);
	sc_kube_count_requests(NULL);
	sc_metrics_free(opts.metrics);
	return 0;
}
