/* kubectl sc start|stop|restart NAME [--wait] [--timeout=DURATION]
 *
 * start and stop only flip spec.running (a JSON merge patch); the controller
 * does the work. --wait watches the object until its phase says it is done. */
#include <errno.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"

enum {
	OPT_WAIT = SC_OPT_COMMAND,
	OPT_TIMEOUT,
};

static const struct sc_cli_option options[] = {
    {OPT_WAIT, "wait", 'w', SC_CLI_BOOL, NULL, NULL,
     "Wait until the phase is reached, printing each phase as it happens"},
    {OPT_TIMEOUT, "timeout", 0, SC_CLI_REQUIRED, "DURATION", NULL,
     "How long to wait, e.g. 30s, 2m, 1h (default 5m)"},
    {0},
};

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct sc_power_opts *o = ctx;
	switch (opt->id) {
	case OPT_WAIT:
		o->wait = strcmp(value, "true") == 0;
		return 0;
	case OPT_TIMEOUT:
		return sc_parse_duration(value, &o->timeout_ms, err);
	default:
		return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
	}
}

int sc_power_parse(int argc, char **argv, struct sc_power_opts *o, struct sc_cli_result *res,
		   sc_error_t *err)
{
	*o = (struct sc_power_opts){.timeout_ms = SC_DEFAULT_TIMEOUT_MS};
	if (sc_parse_in_namespace(argc, argv, options, set_option, o, &o->g, SC_PARSE_REFUSE_REST,
				  res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	return sc_one_name(res, argv[0], err);
}

/* Set spec.running and, with wait, follow it to the phase. */
static int set_running(struct sc_session *s, const char *name, bool running, bool wait,
		       long long timeout_ms, sc_error_t *err)
{
	enum sc_wait_target target = running ? SC_WAIT_RUNNING : SC_WAIT_STOPPED;
	const char *verb = running ? "starting" : "stopping";
	const char *done = running ? "running" : "stopped";
	cleanup_json json_t *obj = NULL;
	if (sc_get_container(s, name, &obj, err) < 0)
		return -1;
	cleanup_json json_t *patched = NULL;
	bool already = json_is_true(sc_json_path(obj, "spec.running")) == running;
	json_t *current = sc_json_path(obj, "metadata.generation");
	if (already && sc_wait_check(obj, target,
				     json_is_integer(current) ? json_integer_value(current) : 0) ==
			   SC_WAIT_REACHED) {
		printf("stoppablecontainer/%s is already %s\n", name, done);
		return 0;
	}
	if (already) {
		patched = json_incref(obj);
	} else {
		cleanup_json json_t *patch = json_pack("{s:{s:b}}", "spec", "running", running);
		if (sc_kube_patch(s->client, &sc_kube_stoppablecontainers, s->ns, name,
				  SC_KUBE_PATCH_MERGE, patch, NULL, &patched, err) < 0) {
			sc_not_found_error(s, name, err);
			return -1;
		}
	}
	printf("stoppablecontainer/%s %s\n", name, verb);
	fflush(stdout);
	if (!wait)
		return 0;
	json_t *gen = sc_json_path(patched, "metadata.generation");
	struct sc_wait_options wo = {
	    .name = name,
	    .target = target,
	    .generation = json_is_integer(gen) ? json_integer_value(gen) : 0,
	    .timeout_ms = timeout_ms,
	    .progress = stdout,
	};
	if (sc_wait(s, &wo, patched, err) < 0)
		return -1;
	printf("stoppablecontainer/%s is %s\n", name, done);
	return 0;
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_power_opts o;
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_power_parse(argc, argv, &o, &res, &err);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	const char *name = res.positional[0];
	cleanup_session struct sc_session s = {0};
	if (sc_session_open(&o.g, &s, &err) < 0)
		return sc_report_error(&s, &err);
	int ok;
	if (cmd == &sc_cmd_restart) {
		/* Stop and wait for it (the workload must be gone before it
		 * comes back), then start. */
		ok = set_running(&s, name, false, true, o.timeout_ms, &err);
		if (ok == 0)
			ok = set_running(&s, name, true, o.wait, o.timeout_ms, &err);
	} else {
		ok = set_running(&s, name, cmd == &sc_cmd_start, o.wait, o.timeout_ms, &err);
	}
	if (ok < 0)
		return sc_report_error(&s, &err);
	return SC_EXIT_OK;
}

#define POWER_DESCRIPTION_TAIL                                                                   \
	"\n"                                                                                     \
	"With --wait it watches the StoppableContainer and prints its phase as it changes\n"     \
	"(\"phase: Pending\", \"phase: Running\", ...); it exits 0 once the phase is reached,\n" \
	"and 1 with the status message when the phase turns Failed, when the object is\n"        \
	"deleted, or when --timeout passes. A phase counts only once the controller has seen\n"  \
	"the change (status.observedGeneration), so a stale phase is never taken for the\n"      \
	"answer.\n"

const struct sc_command sc_cmd_start = {
    .name = "start",
    .summary = "Start a stopped StoppableContainer on its kept rootfs",
    .usage = "start NAME [-w|--wait] [--timeout=DURATION]",
    .description = "Sets spec.running to true: the workload starts again on the same root\n"
		   "filesystem, with everything it changed before. The target phase is "
		   "Running.\n" POWER_DESCRIPTION_TAIL,
    .examples = "  kubectl sc start my-app\n"
		"  kubectl sc start my-app --wait --timeout=2m\n",
    .options = options,
    .run = run,
};

const struct sc_command sc_cmd_stop = {
    .name = "stop",
    .summary = "Stop a StoppableContainer, keeping its rootfs",
    .usage = "stop NAME [-w|--wait] [--timeout=DURATION]",
    .description = "Sets spec.running to false: the workload is stopped (its pod is deleted) and\n"
		   "its root filesystem is kept for the next start. The target phase is "
		   "Stopped.\n" POWER_DESCRIPTION_TAIL,
    .examples = "  kubectl sc stop my-app\n"
		"  kubectl sc stop my-app -w\n",
    .options = options,
    .run = run,
};

const struct sc_command sc_cmd_restart = {
    .name = "restart",
    .summary = "Stop a StoppableContainer, wait until it is stopped, then start it",
    .usage = "restart NAME [-w|--wait] [--timeout=DURATION]",
    .description = "Stops the container and always waits for phase Stopped (printing phases),\n"
		   "then starts it; --wait also waits for Running. --timeout applies to each\n"
		   "of the two waits.\n",
    .examples = "  kubectl sc restart my-app --wait\n",
    .options = options,
    .run = run,
};
