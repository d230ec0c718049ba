/* kubectl sc exec NAME [-i] [-t] [-c CONTAINER] [--] COMMAND [ARG...]
 * kubectl sc logs NAME [-f] [--tail=N] [--timestamps] [-p] [--since=DURATION] [-c CONTAINER]
 *
 * Both hand over to kubectl on the consumer pod (named like the container,
 * docs/architecture.md), container "workload": kubectl already does streams,
 * terminals, resizing and SPDY/websocket upgrades well, and a second
 * implementation would only be a worse one. What we add is the check first:
 * the container exists and is running (or about to be), with a message that
 * says what to do when it is stopped. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-api.h"
#include "lib/sc-json.h"
#include "lib/sc-log.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

/* Longer than kubectl's 1m: right after a create the first start pulls the
 * image and prepares the rootfs, and the quick example execs at once. */
#define SC_DEFAULT_POD_RUNNING_TIMEOUT_MS SC_DEFAULT_TIMEOUT_MS

enum {
	OPT_STDIN = SC_OPT_COMMAND,
	OPT_TTY,
	OPT_FOLLOW,
	OPT_TAIL,
	OPT_TIMESTAMPS,
	OPT_PREVIOUS,
	OPT_SINCE,
	OPT_POD_RUNNING_TIMEOUT,
	OPT_CONTAINER,
};

#define POD_RUNNING_TIMEOUT_OPTION                                                               \
	{                                                                                        \
		OPT_POD_RUNNING_TIMEOUT, "pod-running-timeout", 0, SC_CLI_REQUIRED, "DURATION",  \
		    NULL, "How long to wait for a starting container to be Running (default 5m)" \
	}
#define CONTAINER_OPTION                                                                         \
	{                                                                                        \
		OPT_CONTAINER, "container", 'c', SC_CLI_REQUIRED, "NAME", NULL,                  \
		    "The workload's container (the only one; see above), for kubectl's -c habit" \
	}

static const struct sc_cli_option exec_options[] = {
    {OPT_STDIN, "stdin", 'i', SC_CLI_BOOL, NULL, NULL, "Pass stdin to the command"},
    {OPT_TTY, "tty", 't', SC_CLI_BOOL, NULL, NULL, "Run the command in a terminal"},
    CONTAINER_OPTION,
    POD_RUNNING_TIMEOUT_OPTION,
    {0},
};

static const struct sc_cli_option logs_options[] = {
    {OPT_FOLLOW, "follow", 'f', SC_CLI_BOOL, NULL, NULL, "Keep streaming new lines"},
    {OPT_TAIL, "tail", 0, SC_CLI_REQUIRED, "N", NULL,
     "Only the last N lines (-1: all, the default)"},
    {OPT_TIMESTAMPS, "timestamps", 0, SC_CLI_BOOL, NULL, NULL, "Prefix each line with its time"},
    {OPT_PREVIOUS, "previous", 'p', SC_CLI_BOOL, NULL, NULL,
     "The previous run of the workload in the same pod (after a crash)"},
    {OPT_SINCE, "since", 0, SC_CLI_REQUIRED, "DURATION", NULL,
     "Only lines newer than this, e.g. 10m"},
    CONTAINER_OPTION,
    POD_RUNNING_TIMEOUT_OPTION,
    {0},
};

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct sc_exec_opts *o = ctx;
	bool yes = strcmp(value, "true") == 0;
	long long ms;
	switch (opt->id) {
	case OPT_STDIN:
		o->stdin = yes;
		return 0;
	case OPT_TTY:
		o->tty = yes;
		return 0;
	case OPT_FOLLOW:
		o->follow = yes;
		return 0;
	case OPT_TIMESTAMPS:
		o->timestamps = yes;
		return 0;
	case OPT_PREVIOUS:
		o->previous = yes;
		return 0;
	case OPT_TAIL:
		if (sc_parse_long(value, -1, 1L << 30, &o->tail) < 0)
			return sc_error_make(err, EINVAL,
					     "invalid --tail \"%s\": expected a number of lines "
					     "(-1 for all)",
					     value);
		return 0;
	case OPT_SINCE:
		if (sc_parse_duration(value, &ms, err) < 0)
			return sc_error_wrap(err, "--since");
		o->since = value;
		return 0;
	case OPT_CONTAINER:
		if (sc_validate_dns1123_label("container name", value, err) < 0)
			return sc_error_wrap(err, "-c/--container");
		o->container = value;
		return 0;
	case OPT_POD_RUNNING_TIMEOUT:
		if (sc_parse_duration(value, &o->pod_running_timeout_ms, err) < 0)
			return sc_error_wrap(err, "--pod-running-timeout");
		return 0;
	default:
		return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
	}
}

