/* kubectl sc status NAME [-o json|yaml|wide] */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-api.h"
#include "lib/sc-buf.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

/* How many recent events the summary shows. */
#define STATUS_MAX_EVENTS 10

enum {
	OPT_OUTPUT = SC_OPT_COMMAND,
};

static const struct sc_cli_option options[] = {
    {OPT_OUTPUT, "output", 'o', SC_CLI_REQUIRED, "FORMAT", NULL,
     "json or yaml (the whole object), or wide (the summary with the template)"},
    {0},
};

static int set_option(void *ctx, const struct sc_cli_option *opt, const char *value,
		      sc_error_t *err)
{
	struct sc_status_opts *o = ctx;
	if (opt->id == OPT_OUTPUT)
		return sc_parse_output(value,
				       SC_OUTPUT_BIT(SC_OUTPUT_WIDE) |
					   SC_OUTPUT_BIT(SC_OUTPUT_JSON) |
					   SC_OUTPUT_BIT(SC_OUTPUT_YAML),
				       &o->output, err);
	return sc_error_make(err, EINVAL, "internal error: option %d", opt->id);
}

int sc_status_parse(int argc, char **argv, struct sc_status_opts *o, struct sc_cli_result *res,
		    sc_error_t *err)
{
	*o = (struct sc_status_opts){0};
	if (sc_parse_in_namespace(argc, argv, options, set_option, o, &o->g,
				  SC_PARSE_REFUSE_REST | SC_PARSE_ALL_NAMESPACES, res, err) < 0)
		return -1;
	if (res->help)
		return 0;
	return sc_one_name(res, "status", err);
}

static void field(struct sc_buf *b, const char *label, const char *value)
{
	sc_buf_printf(b, NULL, "%-15s %s\n", label, value != NULL && *value ? value : "<none>");
}

static char *join_strings(const json_t *array)
{
	struct sc_buf b = SC_BUF_INIT((size_t)-2);
	size_t i;
	json_t *v;
	json_array_foreach (array, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		/* Quote words a shell would split, so the line reads back. */
		bool plain = *s != '\0' && strpbrk(s, " \t\n'\"\\$`") == NULL;
		sc_buf_printf(&b, NULL, i ? " %s%s%s" : "%s%s%s", plain ? "" : "'", s,
			      plain ? "" : "'");
	}
	return b.data ? sc_buf_steal(&b) : NULL;
}

static void age_of(const char *ts, time_t now, char *buf, size_t size)
{
	sc_format_age_since(ts, now, buf, size);
}

static const char *event_time(const json_t *ev)
{
	const char *t = sc_json_path_str(ev, "lastTimestamp");
	if (t == NULL)
		t = sc_json_path_str(ev, "eventTime");
	if (t == NULL)
		t = sc_json_path_str(ev, "metadata.creationTimestamp");
	return t;
}

static int cmp_events(const void *a, const void *b)
{
	const char *ta = event_time(*(json_t *const *)a), *tb = event_time(*(json_t *const *)b);
	/* RFC 3339 in UTC sorts as text. */
	return strcmp(ta ? ta : "", tb ? tb : "");
}

