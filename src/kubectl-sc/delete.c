/* kubectl sc delete NAME... [--force] [--wait=false] [--timeout=DURATION] [--ignore-not-found] */
#include <errno.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

/* The label the controller puts on both pods of an instance
 * (lib/sc-api.h: SC_LABEL_INSTANCE). */

enum {
	OPT_FORCE = SC_OPT_COMMAND,
	OPT_WAIT,
	OPT_TIMEOUT,
	OPT_IGNORE_NOT_FOUND,
};

static const struct sc_cli_option options[] = {
    {OPT_FORCE, "force", 0, SC_CLI_BOOL, NULL, NULL,
     "Delete with grace period 0 and kill its pods at once (see above)"},
    {OPT_WAIT, "wait", 'w', SC_CLI_BOOL, NULL, NULL,
     "Wait until it is gone, its rootfs removed from the node (default true;\n"
     "--wait=false returns once the deletion is accepted)"},
    {OPT_TIMEOUT, "timeout", 0, SC_CLI_REQUIRED, "DURATION", NULL,
     "How long to wait, e.g. 30s, 2m (default 5m)"},
    {OPT_IGNORE_NOT_FOUND, "ignore-not-found", 0, SC_CLI_BOOL, NULL, NULL,
     "A NAME that does not exist is not an error"},
    {0},
};

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct sc_delete_opts *o = ctx;
	bool yes = strcmp(value, "true") == 0;
	switch (opt->id) {
	case OPT_FORCE:
		o->force = yes;
		return 0;
	case OPT_WAIT:
		o->wait = yes;
		return 0;
	case OPT_TIMEOUT:
		return sc_parse_duration(value, &o->timeout_ms, err);
	case OPT_IGNORE_NOT_FOUND:
		o->ignore_not_found = yes;
		return 0;
	default:
		return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
	}
}

int sc_delete_parse(int argc, char **argv, struct sc_delete_opts *o, struct sc_cli_result *res,
		    sc_error_t *err)
{
	*o = (struct sc_delete_opts){.timeout_ms = SC_DEFAULT_TIMEOUT_MS, .wait = true};
	if (sc_parse_in_namespace(argc, argv, options, set_option, o, &o->g, SC_PARSE_REFUSE_REST,
				  res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	if (res->n_positional == 0)
		return sc_error_make(err, EINVAL, "at least one NAME is required");
	for (size_t i = 0; i < res->n_positional; i++) {
		if (sc_validate_dns1123_subdomain("name", res->positional[i], err) < 0)
			return -1;
	}
	return 0;
}

/* --force: kill the workload now rather than after its grace period. Only
 * pods that carry our instance label are touched. */
static void kill_pods(struct sc_session *s, const char *name)
{
	cleanup_free char *selector = sc_xasprintf(SC_LABEL_INSTANCE "=%s", name);
	struct sc_kube_list_options lo = {.label_selector = selector};
	cleanup_json json_t *pods = NULL;
	cleanup_error sc_error_t e = NULL;
	if (sc_kube_list(s->client, &sc_kube_pods, s->ns, &lo, &pods, &e) < 0) {
		fprintf(stderr, "warning: listing the pods of \"%s\": %s\n", name,
			sc_error_message(e));
		return;
	}
	size_t i;
	json_t *pod;
	json_array_foreach (json_object_get(pods, "items"), i, pod) {
		struct sc_kube_delete_options d = {.has_grace_period = true,
						   .grace_period_seconds = 0};
		cleanup_error sc_error_t de = NULL;
		if (sc_kube_delete(s->client, &sc_kube_pods, s->ns, sc_json_name(pod), &d, NULL,
				   &de) < 0 &&
		    !sc_error_is_not_found(de))
			fprintf(stderr, "warning: deleting pod \"%s\": %s\n", sc_json_name(pod),
				sc_error_message(de));
		else
			sc_debug(1, "pod %s deleted with grace period 0", sc_json_name(pod));
	}
}

static int delete_one(struct sc_session *s, const struct sc_delete_opts *o, const char *name,
		      sc_error_t *err)
{
	struct sc_kube_delete_options d = {.propagation_policy = "Background"};
	if (o->force) {
		d.has_grace_period = true;
		d.grace_period_seconds = 0;
	}
	if (sc_kube_delete(s->client, &sc_kube_stoppablecontainers, s->ns, name, &d, NULL, err) <
	    0) {
		if (sc_error_is_not_found(*err) && o->ignore_not_found &&
		    !sc_api_missing_error(s, err)) {
			sc_error_release(err);
			return 0;
		}
		sc_not_found_error(s, name, err);
		return -1;
	}
	printf("stoppablecontainer \"%s\" deleted\n", name);
	fflush(stdout);
	if (o->force)
		kill_pods(s, name);
	if (!o->wait)
		return 0;
	struct sc_wait_options wo = {
	    .name = name,
	    .target = SC_WAIT_DELETED,
	    .timeout_ms = o->timeout_ms,
	};
	if (sc_wait(s, &wo, NULL, err) < 0) {
		/* Say what holds it: a finalizer needs the controller. */
		cleanup_json json_t *obj = NULL;
		cleanup_error sc_error_t e = NULL;
		if (sc_kube_get(s->client, &sc_kube_stoppablecontainers, s->ns, name, &obj, &e) ==
			0 &&
		    json_array_size(sc_json_path(obj, "metadata.finalizers")) > 0) {
			cleanup_free char *f =
			    json_dumps(sc_json_path(obj, "metadata.finalizers"), JSON_COMPACT);
			sc_error_wrap(err,
				      "finalizers %s still hold it (the sc-controller "
				      "removes them once the node has cleaned up)",
				      f);
		}
		return -1;
	}
	return 0;
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_delete_opts o;
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_delete_parse(argc, argv, &o, &res, &err);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	cleanup_session struct sc_session s = {0};
	if (sc_session_open(&o.g, &s, &err) < 0)
		return sc_report_error(&s, &err);
	rc = SC_EXIT_OK;
	for (size_t i = 0; i < res.n_positional; i++) {
		if (delete_one(&s, &o, res.positional[i], &err) < 0) {
			bool fatal = sc_error_is_unreachable(err);
			rc = sc_report_error(&s, &err);
			if (fatal)
				break;
		}
	}
	return rc;
}

const struct sc_command sc_cmd_delete = {
    .name = "delete",
    .aliases = {"rm", "remove", NULL},
    .summary = "Delete StoppableContainers and their kept rootfs",
    .usage = "delete NAME... [--force] [--wait=false] [--timeout=DURATION] [--ignore-not-found]",
    .description =
	"Deletes each NAME. The controller then stops the workload, and the node agent\n"
	"removes the persistent root filesystem from the node: this is the one operation\n"
	"that loses the container's files. It waits until the object is gone, which happens\n"
	"only after that cleanup (the finalizers are removed), so `delete x && create x`\n"
	"works; --wait=false returns as soon as the deletion is accepted.\n"
	"\n"
	"--force deletes with grace period 0 and also deletes the container's pods (those\n"
	"labelled " SC_LABEL_INSTANCE "=NAME) with grace period 0, so the\n"
	"workload is killed at once instead of getting SIGTERM and its grace period. It does\n"
	"NOT remove finalizers: the node's cleanup still runs, nothing is left behind on it.\n"
	"\n"
	"A NAME that does not exist is reported (exit 1) and the others are still deleted.\n",
    .examples = "  kubectl sc delete my-app\n"
		"  kubectl sc rm my-app other --wait=false\n",
    .options = options,
    .run = run,
};
