/* kubectl sc list [NAME...] [-o wide|json|yaml|name] [-l SELECTOR] [-A] */
#include <errno.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-api.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

/* Pages of this many objects; kubectl's default chunk size. */
#define LIST_CHUNK 500

enum {
	OPT_OUTPUT = SC_OPT_COMMAND,
	OPT_SELECTOR,
	OPT_NO_HEADERS,
};

static const struct sc_cli_option options[] = {
    {OPT_OUTPUT, "output", 'o', SC_CLI_REQUIRED, "FORMAT", NULL,
     "wide (adds IMAGE, POD, PROVIDER, HOST PATH), json, yaml or name"},
    {OPT_SELECTOR, "selector", 'l', SC_CLI_REQUIRED, "SELECTOR", NULL,
     "Only those whose labels match, e.g. -l team=a,tier!=dev"},
    {OPT_NO_HEADERS, "no-headers", 0, SC_CLI_BOOL, NULL, NULL, "Leave out the header line"},
    {0},
};

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct sc_list_opts *o = ctx;
	switch (opt->id) {
	case OPT_OUTPUT:
		return sc_parse_output(
		    value,
		    SC_OUTPUT_BIT(SC_OUTPUT_WIDE) | SC_OUTPUT_BIT(SC_OUTPUT_JSON) |
			SC_OUTPUT_BIT(SC_OUTPUT_YAML) | SC_OUTPUT_BIT(SC_OUTPUT_NAME),
		    &o->output, err);
	case OPT_SELECTOR:
		o->selector = value;
		return 0;
	case OPT_NO_HEADERS:
		o->no_headers = strcmp(value, "true") == 0;
		return 0;
	default:
		return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
	}
}