static void render_wide(struct sc_buf *b, const json_t *obj)
{
	const json_t *c = sc_workload_container(obj);
	field(b, "Working dir:", sc_json_path_str(c, "workingDir"));
	field(b, "Pull policy:", sc_json_path_str(c, "imagePullPolicy"));
	char flags[64];
	snprintf(flags, sizeof(flags), "stdin=%s tty=%s",
		 json_is_true(sc_json_path(c, "stdin")) ? "true" : "false",
		 json_is_true(sc_json_path(c, "tty")) ? "true" : "false");
	field(b, "Terminal:", flags);
	json_t *env = sc_json_path(c, "env");
	if (json_array_size(env) == 0) {
		field(b, "Environment:", NULL);
	} else {
		sc_buf_printf(b, NULL, "Environment:\n");
		size_t i;
		json_t *e;
		json_array_foreach (env, i, e) {
			const char *v = sc_json_path_str(e, "value");
			sc_buf_printf(b, NULL, "  %s=%s\n", sc_json_path_str(e, "name"),
				      v ? v
					: (sc_json_path(e, "valueFrom") ? "(from a source)" : ""));
		}
	}
	json_t *ports = sc_json_path(c, "ports");
	if (json_array_size(ports) == 0) {
		field(b, "Ports:", NULL);
	} else {
		struct sc_buf p = SC_BUF_INIT((size_t)-2);
		size_t i;
		json_t *e;
		json_array_foreach (ports, i, e) {
			const char *name = sc_json_path_str(e, "name");
			const char *proto = sc_json_path_str(e, "protocol");
			sc_buf_printf(&p, NULL, "%s%" JSON_INTEGER_FORMAT "/%s%s%s", i ? ", " : "",
				      json_integer_value(sc_json_path(e, "containerPort")),
				      proto ? proto : "TCP", name ? " " : "", name ? name : "");
		}
		field(b, "Ports:", p.data);
		sc_buf_free(&p);
	}
	const char *kinds[] = {"requests", "limits"};
	for (size_t k = 0; k < 2; k++) {
		cleanup_free char *path = sc_xasprintf("resources.%s", kinds[k]);
		json_t *r = sc_json_path(c, path);
		struct sc_buf p = SC_BUF_INIT((size_t)-2);
		const char *key;
		json_t *v;
		json_object_foreach (r, key, v) {
			cleanup_free char *val = json_is_string(v)
						     ? sc_xstrdup(json_string_value(v))
						     : json_dumps(v, JSON_ENCODE_ANY);
			sc_buf_printf(&p, NULL, "%s%s=%s", p.len ? ", " : "", key, val);
		}
		field(b, k == 0 ? "Requests:" : "Limits:", p.data);
		sc_buf_free(&p);
	}
	char gen[64];
	json_t *g = sc_json_path(obj, "metadata.generation");
	json_t *og = sc_json_path(obj, "status.observedGeneration");
	if (json_is_integer(og))
		snprintf(gen, sizeof(gen),
			 "%" JSON_INTEGER_FORMAT " (observed %" JSON_INTEGER_FORMAT ")",
			 json_integer_value(g), json_integer_value(og));
	else
		snprintf(gen, sizeof(gen), "%" JSON_INTEGER_FORMAT " (not observed yet)",
			 json_integer_value(g));
	field(b, "Generation:", gen);
	field(b, "UID:", sc_json_uid(obj));
}

/* The table, each line indented by two spaces; frees t. */
static void add_table(struct sc_buf *b, struct sc_table *t)
{
	cleanup_free char *table = sc_table_render(t, false);
	sc_table_free(t);
	for (char *line = table, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		sc_buf_printf(b, NULL, "  %.*s\n", (int)(nl - line), line);
	}
}

