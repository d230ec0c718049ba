/* kubectl sc create NAME --image=IMAGE [flags] [-- COMMAND [ARG...]]
 *
 * Applies the object (server-side apply, field manager "kubectl-sc"): a new
 * NAME is created, an existing one updated to the spec given, as the
 * reference's `kubectl apply` did. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

enum {
	OPT_IMAGE = SC_OPT_COMMAND,
	OPT_ENV,
	OPT_PORT,
	OPT_WORKDIR,
	OPT_RUNNING,
	OPT_CPU,
	OPT_MEMORY,
	OPT_CPU_LIMIT,
	OPT_MEMORY_LIMIT,
	OPT_PULL_POLICY,
	OPT_STDIN,
	OPT_TTY,
	OPT_WAIT,
	OPT_TIMEOUT,
	OPT_OUTPUT,
	OPT_DRY_RUN,
	OPT_LABELS,
};

#define FIELD_MANAGER "kubectl-sc"

static const struct sc_cli_option options[] = {
    {OPT_IMAGE, "image", 0, SC_CLI_REQUIRED, "IMAGE", NULL,
     "Image whose filesystem becomes the persistent rootfs (required)"},
    {OPT_ENV, "env", 'e', SC_CLI_REQUIRED, "KEY=VALUE", NULL, "Set an environment variable", true},
    {OPT_PORT, "port", 'p', SC_CLI_REQUIRED, "PORT[:NAME]", NULL,
     "Declare a container port (1-65535), optionally named", true},
    {OPT_WORKDIR, "workdir", 'w', SC_CLI_REQUIRED, "DIR", NULL,
     "Working directory of the command (absolute; default: the image's)"},
    {OPT_RUNNING, "running", 0, SC_CLI_BOOL, NULL, NULL,
     "Start it right away (default true; --running=false only creates it)"},
    {OPT_CPU, "cpu", 0, SC_CLI_REQUIRED, "QUANTITY", NULL, "CPU request, e.g. 500m or 2"},
    {OPT_MEMORY, "memory", 0, SC_CLI_REQUIRED, "QUANTITY", NULL, "Memory request, e.g. 512Mi"},
    {OPT_CPU_LIMIT, "cpu-limit", 0, SC_CLI_REQUIRED, "QUANTITY", NULL, "CPU limit"},
    {OPT_MEMORY_LIMIT, "memory-limit", 0, SC_CLI_REQUIRED, "QUANTITY", NULL, "Memory limit"},
    {OPT_PULL_POLICY, "image-pull-policy", 0, SC_CLI_REQUIRED, "POLICY", NULL,
     "Always, IfNotPresent or Never (default: the cluster's)"},
    {OPT_STDIN, "stdin", 'i', SC_CLI_BOOL, NULL, NULL,
     "Keep the workload's stdin open (default: on for an interactive shell, see above)"},
    {OPT_TTY, "tty", 't', SC_CLI_BOOL, NULL, NULL,
     "Give the workload a terminal (default: as --stdin)"},
    {OPT_WAIT, "wait", 0, SC_CLI_BOOL, NULL, NULL,
     "Wait until it is Running (or Stopped with --running=false), printing phases"},
    {OPT_TIMEOUT, "timeout", 0, SC_CLI_REQUIRED, "DURATION", NULL,
     "How long --wait waits, e.g. 30s, 2m, 1h (default 5m)"},
    {OPT_LABELS, "labels", 'l', SC_CLI_REQUIRED, "KEY=VALUE,...", NULL,
     "Labels for the StoppableContainer and its workload pod (for a Service's selector)", true},
    {OPT_OUTPUT, "output", 'o', SC_CLI_REQUIRED, "FORMAT", NULL,
     "Print the applied object: json, yaml or name"},
    {OPT_DRY_RUN, "dry-run", 0, SC_CLI_OPTIONAL, "none|client|server", "client",
     "Only print the object (YAML unless -o), change nothing: client builds it here,\n"
     "server has the API server check and default it without storing it"},
    {0},
};

static int parse_env(struct sc_create_opts *o, const char *value, sc_error_t *err)
{
	const char *eq = strchr(value, '=');
	if (eq == NULL || eq == value)
		return sc_error_make(err, EINVAL, "invalid --env \"%s\": expected KEY=VALUE",
				     value);
	for (const char *p = value; p < eq; p++) {
		if (*p < 0x21 || *p > 0x7e)
			return sc_error_make(err, EINVAL,
					     "invalid --env \"%s\": the name may only "
					     "hold printable ASCII without spaces",
					     value);
	}
	for (size_t i = 0; i < o->n_env; i++) {
		size_t len = (size_t)(eq - value);
		if (strncmp(o->env[i], value, len + 1) == 0)
			return sc_error_make(err, EINVAL, "invalid --env \"%s\": %.*s is set twice",
					     value, (int)len, value);
	}
	o->env = sc_xrealloc(o->env, (o->n_env + 1) * sizeof(*o->env));
	o->env[o->n_env++] = value;
	return 0;
}

static int parse_port(struct sc_create_opts *o, const char *value, sc_error_t *err)
{
	const char *colon = strchr(value, ':');
	cleanup_free char *num =
	    colon ? sc_xstrndup(value, (size_t)(colon - value)) : sc_xstrdup(value);
	long port;
	if (sc_parse_long(num, 1, 65535, &port) < 0)
		return sc_error_make(err, EINVAL,
				     "invalid --port \"%s\": expected PORT[:NAME] with "
				     "PORT in 1-65535",
				     value);
	const char *name = colon ? colon + 1 : NULL;
	if (name != NULL && !sc_port_name_valid(name))
		return sc_error_make(err, EINVAL,
				     "invalid --port \"%s\": the name must be 1-15 "
				     "lower-case letters, digits and '-', with a letter",
				     value);
	for (size_t i = 0; i < o->n_ports; i++) {
		if (o->ports[i].number == port)
			return sc_error_make(err, EINVAL,
					     "invalid --port \"%s\": port %ld is given "
					     "twice",
					     value, port);
		if (name && o->ports[i].name && strcmp(name, o->ports[i].name) == 0)
			return sc_error_make(err, EINVAL,
					     "invalid --port \"%s\": name %s is used twice", value,
					     name);
	}
	o->ports = sc_xrealloc(o->ports, (o->n_ports + 1) * sizeof(*o->ports));
	o->ports[o->n_ports++] = (struct sc_port){port, name};
	return 0;
}

static int parse_quantity(struct sc_create_opts *o, const struct sc_cli_option *opt,
			  const char *value, sc_error_t *err)
{
	if (!sc_quantity_valid(value))
		return sc_error_make(err, EINVAL,
				     "invalid --%s \"%s\": expected a quantity such as "
				     "500m, 2, 512Mi or 1Gi",
				     opt->long_name, value);
	if (opt->id == OPT_CPU)
		o->cpu = value;
	else if (opt->id == OPT_MEMORY)
		o->memory = value;
	else if (opt->id == OPT_CPU_LIMIT)
		o->cpu_limit = value;
	else
		o->memory_limit = value;
	return 0;
}

static int parse_dry_run(struct sc_create_opts *o, const char *value, sc_error_t *err)
{
	/* kubectl's values, and the booleans an older --dry-run took. */
	if (strcmp(value, "client") == 0 || strcmp(value, "true") == 0)
		o->dry_run = SC_DRY_RUN_CLIENT;
	else if (strcmp(value, "server") == 0)
		o->dry_run = SC_DRY_RUN_SERVER;
	else if (strcmp(value, "none") == 0 || strcmp(value, "false") == 0)
		o->dry_run = SC_DRY_RUN_NONE;
	else
		return sc_error_make(err, EINVAL,
				     "invalid --dry-run \"%s\": expected none, client or "
				     "server",
				     value);
	return 0;
}

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct sc_create_opts *o = ctx;
	bool yes = strcmp(value, "true") == 0;
	switch (opt->id) {
	case OPT_IMAGE:
		o->image = value;
		return 0;
	case OPT_ENV:
		return parse_env(o, value, err);
	case OPT_PORT:
		return parse_port(o, value, err);
	case OPT_WORKDIR:
		if (value[0] != '/')
			return sc_error_make(err, EINVAL,
					     "invalid --workdir \"%s\": must be an absolute path",
					     value);
		o->workdir = value;
		return 0;
	case OPT_RUNNING:
		o->running = yes;
		return 0;
	case OPT_CPU:
	case OPT_MEMORY:
	case OPT_CPU_LIMIT:
	case OPT_MEMORY_LIMIT:
		return parse_quantity(o, opt, value, err);
	case OPT_PULL_POLICY:
		if (strcmp(value, "Always") != 0 && strcmp(value, "IfNotPresent") != 0 &&
		    strcmp(value, "Never") != 0)
			return sc_error_make(err, EINVAL,
					     "invalid --image-pull-policy \"%s\": expected Always, "
					     "IfNotPresent or Never",
					     value);
		o->pull_policy = value;
		return 0;
	case OPT_STDIN:
		o->stdin_mode = yes;
		return 0;
	case OPT_TTY:
		o->tty_mode = yes;
		return 0;
	case OPT_WAIT:
		o->wait = yes;
		return 0;
	case OPT_TIMEOUT:
		return sc_parse_duration(value, &o->timeout_ms, err);
	case OPT_OUTPUT:
		return sc_parse_output(value,
				       SC_OUTPUT_BIT(SC_OUTPUT_JSON) |
					   SC_OUTPUT_BIT(SC_OUTPUT_YAML) |
					   SC_OUTPUT_BIT(SC_OUTPUT_NAME),
				       &o->output, err);
	case OPT_DRY_RUN:
		return parse_dry_run(o, value, err);
	case OPT_LABELS:
		return sc_parse_labels(value, o, err);
	default:
		return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
	}
}

