/* What the commands share: the command table and help, output formats, the
 * session (kubeconfig + client), error reporting. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "kubectl-sc/yaml-out.h"
#include "lib/sc-buf.h"
#include "lib/sc-json.h"
#include "lib/sc-log.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

const struct sc_command *const sc_commands[] = {
    &sc_cmd_create,     &sc_cmd_list, &sc_cmd_status,   &sc_cmd_start,  &sc_cmd_stop,
    &sc_cmd_restart,    &sc_cmd_exec, &sc_cmd_logs,     &sc_cmd_delete, &sc_cmd_version,
    &sc_cmd_completion, &sc_cmd_help, &sc_cmd_complete, NULL,
};

const struct sc_command *sc_command_find(const char *word)
{
	for (size_t i = 0; sc_commands[i] != NULL; i++) {
		const struct sc_command *c = sc_commands[i];
		if (strcmp(c->name, word) == 0)
			return c;
		for (size_t k = 0; c->aliases[k] != NULL; k++) {
			if (strcmp(c->aliases[k], word) == 0)
				return c;
		}
	}
	return NULL;
}

void sc_command_help(const struct sc_command *cmd, FILE *f)
{
	fprintf(f, "%s\n\nUsage:\n  %s %s\n", cmd->summary, SC_PROGRAM, cmd->usage);
	if (cmd->aliases[0] != NULL) {
		fprintf(f, "\nAliases:\n  %s", cmd->name);
		for (size_t k = 0; cmd->aliases[k] != NULL; k++)
			fprintf(f, ", %s", cmd->aliases[k]);
		fputc('\n', f);
	}
	if (cmd->description != NULL)
		fprintf(f, "\n%s", cmd->description);
	if (cmd->examples != NULL)
		fprintf(f, "\nExamples:\n%s", cmd->examples);
	if (cmd->options != NULL && cmd->options[0].long_name != NULL) {
		fputs("\nFlags:\n", f);
		sc_cli_print_options(f, cmd->options);
	}
	fputs("\nGlobal flags:\n", f);
	sc_cli_print_options(f, sc_global_options);
}

void sc_main_help(FILE *f)
{
	fputs("kubectl sc manages StoppableContainers: containers whose root filesystem survives\n"
	      "stop and start (packages installed, files written, all still there).\n"
	      "\nUsage:\n  kubectl sc COMMAND [ARGS] [flags]\n\nCommands:\n",
	      f);
	for (size_t i = 0; sc_commands[i] != NULL; i++) {
		const struct sc_command *c = sc_commands[i];
		if (!c->hidden)
			fprintf(f, "  %-12s%s\n", c->name, c->summary);
	}
	fputs("\nGlobal flags:\n", f);
	sc_cli_print_options(f, sc_global_options);
	fputs("\nRun 'kubectl sc COMMAND --help' for the flags of a command;\n"
	      "'kubectl sc --version' prints the plugin's version.\n",
	      f);
}

static const struct sc_cli_option *global_long(const char *name, size_t len)
{
	for (const struct sc_cli_option *o = sc_global_options; o->long_name != NULL; o++) {
		if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
			return o;
	}
	return NULL;
}

static const struct sc_cli_option *global_short(char c)
{
	for (const struct sc_cli_option *o = sc_global_options; o->long_name != NULL; o++) {
		if (o->short_name == c)
			return o;
	}
	return NULL;
}

int sc_find_command(int argc, char *const argv[], int *index, sc_error_t *err)
{
	*index = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return 0;
		if (a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			const struct sc_cli_option *o = global_long(a + 2, len);
			/* `kubectl sc --version` (cobra's root flag): it stands
			 * for the command word. */
			if (o == NULL && eq == NULL && strcmp(a + 2, "version") == 0) {
				*index = i;
				return 0;
			}
			if (o == NULL)
				return sc_error_make(err, EINVAL, "unknown flag: --%.*s", (int)len,
						     a + 2);
			if (o->arg == SC_CLI_REQUIRED && eq == NULL)
				i++;
		} else if (a[0] == '-' && a[1] != '\0') {
			for (size_t j = 1; a[j] != '\0'; j++) {
				const struct sc_cli_option *o = global_short(a[j]);
				if (o == NULL)
					return sc_error_make(err, EINVAL,
							     "unknown shorthand flag: '%c' in %s",
							     a[j], a);
				if (o->arg == SC_CLI_BOOL)
					continue;
				if (o->arg == SC_CLI_REQUIRED && a[j + 1] == '\0')
					i++;
				break;
			}
		} else {
			*index = i;
			return 0;
		}
	}
	return 0;
}

int sc_usage_error(const struct sc_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(stderr, "\nSee '%s %s --help' for usage.\n", SC_PROGRAM, cmd->name);
	else
		fprintf(stderr, "\nSee '%s --help' for usage.\n", SC_PROGRAM);
	return SC_EXIT_USAGE;
}