/* The fields above the tables: spec, status, metadata. */
static void render_summary(struct sc_buf *b, const json_t *obj, bool wide, time_t now)
{
	field(b, "Name:", sc_json_name(obj));
	field(b, "Namespace:", sc_json_namespace(obj));
	/* the workload container, in either template shape */
	const json_t *wc = sc_workload_container(obj);
	field(b, "Image:", sc_json_path_str(wc, "image"));
	cleanup_free char *command = join_strings(sc_json_path(wc, "command"));
	cleanup_free char *args = join_strings(sc_json_path(wc, "args"));
	field(b, "Command:", command ? command : "(the image's ENTRYPOINT)");
	if (args != NULL)
		field(b, "Args:", args);
	bool running = json_is_true(sc_json_path(obj, "spec.running"));
	field(b, "Running:", running ? "true" : "false");
	const char *phase = sc_json_path_str(obj, "status.phase");
	if (phase == NULL)
		field(b, "Phase:", "<none> (no status yet: is the sc-controller running?)");
	else
		field(b, "Phase:", phase);
	const char *message = sc_json_path_str(obj, "status.message");
	if (message != NULL && *message)
		field(b, "Message:", message);
	field(b, "Node:", sc_json_path_str(obj, "status.nodeName"));
	field(b, "Instance:", sc_json_path_str(obj, "status.instanceName"));
	field(b, "Provider pod:", sc_json_path_str(obj, "status.providerPodName"));
	field(b, "Consumer pod:", sc_json_path_str(obj, "status.consumerPodName"));
	field(b, "Host path:", sc_json_path_str(obj, "status.hostPath"));
	const char *created = sc_json_path_str(obj, "metadata.creationTimestamp");
	char age[32];
	age_of(created, now, age, sizeof(age));
	cleanup_free char *when = created ? sc_xasprintf("%s (%s ago)", created, age) : NULL;
	field(b, "Created:", when);
	const char *deleting = sc_json_path_str(obj, "metadata.deletionTimestamp");
	if (deleting != NULL)
		field(b, "Deleting:", deleting);
	if (wide)
		render_wide(b, obj);
}

static void render_conditions(struct sc_buf *b, const json_t *obj, time_t now)
{
	json_t *conds = sc_json_path(obj, "status.conditions");
	if (json_array_size(conds) == 0) {
		field(b, "Conditions:", NULL);
		return;
	}
	sc_buf_printf(b, NULL, "Conditions:\n");
	struct sc_table t;
	sc_table_init(&t, 5);
	sc_table_add_row(&t, (const char *[]){"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"});
	size_t i;
	json_t *c;
	json_array_foreach (conds, i, c) {
		char age[32];
		age_of(sc_json_path_str(c, "lastTransitionTime"), now, age, sizeof(age));
		const char *reason = sc_json_path_str(c, "reason");
		const char *msg = sc_json_path_str(c, "message");
		sc_table_add_row(&t, (const char *[]){sc_json_path_str(c, "type"),
						      sc_json_path_str(c, "status"),
						      reason && *reason ? reason : "<none>", age,
						      msg ? msg : ""});
	}
	add_table(b, &t);
}

/* Whether an event (listed by its object's name) is about this
 * StoppableContainer or its objects rather than an earlier one of the same
 * name: the container's own UID, else recorded (created on the API server)
 * no earlier than the container. Both timestamps are the API server's,
 * RFC 3339 in UTC, which sorts as text. */
static bool event_is_about(const json_t *obj, const json_t *ev)
{
	const char *uid = sc_json_uid(obj), *ev_uid = sc_json_path_str(ev, "involvedObject.uid");
	if (uid && ev_uid && strcmp(uid, ev_uid) == 0)
		return true;
	const char *created = sc_json_path_str(obj, "metadata.creationTimestamp");
	const char *recorded = sc_json_path_str(ev, "metadata.creationTimestamp");
	return created == NULL || recorded == NULL || strcmp(recorded, created) >= 0;
}

/* The last STATUS_MAX_EVENTS events about obj, oldest first; nothing when
 * events is NULL (they could not be listed). */
