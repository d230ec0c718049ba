/* kubectl sc version [--client] [-o json|yaml] */
#include <errno.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"

enum {
	OPT_CLIENT = SC_OPT_COMMAND,
	OPT_OUTPUT,
};

struct version_opts {
	struct sc_global_opts g;
	bool client_only;
	enum sc_output output;
};

static const struct sc_cli_option options[] = {
    {OPT_CLIENT, "client", 0, SC_CLI_BOOL, NULL, NULL,
     "Only the plugin's version; do not ask the server"},
    {OPT_OUTPUT, "output", 'o', SC_CLI_REQUIRED, "FORMAT", NULL, "json or yaml"},
    {0},
};

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct version_opts *o = ctx;
	if (opt->id == OPT_CLIENT) {
		o->client_only = strcmp(value, "true") == 0;
		return 0;
	}
	if (opt->id == OPT_OUTPUT)
		return sc_parse_output(
		    value, SC_OUTPUT_BIT(SC_OUTPUT_JSON) | SC_OUTPUT_BIT(SC_OUTPUT_YAML),
		    &o->output, err);
	return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct version_opts o = {0};
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_cli_parse(argc, argv, 1, options, set_option, &o, &o.g, &res, &err);
	if (r == 0 && !res.help && res.n_positional > 0)
		r = sc_error_make(&err, EINVAL, "version takes no arguments");
	if (r == 0 && !res.help && o.g.all_namespaces)
		r = sc_error_make(&err, EINVAL,
				  "--all-namespaces (-A) does not apply to version, which reads no "
				  "namespace");
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;

	cleanup_json json_t *server = NULL;
	cleanup_session struct sc_session s = {0};
	int ok = 0;
	if (!o.client_only) {
		struct sc_kube_call call = {.method = "GET", .path = "/version"};
		ok = sc_session_open(&o.g, &s, &err);
		if (ok == 0)
			ok = sc_kube_call(s.client, &call, &server, &err);
	}
	if (o.output == SC_OUTPUT_JSON || o.output == SC_OUTPUT_YAML) {
		cleanup_json json_t *v = json_pack("{s:s}", "pluginVersion", SC_VERSION);
		if (server != NULL)
			json_object_set(v, "serverVersion", server);
		cleanup_error sc_error_t pe = NULL;
		if (sc_print_object(stdout, v, o.output, &pe) < 0)
			return sc_report_error(NULL, &pe);
	} else {
		printf("Plugin version: %s\n", SC_VERSION);
		if (server != NULL) {
			const char *gv = sc_json_path_str(server, "gitVersion");
			printf("Server version: %s\n", gv ? gv : "(unknown)");
		}
	}
	if (ok < 0) {
		fflush(stdout);
		return sc_report_error(&s, &err);
	}
	return SC_EXIT_OK;
}

const struct sc_command sc_cmd_version = {
    .name = "version",
    .summary = "Print the plugin's version and the cluster's",
    .usage = "version [--client] [-o json|yaml]",
    .description = "Prints the plugin's version and the Kubernetes version the API server\n"
		   "reports (GET /version). When the server cannot be reached, the plugin's\n"
		   "version is still printed, then one error line, and the exit status is 1.\n",
    .examples = "  kubectl sc version\n"
		"  kubectl sc version --client\n",
    .options = options,
    .run = run,
};