int sc_exec_parse(bool is_logs, int argc, char **argv, struct sc_exec_opts *o,
		  struct sc_cli_result *res, sc_error_t *err)
{
	*o = (struct sc_exec_opts){
	    .is_logs = is_logs,
	    .tail = -1,
	    .pod_running_timeout_ms = SC_DEFAULT_POD_RUNNING_TIMEOUT_MS,
	};
	/* exec NAME COMMAND ARG...: the first word after NAME starts the
	 * command, "--" or not, so the command's own flags stay its own. */
	unsigned flags =
	    is_logs ? SC_PARSE_REFUSE_REST | SC_PARSE_ALL_NAMESPACES : SC_PARSE_COMMAND_AFTER_NAME;
	if (sc_parse_in_namespace(argc, argv, is_logs ? logs_options : exec_options, set_option, o,
				  &o->g, flags, res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	if (sc_one_name(res, is_logs ? "logs" : "exec", err) < 0)
		return -1;
	if (!is_logs && res->has_dashdash && res->n_rest == 0)
		return sc_error_make(err, EINVAL,
				     "no command after --: exec %s -- COMMAND [ARG...]",
				     res->positional[0]);
	if (!is_logs && res->n_rest == 0)
		return sc_error_make(err, EINVAL,
				     "a command is required: exec %s [--] COMMAND [ARG...]",
				     res->positional[0]);
	if (!is_logs && res->rest[0][0] == '\0')
		return sc_error_make(err, EINVAL, "the command must not be empty");
	return 0;
}

int sc_exec_check_container(const json_t *obj, const char *container, sc_error_t *err)
{
	if (container == NULL || strcmp(container, SC_CONTAINER_WORKLOAD) == 0)
		return 0;
	/* in either template shape (the Pod shape's one container) */
	const char *own = sc_json_path_str(sc_workload_container(obj), "name");
	if (own != NULL && strcmp(container, own) == 0)
		return 0;
	const char *name = sc_json_name(obj);
	if (own != NULL && *own != '\0' && strcmp(own, SC_CONTAINER_WORKLOAD) != 0)
		return sc_error_make(
		    err, EINVAL,
		    "container \"%s\" is not in stoppablecontainer \"%s\": its one "
		    "container is \"%s\" (\"" SC_CONTAINER_WORKLOAD "\" in its pod)",
		    container, name ? name : "?", own);
	return sc_error_make(err, EINVAL,
			     "container \"%s\" is not in stoppablecontainer \"%s\": its one "
			     "container is \"" SC_CONTAINER_WORKLOAD "\"",
			     container, name ? name : "?");
}

static void push(char ***v, size_t *n, char *s)
{
	*v = sc_xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

char **sc_exec_kubectl_argv(const struct sc_exec_opts *o, const char *kubectl, const char *ns,
			    const char *pod, const char *const *command, size_t n_command)
{
	char **v = NULL;
	size_t n = 0;
	push(&v, &n, sc_xstrdup(kubectl));
	if (o->g.kubeconfig)
		push(&v, &n, sc_xasprintf("--kubeconfig=%s", o->g.kubeconfig));
	if (o->g.context)
		push(&v, &n, sc_xasprintf("--context=%s", o->g.context));
	if (o->g.verbosity > 0)
		push(&v, &n, sc_xasprintf("--v=%d", o->g.verbosity));
	push(&v, &n, sc_xasprintf("--namespace=%s", ns));
	push(&v, &n, sc_xstrdup(o->is_logs ? "logs" : "exec"));
	if (!o->is_logs) {
		if (o->stdin)
			push(&v, &n, sc_xstrdup("--stdin"));
		if (o->tty)
			push(&v, &n, sc_xstrdup("--tty"));
	} else {
		if (o->follow)
			push(&v, &n, sc_xstrdup("--follow"));
		if (o->tail >= 0)
			push(&v, &n, sc_xasprintf("--tail=%ld", o->tail));
		if (o->timestamps)
			push(&v, &n, sc_xstrdup("--timestamps"));
		if (o->previous)
			push(&v, &n, sc_xstrdup("--previous"));
		if (o->since)
			push(&v, &n, sc_xasprintf("--since=%s", o->since));
	}
	push(&v, &n, sc_xstrdup(pod));
	push(&v, &n, sc_xstrdup("--container=" SC_CONTAINER_WORKLOAD));
	if (!o->is_logs) {
		push(&v, &n, sc_xstrdup("--"));
		for (size_t i = 0; i < n_command; i++)
			push(&v, &n, sc_xstrdup(command[i]));
	}
	return v;
}

/* The container must exist and run (or be on its way, then we wait). */
static int check_running(struct sc_session *s, const struct sc_exec_opts *o, const char *name,
			 json_t **out, sc_error_t *err)
{
	cleanup_json json_t *obj = NULL;
	if (sc_get_container(s, name, &obj, err) < 0)
		return -1;
	if (sc_exec_check_container(obj, o->container, err) < 0)
		return -2; /* the command line was wrong: exit 2 */
	if (!json_is_true(sc_json_path(obj, "spec.running"))) {
		cleanup_free char *ns_flag =
		    o->g.namespace ? sc_xasprintf(" -n %s", o->g.namespace) : sc_xstrdup("");
		return sc_error_make(err, ESRCH,
				     "stoppablecontainer \"%s\" is stopped; start it with: "
				     "kubectl sc start %s%s",
				     name, name, ns_flag);
	}
	json_t *gen = sc_json_path(obj, "metadata.generation");
	long long generation = json_is_integer(gen) ? json_integer_value(gen) : 0;
	if (sc_wait_check(obj, SC_WAIT_RUNNING, generation) != SC_WAIT_REACHED) {
		fprintf(stderr, "waiting for stoppablecontainer \"%s\" to be Running\n", name);
		struct sc_wait_options wo = {
		    .name = name,
		    .target = SC_WAIT_RUNNING,
		    .generation = generation,
		    .timeout_ms = o->pod_running_timeout_ms,
		    .progress = stderr,
		};
		if (sc_wait(s, &wo, obj, err) < 0)
			return -1;
		/* The status now names the pod; read it again. */
		json_decref(obj);
		obj = NULL;
		if (sc_get_container(s, name, &obj, err) < 0)
			return -1;
	}
	*out = steal_pointer(&obj);
	return 0;
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_exec_opts o;
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	bool is_logs = cmd == &sc_cmd_logs;
	int r = sc_exec_parse(is_logs, argc, argv, &o, &res, &err);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	const char *name = res.positional[0];
	cleanup_session struct sc_session s = {0};
	cleanup_json json_t *obj = NULL;
	if (sc_session_open(&o.g, &s, &err) < 0 ||
	    (o.g.all_namespaces && sc_find_namespace(&s, name, &err) < 0))
		return sc_report_error(&s, &err);
	r = check_running(&s, &o, name, &obj, &err);
	if (r == -2) {
		rc = sc_usage_error(cmd, "%s", sc_error_message(err));
		sc_error_release(&err);
		return rc;
	}
	if (r < 0)
		return sc_report_error(&s, &err);
	const char *pod = sc_json_path_str(obj, "status.consumerPodName");
	if (pod == NULL || *pod == '\0')
		pod = name;
	const char *kubectl = getenv("KUBECTL");
	if (kubectl == NULL || *kubectl == '\0')
		kubectl = "kubectl";
	cleanup_strv char **kargv =
	    sc_exec_kubectl_argv(&o, kubectl, s.ns, pod, res.rest, res.n_rest);
	if (sc_log_verbosity() >= 1) {
		fputs("debug: running:", stderr);
		for (char **a = kargv; *a; a++)
			fprintf(stderr, " %s", *a);
		fputc('\n', stderr);
	}
	/* Nothing of ours (the API connection's socket above all) goes on
	 * into kubectl. kargv holds copies, so the object can go too. */
	sc_session_close(&s);
	fflush(stdout);
	fflush(stderr);
	execvp(kargv[0], kargv);
	fprintf(stderr, "error: running %s: %s (set KUBECTL to the path of kubectl)\n", kargv[0],
		strerror(errno));
	return SC_EXIT_FAILURE;
}

const struct sc_command sc_cmd_exec = {
    .name = "exec",
    .summary = "Run a command inside a running StoppableContainer's rootfs",
    .usage = "exec NAME [-i] [-t] [-c CONTAINER] [--] COMMAND [ARG...]",
    .description =
	"Runs COMMAND in the workload's root filesystem, through `kubectl exec` on its pod\n"
	"(container \"workload\"); whatever it changes is kept across stop and start.\n"
	"The first word after NAME starts COMMAND, so `exec my-app ls -la` works without\n"
	"--; flags for exec itself go before it. -c takes the one container there is\n"
	"(\"workload\", or the name the template gives it) and refuses any other (exit 2).\n"
	"\n"
	"A stopped container is refused with the command that starts it (exit 1). One that\n"
	"is starting is waited for (--pod-running-timeout). --kubeconfig, --context, the\n"
	"namespace and -v are passed on to kubectl; the KUBECTL environment variable names\n"
	"the kubectl binary (default: kubectl on PATH).\n",
    .examples = "  kubectl sc exec my-app -- apt-get install -y python3\n"
		"  kubectl sc exec -it my-app -- /bin/bash\n"
		"  kubectl sc exec my-app ls -la /\n",
    .options = exec_options,
    .run = run,
};

const struct sc_command sc_cmd_logs = {
    .name = "logs",
    .summary = "Print the output of a StoppableContainer's workload",
    .usage = "logs NAME [-f] [--tail=N] [--timestamps] [-p] [--since=DURATION] [-c CONTAINER] [-A]",
    .description = "Prints the workload's output through `kubectl logs` on its pod (container\n"
		   "\"workload\"). Logs belong to the pod, so they start afresh with each start.\n"
		   "A stopped container is refused with the command that starts it (exit 1). The\n"
		   "flags, --kubeconfig, --context, the namespace, -c and KUBECTL work as for\n"
		   "exec. With -A, NAME is looked up in every namespace (an error when more\n"
		   "than one has it).\n",
    .examples = "  kubectl sc logs my-app --tail=20\n"
		"  kubectl sc logs -f my-app\n",
    .options = logs_options,
    .run = run,
};