int sc_parse_outcome(const struct sc_command *cmd, int r, const struct sc_cli_result *res,
		     sc_error_t *err)
{
	if (r < 0) {
		int rc = sc_usage_error(cmd, "%s", sc_error_message(*err));
		sc_error_release(err);
		return rc;
	}
	if (res->help) {
		sc_command_help(cmd, stdout);
		return SC_EXIT_OK;
	}
	return -1;
}

int sc_no_all_namespaces(const struct sc_global_opts *g, const char *cmd, sc_error_t *err)
{
	if (g->all_namespaces)
		return sc_error_make(
		    err, EINVAL,
		    "--all-namespaces (-A) does not apply to %s, which acts in one "
		    "namespace: give it with -n NAMESPACE (-A works with list, "
		    "status and logs)",
		    cmd);
	return 0;
}

int sc_parse_in_namespace(int argc, char **argv, const struct sc_cli_option *options,
			  sc_cli_set_fn set, void *ctx, struct sc_global_opts *g, unsigned flags,
			  struct sc_cli_result *res, sc_error_t *err)
{
	size_t max_positional = (flags & SC_PARSE_COMMAND_AFTER_NAME) ? 1 : 0;
	if (sc_cli_parse_until(argc, argv, 1, max_positional, options, set, ctx, g, res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	if (!(flags & SC_PARSE_ALL_NAMESPACES) && sc_no_all_namespaces(g, argv[0], err) < 0)
		return -1;
	if (g->all_namespaces && g->namespace != NULL)
		return sc_error_make(err, EINVAL,
				     "give either -n NAMESPACE or --all-namespaces (-A), not both");
	if ((flags & SC_PARSE_REFUSE_REST) && res->has_dashdash)
		return sc_error_make(err, EINVAL, "%s takes no command after --", argv[0]);
	return 0;
}

int sc_one_name(const struct sc_cli_result *res, const char *cmd, sc_error_t *err)
{
	if (res->n_positional == 0)
		return sc_error_make(err, EINVAL, "a NAME is required");
	if (res->n_positional > 1)
		return sc_error_make(err, EINVAL, "%s takes one NAME, got %zu: %s %s ...", cmd,
				     res->n_positional, res->positional[0], res->positional[1]);
	return sc_validate_dns1123_subdomain("name", res->positional[0], err);
}

/* ---- output ---- */

int sc_parse_output(const char *s, unsigned allowed, enum sc_output *out, sc_error_t *err)
{
	static const char *const names[] = {
	    [SC_OUTPUT_DEFAULT] = "",  [SC_OUTPUT_WIDE] = "wide", [SC_OUTPUT_JSON] = "json",
	    [SC_OUTPUT_YAML] = "yaml", [SC_OUTPUT_NAME] = "name",
	};
	for (size_t i = 1; i < SC_ARRAY_SIZE(names); i++) {
		if ((allowed & SC_OUTPUT_BIT(i)) && strcmp(s, names[i]) == 0) {
			*out = (enum sc_output)i;
			return 0;
		}
	}
	char list[64] = "";
	for (size_t i = 1; i < SC_ARRAY_SIZE(names); i++) {
		if (allowed & SC_OUTPUT_BIT(i)) {
			size_t n = strlen(list);
			snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", names[i]);
		}
	}
	return sc_error_make(err, EINVAL, "unknown output format \"%s\" (allowed: %s)", s, list);
}

/* kubectl leaves out metadata.managedFields unless asked: pages of field
 * paths that say nothing to a person. */
static void hide_managed_fields(json_t *obj)
{
	json_t *md = json_object_get(obj, "metadata");
	if (json_is_object(md))
		json_object_del(md, "managedFields");
	size_t i;
	json_t *item;
	json_array_foreach (json_object_get(obj, "items"), i, item) {
		hide_managed_fields(item);
	}
}

int sc_print_object(FILE *f, json_t *obj, enum sc_output fmt, sc_error_t *err)
{
	hide_managed_fields(obj);
	if (fmt == SC_OUTPUT_YAML) {
		cleanup_free char *text = NULL;
		if (sc_json_to_yaml(obj, &text, err) < 0)
			return -1;
		fputs(text, f);
		return 0;
	}
	cleanup_free char *text = json_dumps(obj, JSON_INDENT(4) | JSON_SORT_KEYS);
	if (text == NULL)
		return sc_error_make(err, ENOMEM, "formatting JSON");
	fprintf(f, "%s\n", text);
	return 0;
}

/* ---- session ---- */

void sc_debug(int level, const char *fmt, ...)
{
	if (sc_log_verbosity() < level)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("debug: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int sc_session_open(const struct sc_global_opts *g, struct sc_session *s, sc_error_t *err)
{
	*s = (struct sc_session){.g = g};
	/* The library's own structured logs stay quiet below -v=4: a CLI's
	 * stderr is for people. */
	sc_log_init("kubectl-sc", g->verbosity);
	struct sc_kubeconfig_options ko = {.path = g->kubeconfig, .context = g->context};
	if (sc_kube_config_load(&ko, &s->cfg, err) < 0)
		return -1;
	struct sc_kube_client_options co = {.component = "kubectl-sc"};
	if (sc_kube_client_new(s->cfg, &co, &s->client, err) < 0) {
		sc_session_close(s);
		return -1;
	}
	s->ns = g->namespace ? g->namespace : s->cfg->namespace;
	sc_debug(1, "kubeconfig %s, context %s, server %s, namespace %s", s->cfg->source,
		 s->cfg->context ? s->cfg->context : "(none)", s->cfg->server, s->ns);
	return 0;
}

void sc_session_close(struct sc_session *s)
{
	free(s->ns_found);
	s->ns_found = NULL;
	sc_kube_client_free(s->client);
	sc_kube_config_free(s->cfg);
	s->client = NULL;
	s->cfg = NULL;
}

void sc_cleanup_sessionp(struct sc_session *s)
{
	sc_session_close(s);
}

bool sc_error_is_unreachable(const sc_error_t err)
{
	if (err == NULL || err->http_status != 0)
		return false;
	switch (err->code) {
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ETIMEDOUT:
	case EPROTO:
	case EIO:
		return true;
	default:
		return false;
	}
}

int sc_report_error(const struct sc_session *s, sc_error_t *err)
{
	const char *msg = sc_error_message(*err);
	if (sc_error_is_unreachable(*err)) {
		if (s != NULL && s->cfg != NULL)
			fprintf(stderr, "error: cannot reach the Kubernetes API server at %s: %s\n",
				s->cfg->server, msg);
		else
			fprintf(stderr, "error: cannot reach the Kubernetes API server: %s\n", msg);
	} else {
		fprintf(stderr, "error: %s\n", msg);
	}
	sc_error_release(err);
	return SC_EXIT_FAILURE;
}

int sc_api_missing_error(struct sc_session *s, sc_error_t *err)
{
	if (!sc_error_is_not_found(*err))
		return 0;
	/* A 404 for an object and a 404 for the whole API group look alike;
	 * discovery tells them apart, so the message says what to do. */
	struct sc_kube_call call = {.method = "GET",
				    .path = "/apis/" SC_KUBE_GROUP "/" SC_KUBE_VERSION};
	cleanup_error sc_error_t e = NULL;
	cleanup_json json_t *discovery = NULL;
	if (sc_kube_call(s->client, &call, &discovery, &e) == 0 || !sc_error_is_not_found(e))
		return 0;
	sc_error_release(err);
	sc_error_make_http(err, 404, "NotFound",
			   "the cluster has no StoppableContainer API (%s/%s): install the CRDs "
			   "first (kubectl apply -k config/crd)",
			   SC_KUBE_GROUP, SC_KUBE_VERSION);
	return 1;
}

int sc_not_found_error(struct sc_session *s, const char *name, sc_error_t *err)
{
	if (!sc_error_is_not_found(*err) || sc_api_missing_error(s, err))
		return -1;
	sc_error_release(err);
	return sc_error_make_http(err, 404, "NotFound",
				  "stoppablecontainer \"%s\" not found in namespace \"%s\"", name,
				  s->ns);
}

int sc_find_namespace(struct sc_session *s, const char *name, sc_error_t *err)
{
	cleanup_free char *selector = sc_xasprintf("metadata.name=%s", name);
	struct sc_kube_list_options lo = {.field_selector = selector};
	cleanup_json json_t *list = NULL;
	if (sc_kube_list(s->client, &sc_kube_stoppablecontainers, NULL, &lo, &list, err) < 0) {
		sc_api_missing_error(s, err);
		return -1;
	}
	json_t *items = json_object_get(list, "items");
	size_t n = json_array_size(items);
	if (n == 0)
		return sc_error_make_http(err, 404, "NotFound",
					  "stoppablecontainer \"%s\" not found in any namespace",
					  name);
	if (n > 1) {
		struct sc_buf b = SC_BUF_INIT((size_t)-2);
		size_t i;
		json_t *item;
		json_array_foreach (items, i, item) {
			const char *ns = sc_json_namespace(item);
			sc_buf_printf(&b, NULL, "%s%s", i ? ", " : "", ns ? ns : "?");
		}
		cleanup_free char *names = sc_buf_steal(&b);
		return sc_error_make(
		    err, EEXIST,
		    "stoppablecontainer \"%s\" exists in %zu namespaces (%s): pick "
		    "one with -n NAMESPACE",
		    name, n, names);
	}
	const char *ns = sc_json_namespace(json_array_get(items, 0));
	if (ns == NULL)
		return sc_error_make(err, EPROTO, "the server listed \"%s\" without a namespace",
				     name);
	free(s->ns_found);
	s->ns_found = sc_xstrdup(ns);
	s->ns = s->ns_found;
	sc_debug(1, "-A: stoppablecontainer %s is in namespace %s", name, ns);
	return 0;
}

int sc_get_container(struct sc_session *s, const char *name, json_t **out, sc_error_t *err)
{
	if (sc_kube_get(s->client, &sc_kube_stoppablecontainers, s->ns, name, out, err) < 0) {
		sc_not_found_error(s, name, err);
		return -1;
	}
	return 0;
}