int sc_create_parse(int argc, char **argv, struct sc_create_opts *o, struct sc_cli_result *res,
		    sc_error_t *err)
{
	*o = (struct sc_create_opts){
	    .running = true,
	    .stdin_mode = -1,
	    .tty_mode = -1,
	    .timeout_ms = SC_DEFAULT_TIMEOUT_MS,
	};
	if (sc_parse_in_namespace(argc, argv, options, set_option, o, &o->g, false, res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	if (res->n_positional == 0)
		return sc_error_make(err, EINVAL, "a NAME is required");
	if (res->n_positional > 1)
		return sc_error_make(
		    err, EINVAL,
		    "create takes one NAME (got \"%s\" too); put the command after "
		    "--: create NAME --image=IMAGE -- COMMAND [ARG...]",
		    res->positional[1]);
	o->name = res->positional[0];
	if (sc_validate_dns1123_subdomain("name", o->name, err) < 0)
		return -1;
	/* The name is also the consumer pod's name and a label value, which
	 * stop at 63 characters. */
	if (strlen(o->name) > 63)
		return sc_error_make(err, EINVAL, "invalid name \"%s\": longer than 63 characters",
				     o->name);
	if (o->image == NULL || *o->image == '\0')
		return sc_error_make(err, EINVAL,
				     "--image is required (e.g. --image=ubuntu:22.04)");
	if (res->has_dashdash && res->n_rest == 0)
		return sc_error_make(err, EINVAL, "no command after --");
	if (res->n_rest > 0 && res->rest[0][0] == '\0')
		return sc_error_make(err, EINVAL, "the command after -- must not be empty");
	o->command = res->rest;
	o->n_command = res->n_rest;
	return 0;
}

void sc_create_opts_free(struct sc_create_opts *o)
{
	free(o->env);
	free(o->ports);
	for (size_t i = 0; i < o->n_labels; i++) {
		free((char *)o->labels[i].key);
		free((char *)o->labels[i].value);
	}
	free(o->labels);
	o->env = NULL;
	o->ports = NULL;
	o->labels = NULL;
	o->n_labels = 0;
}

/* A label name or value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both
 * ends; a value may be empty. */
static bool label_name_valid(const char *s, size_t n, bool may_be_empty)
{
	if (n == 0)
		return may_be_empty;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

static int parse_label(const char *item, size_t len, struct sc_create_opts *o, sc_error_t *err)
{
	cleanup_free char *text = sc_xstrndup(item, len);
	char *eq = strchr(text, '=');
	if (eq == NULL || eq == text)
		return sc_error_make(err, EINVAL, "invalid --labels \"%s\": expected KEY=VALUE",
				     text);
	*eq = '\0';
	const char *key = text, *value = eq + 1;
	const char *slash = strchr(key, '/');
	const char *name = slash ? slash + 1 : key;
	if (slash != NULL) {
		cleanup_free char *prefix = sc_xstrndup(key, (size_t)(slash - key));
		cleanup_error sc_error_t e = NULL;
		if (sc_validate_dns1123_subdomain("prefix", prefix, &e) < 0)
			return sc_error_make(err, EINVAL,
					     "invalid --labels key \"%s\": the prefix before '/' "
					     "must be a DNS subdomain (e.g. example.com)",
					     key);
		if (strcmp(prefix, SC_KUBE_GROUP) == 0)
			return sc_error_make(
			    err, EINVAL,
			    "invalid --labels key \"%s\": the prefix " SC_KUBE_GROUP
			    "/ is the operator's own",
			    key);
	}
	if (!label_name_valid(name, strlen(name), false))
		return sc_error_make(
		    err, EINVAL,
		    "invalid --labels key \"%s\": the name must be 1-63 letters, "
		    "digits, '-', '_' or '.', starting and ending with a letter or "
		    "digit",
		    key);
	if (!label_name_valid(value, strlen(value), true))
		return sc_error_make(
		    err, EINVAL,
		    "invalid --labels value \"%s\" for %s: at most 63 letters, "
		    "digits, '-', '_' or '.', starting and ending with a letter or "
		    "digit",
		    value, key);
	for (size_t i = 0; i < o->n_labels; i++) {
		if (strcmp(o->labels[i].key, key) == 0)
			return sc_error_make(err, EINVAL, "invalid --labels: %s is set twice", key);
	}
	o->labels = sc_xrealloc(o->labels, (o->n_labels + 1) * sizeof(*o->labels));
	o->labels[o->n_labels++] = (struct sc_label){sc_xstrdup(key), sc_xstrdup(value)};
	return 0;
}

int sc_parse_labels(const char *value, struct sc_create_opts *o, sc_error_t *err)
{
	if (*value == '\0')
		return sc_error_make(err, EINVAL, "invalid --labels \"\": expected KEY=VALUE,...");
	const char *p = value;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (parse_label(p, len, o, err) < 0)
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

bool sc_command_is_interactive_shell(const char *const *command, size_t n)
{
	static const char *const shells[] = {"sh",  "bash", "zsh",  "ash",  "dash",
					     "ksh", "mksh", "fish", "tcsh", "csh"};
	size_t i = 0;
	if (n == 0)
		return false;
	/* "/usr/bin/env bash", "busybox sh" */
	const char *b = base_name(command[0]);
	if (strcmp(b, "env") == 0 || strcmp(b, "busybox") == 0 || strcmp(b, "toybox") == 0) {
		if (n < 2)
			return false;
		i = 1;
		b = base_name(command[1]);
	}
	bool shell = false;
	for (size_t k = 0; k < SC_ARRAY_SIZE(shells); k++)
		shell = shell || strcmp(b, shells[k]) == 0;
	if (!shell)
		return false;
	/* Only options may follow; "-c STRING" or a script file makes it a
	 * batch job that ends by itself. */
	for (i++; i < n; i++) {
		const char *a = command[i];
		if (a[0] != '-')
			return false;
		if (a[1] != '-' && strchr(a + 1, 'c') != NULL)
			return false;
	}
	return true;
}

/* The --env values as a container's env list. */
static json_t *env_list(const struct sc_create_opts *o)
{
	json_t *env = json_array();
	for (size_t i = 0; i < o->n_env; i++) {
		const char *eq = strchr(o->env[i], '=');
		cleanup_free char *key = sc_xstrndup(o->env[i], (size_t)(eq - o->env[i]));
		json_array_append_new(env, json_pack("{s:s, s:s}", "name", key, "value", eq + 1));
	}
	return env;
}

/* The --port values as a container's ports list. */
static json_t *port_list(const struct sc_create_opts *o)
{
	json_t *ports = json_array();
	for (size_t i = 0; i < o->n_ports; i++) {
		json_t *p = json_pack("{s:I}", "containerPort", (json_int_t)o->ports[i].number);
		if (o->ports[i].name != NULL)
			json_object_set_new(p, "name", json_string(o->ports[i].name));
		json_array_append_new(ports, p);
	}
	return ports;
}

/* The container's resources from --cpu, --memory and their limits; NULL
 * when none was given. */
static json_t *resources(const struct sc_create_opts *o)
{
	json_t *requests = json_object(), *limits = json_object();
	if (o->cpu)
		json_object_set_new(requests, "cpu", json_string(o->cpu));
	if (o->memory)
		json_object_set_new(requests, "memory", json_string(o->memory));
	if (o->cpu_limit)
		json_object_set_new(limits, "cpu", json_string(o->cpu_limit));
	if (o->memory_limit)
		json_object_set_new(limits, "memory", json_string(o->memory_limit));
	json_t *res = NULL;
	if (json_object_size(requests) > 0 || json_object_size(limits) > 0) {
		res = json_object();
		if (json_object_size(requests) > 0)
			json_object_set(res, "requests", requests);
		if (json_object_size(limits) > 0)
			json_object_set(res, "limits", limits);
	}
	json_decref(requests);
	json_decref(limits);
	return res;
}

json_t *sc_create_object(const struct sc_create_opts *o, const char *ns)
{
	json_t *container = json_pack("{s:s}", "image", o->image);
	if (o->n_command > 0) {
		json_t *cmd = json_array();
		for (size_t i = 0; i < o->n_command; i++)
			json_array_append_new(cmd, json_string(o->command[i]));
		json_object_set_new(container, "command", cmd);
	}
	if (o->workdir != NULL)
		json_object_set_new(container, "workingDir", json_string(o->workdir));
	if (o->n_env > 0)
		json_object_set_new(container, "env", env_list(o));
	if (o->n_ports > 0)
		json_object_set_new(container, "ports", port_list(o));
	json_t *res = resources(o);
	if (res != NULL)
		json_object_set_new(container, "resources", res);
	if (o->pull_policy)
		json_object_set_new(container, "imagePullPolicy", json_string(o->pull_policy));
	/* An interactive shell with stdin closed reads EOF and exits at once;
	 * `kubectl run -it` keeps it up with stdin and a tty, and so do we.
	 * With no command the image's own CMD runs, which for the usual base
	 * images (ubuntu, debian, alpine, busybox) is such a shell. */
	bool interactive =
	    o->n_command == 0 || sc_command_is_interactive_shell(o->command, o->n_command);
	bool in = o->stdin_mode >= 0 ? o->stdin_mode == 1 : interactive;
	bool tty = o->tty_mode >= 0 ? o->tty_mode == 1 : in;
	if (in)
		json_object_set_new(container, "stdin", json_true());
	if (tty)
		json_object_set_new(container, "tty", json_true());

	json_t *metadata = json_pack("{s:s}", "name", o->name);
	if (ns != NULL)
		json_object_set_new(metadata, "namespace", json_string(ns));
	json_t *template = json_pack("{s:o}", "container", container);
	if (o->n_labels > 0) {
		/* On the object (list -l finds it) and on the workload pod (a
		 * Service selects it; the provider pod does not get them). */
		json_t *labels = json_object();
		for (size_t i = 0; i < o->n_labels; i++)
			json_object_set_new(labels, o->labels[i].key,
					    json_string(o->labels[i].value));
		json_object_set_new(metadata, "labels", json_deep_copy(labels));
		json_object_set_new(template, "metadata", json_pack("{s:o}", "labels", labels));
	}
	return json_pack("{s:s, s:s, s:o, s:{s:b, s:o}}", "apiVersion",
			 SC_KUBE_GROUP "/" SC_KUBE_VERSION, "kind", SC_KIND, "metadata", metadata,
			 "spec", "running", o->running, "template", template);
}

/* verb: "created", "configured" or "unchanged", as kubectl apply says. */
static int print_result(json_t *obj, const struct sc_create_opts *o, const char *verb,
			sc_error_t *err)
{
	switch (o->output) {
	case SC_OUTPUT_JSON:
	case SC_OUTPUT_YAML:
		return sc_print_object(stdout, obj, o->output, err);
	case SC_OUTPUT_NAME:
		printf("stoppablecontainer.%s/%s\n", SC_KUBE_GROUP, o->name);
		return 0;
	case SC_OUTPUT_DEFAULT:
	case SC_OUTPUT_WIDE:
		break;
	}
	printf("stoppablecontainer/%s %s\n", o->name, verb);
	return 0;
}

static int print_dry_run(json_t *obj, const struct sc_create_opts *o, sc_error_t *err)
{
	if (o->output == SC_OUTPUT_NAME) {
		printf("stoppablecontainer.%s/%s\n", SC_KUBE_GROUP, o->name);
		return 0;
	}
	return sc_print_object(stdout, obj,
			       o->output == SC_OUTPUT_JSON ? SC_OUTPUT_JSON : SC_OUTPUT_YAML, err);
}

/* Create or update: server-side apply of the whole object, our fields taken
 * over from whoever set them (force), so the spec is the one given. */
static int apply(struct sc_session *s, const struct sc_create_opts *o, json_t *obj, bool dry_run,
		 const char **verb, json_t **out, sc_error_t *err)
{
	cleanup_json json_t *before = NULL;
	if (sc_kube_get(s->client, &sc_kube_stoppablecontainers, s->ns, o->name, &before, err) <
	    0) {
		if (!sc_error_is_not_found(*err) || sc_api_missing_error(s, err))
			return -1;
		sc_error_release(err);
	}
	if (before != NULL && sc_json_path_str(before, "metadata.deletionTimestamp") != NULL)
		return sc_error_make(
		    err, EBUSY,
		    "stoppablecontainer \"%s\" in namespace \"%s\" is being deleted; "
		    "wait until it is gone (kubectl sc delete waits) and create it "
		    "again",
		    o->name, s->ns);
	struct sc_kube_write_options wo = {
	    .field_manager = FIELD_MANAGER,
	    .force = true,
	    .dry_run = dry_run,
	};
	if (sc_kube_patch(s->client, &sc_kube_stoppablecontainers, s->ns, o->name,
			  SC_KUBE_PATCH_APPLY, obj, &wo, out, err) < 0) {
		/* A 404: no such namespace. */
		sc_api_missing_error(s, err);
		return -1;
	}
	if (before == NULL)
		*verb = "created";
	else if (!dry_run && sc_json_resource_version(before) != NULL &&
		 sc_json_resource_version(*out) != NULL &&
		 strcmp(sc_json_resource_version(before), sc_json_resource_version(*out)) == 0)
		*verb = "unchanged";
	else
		*verb = "configured";
	return 0;
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_create_opts o;
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_create_parse(argc, argv, &o, &res, &err);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0) {
		sc_create_opts_free(&o);
		return rc;
	}
	cleanup_session struct sc_session s = {0};
	cleanup_json json_t *obj = NULL;
	cleanup_json json_t *applied = NULL;
	const char *verb = "created";
	if (o.dry_run == SC_DRY_RUN_CLIENT) {
		/* Namespace as kubectl resolves it, without talking to the
		 * server; "default" when no kubeconfig can be read. */
		const char *ns = o.g.namespace;
		if (ns == NULL && sc_session_open(&o.g, &s, &err) == 0)
			ns = s.ns;
		sc_error_release(&err);
		obj = sc_create_object(&o, ns ? ns : "default");
		if (print_dry_run(obj, &o, &err) < 0)
			rc = sc_report_error(NULL, &err);
		else
			rc = SC_EXIT_OK;
		sc_create_opts_free(&o);
		return rc;
	}
	if (sc_session_open(&o.g, &s, &err) < 0)
		goto fail;
	obj = sc_create_object(&o, s.ns);
	if (apply(&s, &o, obj, o.dry_run == SC_DRY_RUN_SERVER, &verb, &applied, &err) < 0)
		goto fail;
	if (o.dry_run == SC_DRY_RUN_SERVER) {
		if (print_dry_run(applied, &o, &err) < 0)
			goto fail;
		sc_create_opts_free(&o);
		return SC_EXIT_OK;
	}
	if (print_result(applied, &o, verb, &err) < 0)
		goto fail;
	if (o.wait) {
		json_t *gen = sc_json_path(applied, "metadata.generation");
		FILE *progress = o.output == SC_OUTPUT_DEFAULT ? stdout : stderr;
		struct sc_wait_options wo = {
		    .name = o.name,
		    .target = o.running ? SC_WAIT_RUNNING : SC_WAIT_STOPPED,
		    .generation = json_is_integer(gen) ? json_integer_value(gen) : 0,
		    .timeout_ms = o.timeout_ms,
		    .progress = progress,
		};
		fflush(stdout);
		if (sc_wait(&s, &wo, applied, &err) < 0)
			goto fail;
		/* The state reached, in so many words (stderr when stdout
		 * carries -o output). */
		fprintf(progress, "stoppablecontainer/%s is %s\n", o.name,
			o.running ? "running" : "stopped");
	}
	sc_create_opts_free(&o);
	return SC_EXIT_OK;
fail:
	sc_create_opts_free(&o);
	return sc_report_error(&s, &err);
}

const struct sc_command sc_cmd_create = {
    .name = "create",
    .summary = "Create a StoppableContainer, or update one to the spec given (running by default)",
    .usage = "create NAME --image=IMAGE [flags] [-- COMMAND [ARG...]]",
    .description =
	"Creates a StoppableContainer named NAME in the namespace. Its root filesystem starts\n"
	"as IMAGE's and keeps every change across stop and start.\n"
	"\n"
	"When NAME exists, it is updated to the spec given, as `kubectl apply` does (a\n"
	"server-side apply by field manager kubectl-sc): fields an earlier create set and\n"
	"this one leaves out are removed, and it prints \"configured\" (or \"unchanged\").\n"
	"A change to a running container's template takes effect at its next start.\n"
	"\n"
	"--labels KEY=VALUE,... go on the StoppableContainer and on its workload pod (not\n"
	"the provider pod), so a Service can select the workload by them.\n"
	"\n"
	"--wait ends with a line saying the state reached (\"stoppablecontainer/NAME is\n"
	"running\"). --dry-run[=client] prints the object and sends nothing;\n"
	"--dry-run=server has the API server check and default it, storing nothing.\n"
	"\n"
	"The words after -- become the container's command (replacing the image's\n"
	"ENTRYPOINT and CMD); without them the image's own ENTRYPOINT and CMD run.\n"
	"\n"
	"Interactive shells: a shell with stdin closed exits at once, so, as `kubectl run -it`\n"
	"does, --stdin and --tty default to on when the command is a shell with no script\n"
	"and no -c (sh, bash, zsh, ash, dash, ksh, mksh, fish, tcsh, csh, also through env or\n"
	"busybox), and when no command is given (the usual base images' CMD is a shell).\n"
	"For any other command they default to off. --stdin/--tty[=false] override this.\n"
	"\n"
	"NAME must be a DNS-1123 name of at most 63 characters (it is also the name of the\n"
	"pod the workload runs in). Bad flags change nothing and exit with status 2.\n",
    .examples = "  # The quick example: an Ubuntu shell that stays up, and keeps what you install\n"
		"  kubectl sc create my-app --image=ubuntu:22.04 -- /bin/bash\n"
		"\n"
		"  # A web server with a port, an environment variable and resources\n"
		"  kubectl sc create web --image=nginx:1.27 -p 80:http -e MODE=dev --cpu=250m "
		"--memory=256Mi\n"
		"\n"
		"  # Create it stopped, and see what would be sent first\n"
		"  kubectl sc create later --image=alpine:3.20 --running=false --dry-run=client\n"
		"\n"
		"  # Labels a Service can select the workload pod by\n"
		"  kubectl sc create api --image=nginx:1.27 -p 80:http --labels=app=api,tier=web\n",
    .options = options,
    .run = run,
};