static void render_events(struct sc_buf *b, const json_t *obj, const json_t *events, time_t now)
{
	if (events == NULL)
		return;
	size_t n = 0;
	json_t **sorted = sc_xmalloc((json_array_size(events) + 1) * sizeof(json_t *));
	for (size_t i = 0; i < json_array_size(events); i++)
		if (event_is_about(obj, json_array_get(events, i)))
			sorted[n++] = json_array_get(events, i);
	if (n == 0) {
		free(sorted);
		field(b, "Events:", NULL);
		return;
	}
	qsort(sorted, n, sizeof(json_t *), cmp_events);
	size_t first = n > STATUS_MAX_EVENTS ? n - STATUS_MAX_EVENTS : 0;
	sc_buf_printf(b, NULL, "Events:\n");
	struct sc_table t;
	sc_table_init(&t, 5);
	sc_table_add_row(&t, (const char *[]){"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"});
	for (size_t i = first; i < n; i++) {
		const json_t *ev = sorted[i];
		char age[32];
		age_of(event_time(ev), now, age, sizeof(age));
		const char *kind = sc_json_path_str(ev, "involvedObject.kind");
		cleanup_free char *object = sc_xasprintf(
		    "%s/%s", kind ? kind : "?", sc_json_path_str(ev, "involvedObject.name"));
		for (char *p = object; *p && *p != '/'; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		sc_table_add_row(&t, (const char *[]){age, sc_json_path_str(ev, "type"),
						      sc_json_path_str(ev, "reason"), object,
						      sc_json_path_str(ev, "message")});
	}
	free(sorted);
	add_table(b, &t);
}

char *sc_status_render(const json_t *obj, const json_t *events, bool wide, time_t now)
{
	struct sc_buf b = SC_BUF_INIT((size_t)-2);
	render_summary(&b, obj, wide, now);
	render_conditions(&b, obj, now);
	render_events(&b, obj, events, now);
	return sc_buf_steal(&b);
}

/* Events about the container, its instance, its consumer pod (all named
 * NAME) and its provider pod. Best effort: a user who may not list events
 * still gets the summary. */
static json_t *recent_events(struct sc_session *s, const char *name)
{
	json_t *all = json_array();
	cleanup_free char *provider = sc_xasprintf("%s-provider", name);
	const char *names[] = {name, provider};
	for (size_t i = 0; i < SC_ARRAY_SIZE(names); i++) {
		cleanup_free char *selector = sc_xasprintf("involvedObject.name=%s", names[i]);
		struct sc_kube_list_options lo = {.field_selector = selector, .limit = 200};
		cleanup_json json_t *list = NULL;
		cleanup_error sc_error_t e = NULL;
		if (sc_kube_list(s->client, &sc_kube_events, s->ns, &lo, &list, &e) < 0) {
			sc_debug(1, "events: %s", sc_error_message(e));
			json_decref(all);
			return NULL;
		}
		json_array_extend(all, json_object_get(list, "items"));
	}
	return all;
}

static int run(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_status_opts o;
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_status_parse(argc, argv, &o, &res, &err);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	const char *name = res.positional[0];
	cleanup_session struct sc_session s = {0};
	cleanup_json json_t *obj = NULL;
	if (sc_session_open(&o.g, &s, &err) < 0 ||
	    (o.g.all_namespaces && sc_find_namespace(&s, name, &err) < 0) ||
	    sc_get_container(&s, name, &obj, &err) < 0)
		return sc_report_error(&s, &err);
	if (o.output == SC_OUTPUT_JSON || o.output == SC_OUTPUT_YAML) {
		if (sc_print_object(stdout, obj, o.output, &err) < 0)
			return sc_report_error(&s, &err);
		return SC_EXIT_OK;
	}
	cleanup_json json_t *events = recent_events(&s, name);
	cleanup_free char *text =
	    sc_status_render(obj, events, o.output == SC_OUTPUT_WIDE, time(NULL));
	fputs(text, stdout);
	return SC_EXIT_OK;
}

const struct sc_command sc_cmd_status = {
    .name = "status",
    .aliases = {"describe", NULL},
    .summary = "Show the state of a StoppableContainer",
    .usage = "status NAME [-o json|yaml|wide] [-A]",
    .description =
	"Prints a summary: the image and command, whether it should run (Running) and what\n"
	"the controller last reported (Phase, Message), its node, pods and host path, its\n"
	"conditions with their reasons and messages, and the last events about it and its\n"
	"pods. -o wide adds the template's environment, ports, resources and generation;\n"
	"-o json and -o yaml print the whole object instead. With -A, NAME is looked up in\n"
	"every namespace (an error when more than one has it).\n",
    .examples = "  kubectl sc status my-app\n"
		"  kubectl sc status my-app -o yaml\n",
    .options = options,
    .run = run,
};