int sc_list_parse(int argc, char **argv, struct sc_list_opts *o, struct sc_cli_result *res,
		  sc_error_t *err)
{
	*o = (struct sc_list_opts){0};
	if (sc_cli_parse(argc, argv, 1, options, set_option, o, &o->g, res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	if (res->has_dashdash)
		return sc_error_make(err, EINVAL, "list takes no command after --");
	if (o->g.all_namespaces && res->n_positional > 0)
		return sc_error_make(err, EINVAL,
				     "NAMEs cannot be combined with --all-namespaces (-A)");
	if (o->selector != NULL && res->n_positional > 0)
		return sc_error_make(err, EINVAL, "NAMEs cannot be combined with --selector (-l)");
	for (size_t i = 0; i < res->n_positional; i++) {
		if (sc_validate_dns1123_subdomain("name", res->positional[i], err) < 0)
			return -1;
	}
	return 0;
}

static const char *or_none(const char *s)
{
	return s != NULL && *s != '\0' ? s : "<none>";
}

char *sc_list_render(const json_t *items, bool with_namespace, bool wide, bool no_headers,
		     time_t now)
{
	static const char *const base[] = {"NAME", "RUNNING", "PHASE", "NODE", "AGE"};
	static const char *const extra[] = {"IMAGE", "POD", "PROVIDER", "HOST PATH"};
	const char *row[16];
	size_t n = 0;
	if (with_namespace)
		row[n++] = "NAMESPACE";
	for (size_t i = 0; i < SC_ARRAY_SIZE(base); i++)
		row[n++] = base[i];
	if (wide) {
		for (size_t i = 0; i < SC_ARRAY_SIZE(extra); i++)
			row[n++] = extra[i];
	}
	struct sc_table t;
	sc_table_init(&t, n);
	sc_table_add_row(&t, row);
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		char age[32];
		sc_format_age_since(sc_json_path_str(item, "metadata.creationTimestamp"), now, age,
				    sizeof(age));
		n = 0;
		if (with_namespace)
			row[n++] = or_none(sc_json_namespace(item));
		row[n++] = or_none(sc_json_name(item));
		row[n++] = json_is_true(sc_json_path(item, "spec.running")) ? "true" : "false";
		row[n++] = or_none(sc_json_path_str(item, "status.phase"));
		row[n++] = or_none(sc_json_path_str(item, "status.nodeName"));
		row[n++] = age;
		if (wide) {
			row[n++] = or_none(sc_json_path_str(sc_workload_container(item), "image"));
			row[n++] = or_none(sc_json_path_str(item, "status.consumerPodName"));
			row[n++] = or_none(sc_json_path_str(item, "status.providerPodName"));
			row[n++] = or_none(sc_json_path_str(item, "status.hostPath"));
		}
		sc_table_add_row(&t, row);
	}
	char *out = sc_table_render(&t, no_headers);
	sc_table_free(&t);
	return out;
}

/* All pages of the list. */
static int list_all(struct sc_session *s, const char *ns, const char *selector, json_t **out,
		    sc_error_t *err)
{
	json_t *first = NULL;
	cleanup_free char *cont = NULL;
	do {
		struct sc_kube_list_options lo = {
		    .label_selector = selector, .limit = LIST_CHUNK, .continue_token = cont};
		json_t *page = NULL;
		if (sc_kube_list(s->client, &sc_kube_stoppablecontainers, ns, &lo, &page, err) <
		    0) {
			json_decref(first);
			return -1;
		}
		free(cont);
		const char *next = sc_json_path_str(page, "metadata.continue");
		cont = next && *next ? sc_xstrdup(next) : NULL;
		if (first == NULL) {
			first = page;
		} else {
			json_array_extend(json_object_get(first, "items"),
					  json_object_get(page, "items"));
			json_decref(page);
		}
	} while (cont != NULL);
	json_t *md = json_object_get(first, "metadata");
	if (json_is_object(md))
		json_object_del(md, "continue");
	*out = first;
	return 0;
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_list_opts o;
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_list_parse(argc, argv, &o, &res, &err);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	cleanup_session struct sc_session s = {0};
	cleanup_json json_t *list = NULL;
	if (sc_session_open(&o.g, &s, &err) < 0)
		return sc_report_error(&s, &err);
	rc = SC_EXIT_OK;
	if (res.n_positional > 0) {
		/* Named ones: each is fetched; a missing one is reported and
		 * the others still printed, as kubectl get does. */
		list = json_pack("{s:s, s:s, s:[], s:{s:s}}", "apiVersion", "v1", "kind", "List",
				 "items", "metadata", "resourceVersion", "");
		for (size_t i = 0; i < res.n_positional; i++) {
			json_t *obj = NULL;
			if (sc_get_container(&s, res.positional[i], &obj, &err) < 0) {
				if (!sc_error_is_not_found(err))
					return sc_report_error(&s, &err);
				rc = sc_report_error(&s, &err);
				continue;
			}
			json_array_append_new(json_object_get(list, "items"), obj);
		}
	} else {
		if (list_all(&s, o.g.all_namespaces ? NULL : s.ns, o.selector, &list, &err) < 0) {
			sc_api_missing_error(&s, &err);
			return sc_report_error(&s, &err);
		}
	}
	json_t *items = json_object_get(list, "items");
	switch (o.output) {
	case SC_OUTPUT_JSON:
	case SC_OUTPUT_YAML:
		if (res.n_positional > 0 && json_array_size(items) == 0)
			return rc; /* each missing one was reported */
		/* One name asked for: the object itself, as kubectl get prints it. */
		if (sc_print_object(stdout,
				    res.n_positional == 1 && json_array_size(items) == 1
					? json_array_get(items, 0)
					: list,
				    o.output, &err) < 0)
			return sc_report_error(&s, &err);
		return rc;
	case SC_OUTPUT_NAME: {
		size_t i;
		json_t *item;
		json_array_foreach (items, i, item) {
			printf("stoppablecontainer.%s/%s\n", SC_KUBE_GROUP, sc_json_name(item));
		}
		return rc;
	}
	case SC_OUTPUT_DEFAULT:
	case SC_OUTPUT_WIDE:
		break;
	}
	if (json_array_size(items) == 0) {
		if (res.n_positional > 0)
			return rc;
		if (o.g.all_namespaces)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n", s.ns);
		return rc;
	}
	cleanup_free char *table = sc_list_render(
	    items, o.g.all_namespaces, o.output == SC_OUTPUT_WIDE, o.no_headers, time(NULL));
	fputs(table, stdout);
	return rc;
}

const struct sc_command sc_cmd_list = {
    .name = "list",
    .aliases = {"ls", "get", NULL},
    .summary = "List StoppableContainers",
    .usage = "list [NAME...] [-o wide|json|yaml|name] [-l SELECTOR] [-A]",
    .description =
	"Prints a table of the StoppableContainers in the namespace (in all namespaces with\n"
	"-A, with a NAMESPACE column first): NAME, RUNNING (spec.running: whether it should\n"
	"run), PHASE (what the controller last saw), NODE and AGE. -o wide adds the image,\n"
	"the consumer pod (the workload), the provider pod and the host path of the rootfs.\n"
	"Missing values show as <none>. With NAMEs, only those are listed.\n",
    .examples = "  kubectl sc list\n"
		"  kubectl sc ls -A -o wide\n"
		"  kubectl sc get my-app -o yaml\n",
    .options = options,
    .run = run,
};
