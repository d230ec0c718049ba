/* kubectl-sc's commands, the parts that need no cluster: argument parsing of
 * each command (good and bad), the object create builds, the list table, the
 * status summary, the --wait verdict and the kubectl command line of
 * exec/logs. */
#include <stdlib.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "sc-test.h"

#define ARGV(...)                                            \
	char *argv_[] = {__VA_ARGS__};                       \
	int argc_ = (int)(sizeof(argv_) / sizeof(argv_[0])); \
	cleanup_cli_result struct sc_cli_result res_ = {0};  \
	cleanup_error sc_error_t err_ = NULL

#define EXPECT_OK(call)                                                          \
	do {                                                                     \
		if ((call) != 0)                                                 \
			sc_test_fail(__FILE__, __LINE__, "%s failed: %s", #call, \
				     sc_error_message(err_));                    \
	} while (0)

#define EXPECT_USAGE(call, msg)                                                               \
	do {                                                                                  \
		if ((call) != -1)                                                             \
			sc_test_fail(__FILE__, __LINE__, "%s accepted bad arguments", #call); \
		SC_ASSERT_STR_CONTAINS(sc_error_message(err_), msg);                          \
	} while (0)

static json_t *parse_json(const char *text)
{
	json_t *v = NULL;
	cleanup_error sc_error_t err = NULL;
	if (sc_json_parse(text, strlen(text), &v, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "bad test JSON: %s", sc_error_message(err));
	return v;
}

static void assert_json(const json_t *got, const char *want_text, int line)
{
	cleanup_json json_t *want = parse_json(want_text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		sc_test_fail(__FILE__, line, "got %s", g);
	}
}

/* ---- the command word ---- */

SC_TEST(finds_the_command_after_global_flags)
{
	int index;
	cleanup_error sc_error_t err = NULL;
	char *a[] = {"kubectl-sc", "-n", "ns", "--kubeconfig", "/k", "-v", "list", "-o", "wide"};
	SC_ASSERT_INT_EQ(sc_find_command(9, a, &index, &err), 0);
	SC_ASSERT_INT_EQ(index, 6);
	char *b[] = {"kubectl-sc", "--namespace=ns", "-A", "status", "x"};
	SC_ASSERT_INT_EQ(sc_find_command(5, b, &index, &err), 0);
	SC_ASSERT_INT_EQ(index, 3);
	char *c[] = {"kubectl-sc", "-n"};
	SC_ASSERT_INT_EQ(sc_find_command(2, c, &index, &err), 0);
	SC_ASSERT_INT_EQ(index, 0);
	/* --version stands for the command word */
	char *v[] = {"kubectl-sc", "-n", "x", "--version", "-o", "json"};
	SC_ASSERT_INT_EQ(sc_find_command(6, v, &index, &err), 0);
	SC_ASSERT_INT_EQ(index, 3);
	char *w[] = {"kubectl-sc", "--version=1"};
	SC_ASSERT_INT_EQ(sc_find_command(2, w, &index, &err), -1);
	sc_error_release(&err);
	char *d[] = {"kubectl-sc", "--image=x", "create"};
	SC_ASSERT_INT_EQ(sc_find_command(3, d, &index, &err), -1);
	SC_ASSERT_STR_EQ(sc_error_message(err), "unknown flag: --image");
}

SC_TEST(commands_and_aliases)
{
	SC_ASSERT(sc_command_find("list") == &sc_cmd_list);
	SC_ASSERT(sc_command_find("ls") == &sc_cmd_list);
	SC_ASSERT(sc_command_find("get") == &sc_cmd_list);
	SC_ASSERT(sc_command_find("rm") == &sc_cmd_delete);
	SC_ASSERT(sc_command_find("remove") == &sc_cmd_delete);
	SC_ASSERT(sc_command_find("describe") == &sc_cmd_status);
	SC_ASSERT(sc_command_find("nope") == NULL);
	/* every command has help text and a run function */
	for (size_t i = 0; sc_commands[i] != NULL; i++) {
		SC_ASSERT(sc_commands[i]->summary != NULL);
		SC_ASSERT(sc_commands[i]->usage != NULL);
		SC_ASSERT(sc_commands[i]->run != NULL);
	}
}

SC_TEST(help_is_generated_from_the_option_tables)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	sc_command_help(&sc_cmd_create, f);
	fclose(f);
	SC_ASSERT_STR_CONTAINS(text, "kubectl sc create NAME --image=IMAGE");
	SC_ASSERT_STR_CONTAINS(text, "  -e, --env=KEY=VALUE");
	SC_ASSERT_STR_CONTAINS(text, "Global flags:");
	SC_ASSERT_STR_CONTAINS(text, "  -n, --namespace=NAMESPACE");
	free(text);
	f = open_memstream(&text, &len);
	sc_command_help(&sc_cmd_list, f);
	fclose(f);
	SC_ASSERT_STR_CONTAINS(text, "Aliases:\n  list, ls, get");
	free(text);
}

SC_TEST(output_formats)
{
	enum sc_output o;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_parse_output("yaml", SC_OUTPUT_BIT(SC_OUTPUT_YAML), &o, &err), 0);
	SC_ASSERT_INT_EQ(o, SC_OUTPUT_YAML);
	SC_ASSERT_INT_EQ(
	    sc_parse_output("wide", SC_OUTPUT_BIT(SC_OUTPUT_JSON) | SC_OUTPUT_BIT(SC_OUTPUT_YAML),
			    &o, &err),
	    -1);
	SC_ASSERT_STR_EQ(sc_error_message(err),
			 "unknown output format \"wide\" (allowed: json, yaml)");
}

/* ---- create ---- */

SC_TEST(create_the_quick_example)
{
	ARGV("create", "my-app", "--image=ubuntu:22.04", "--", "/bin/bash");
	struct sc_create_opts o;
	EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
	SC_ASSERT_STR_EQ(o.name, "my-app");
	SC_ASSERT(o.running);
	cleanup_json json_t *obj = sc_create_object(&o, "default");
	assert_json(obj,
		    "{\"apiVersion\":\"stoppablecontainer.xtlsoft.top/v1alpha1\","
		    "\"kind\":\"StoppableContainer\","
		    "\"metadata\":{\"name\":\"my-app\",\"namespace\":\"default\"},"
		    "\"spec\":{\"running\":true,\"template\":{\"container\":{"
		    "\"image\":\"ubuntu:22.04\",\"command\":[\"/bin/bash\"],"
		    "\"stdin\":true,\"tty\":true}}}}",
		    __LINE__);
	sc_create_opts_free(&o);
}

SC_TEST(create_with_every_flag)
{
	ARGV("create", "-n", "team", "web", "--image", "nginx:1.27", "-e", "A=1", "--env=B=x=y",
	     "-eC=", "-p", "80:http", "--port=9090", "-w", "/srv", "--running=false", "--cpu=250m",
	     "--memory", "256Mi", "--cpu-limit=1", "--memory-limit=1Gi",
	     "--image-pull-policy=IfNotPresent", "--wait", "--timeout=2m", "-o", "yaml", "--",
	     "nginx", "-g", "daemon off;");
	struct sc_create_opts o;
	EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
	SC_ASSERT_STR_EQ(o.g.namespace, "team");
	SC_ASSERT(o.wait);
	SC_ASSERT_INT_EQ(o.timeout_ms, 120000);
	SC_ASSERT_INT_EQ(o.output, SC_OUTPUT_YAML);
	cleanup_json json_t *obj = sc_create_object(&o, NULL);
	assert_json(obj,
		    "{\"apiVersion\":\"stoppablecontainer.xtlsoft.top/v1alpha1\","
		    "\"kind\":\"StoppableContainer\",\"metadata\":{\"name\":\"web\"},"
		    "\"spec\":{\"running\":false,\"template\":{\"container\":{"
		    "\"image\":\"nginx:1.27\",\"command\":[\"nginx\",\"-g\",\"daemon off;\"],"
		    "\"workingDir\":\"/srv\","
		    "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"x=y\"},"
		    "{\"name\":\"C\",\"value\":\"\"}],"
		    "\"ports\":[{\"containerPort\":80,\"name\":\"http\"},{\"containerPort\":9090}],"
		    "\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"},"
		    "\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}},"
		    "\"imagePullPolicy\":\"IfNotPresent\"}}}}",
		    __LINE__);
	sc_create_opts_free(&o);
}

SC_TEST(create_without_command_keeps_a_shell_up)
{
	ARGV("create", "box", "--image=busybox");
	struct sc_create_opts o;
	EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
	cleanup_json json_t *obj = sc_create_object(&o, "ns");
	SC_ASSERT(json_is_true(sc_json_path(obj, "spec.template.container.stdin")));
	SC_ASSERT(json_is_true(sc_json_path(obj, "spec.template.container.tty")));
	SC_ASSERT(sc_json_path(obj, "spec.template.container.command") == NULL);
	sc_create_opts_free(&o);
}

SC_TEST(create_stdin_tty_overrides)
{
	{
		ARGV("create", "box", "--image=busybox", "--stdin=false", "--", "sh");
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		cleanup_json json_t *obj = sc_create_object(&o, "ns");
		SC_ASSERT(sc_json_path(obj, "spec.template.container.stdin") == NULL);
		SC_ASSERT(sc_json_path(obj, "spec.template.container.tty") == NULL);
		sc_create_opts_free(&o);
	}
	{
		ARGV("create", "box", "--image=busybox", "-i", "--", "sleep", "1000");
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		cleanup_json json_t *obj = sc_create_object(&o, "ns");
		SC_ASSERT(json_is_true(sc_json_path(obj, "spec.template.container.stdin")));
		SC_ASSERT(json_is_true(sc_json_path(obj, "spec.template.container.tty")));
		sc_create_opts_free(&o);
	}
	{
		ARGV("create", "box", "--image=busybox", "-i", "--tty=false", "--", "cat");
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		cleanup_json json_t *obj = sc_create_object(&o, "ns");
		SC_ASSERT(json_is_true(sc_json_path(obj, "spec.template.container.stdin")));
		SC_ASSERT(sc_json_path(obj, "spec.template.container.tty") == NULL);
		sc_create_opts_free(&o);
	}
	{
		ARGV("create", "box", "--image=busybox", "--", "sleep", "infinity");
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		cleanup_json json_t *obj = sc_create_object(&o, "ns");
		SC_ASSERT(sc_json_path(obj, "spec.template.container.stdin") == NULL);
		sc_create_opts_free(&o);
	}
}

static bool interactive(const char *const *cmd)
{
	size_t n = 0;
	while (cmd[n] != NULL)
		n++;
	return sc_command_is_interactive_shell(cmd, n);
}

SC_TEST(interactive_shells)
{
	SC_ASSERT(interactive((const char *[]){"/bin/bash", NULL}));
	SC_ASSERT(interactive((const char *[]){"sh", NULL}));
	SC_ASSERT(interactive((const char *[]){"bash", "-l", NULL}));
	SC_ASSERT(interactive((const char *[]){"/bin/zsh", "--login", "-i", NULL}));
	SC_ASSERT(interactive((const char *[]){"/usr/bin/env", "bash", NULL}));
	SC_ASSERT(interactive((const char *[]){"busybox", "sh", NULL}));
	SC_ASSERT(!interactive((const char *[]){"bash", "-c", "sleep 1", NULL}));
	SC_ASSERT(!interactive((const char *[]){"sh", "-ec", "x", NULL}));
	SC_ASSERT(!interactive((const char *[]){"bash", "script.sh", NULL}));
	SC_ASSERT(!interactive((const char *[]){"sleep", "infinity", NULL}));
	SC_ASSERT(!interactive((const char *[]){"python3", NULL}));
	SC_ASSERT(!interactive((const char *[]){"env", NULL}));
	SC_ASSERT(!interactive((const char *[]){"/bin/bashful", NULL}));
	SC_ASSERT(!interactive((const char *[]){NULL}));
}

SC_TEST(create_bad_arguments)
{
	struct sc_create_opts o;
#define BAD(msg, ...)                                                               \
	do {                                                                        \
		ARGV("create", __VA_ARGS__);                                        \
		EXPECT_USAGE(sc_create_parse(argc_, argv_, &o, &res_, &err_), msg); \
		sc_create_opts_free(&o);                                            \
	} while (0)
	BAD("a NAME is required", "--image=x");
	BAD("--image is required", "my-app");
	BAD("--image is required", "my-app", "--image=");
	BAD("invalid name \"My_App\"", "My_App", "--image=x");
	BAD("longer than 63",
	    "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi", "--image=x");
	BAD("create takes one NAME", "a", "b", "--image=x");
	BAD("expected KEY=VALUE", "a", "--image=x", "-e", "NOVALUE");
	BAD("expected KEY=VALUE", "a", "--image=x", "-e", "=v");
	BAD("printable ASCII", "a", "--image=x", "-e", "A B=v");
	BAD("A is set twice", "a", "--image=x", "-e", "A=1", "-e", "A=2");
	BAD("PORT in 1-65535", "a", "--image=x", "-p", "0");
	BAD("PORT in 1-65535", "a", "--image=x", "-p", "65536");
	BAD("PORT in 1-65535", "a", "--image=x", "-p", "http");
	BAD("the name must be", "a", "--image=x", "-p", "80:HTTP");
	BAD("port 80 is given twice", "a", "--image=x", "-p", "80", "-p", "80:web");
	BAD("must be an absolute path", "a", "--image=x", "-w", "srv");
	BAD("expected a quantity", "a", "--image=x", "--cpu=lots");
	BAD("expected a quantity", "a", "--image=x", "--memory=-1Gi");
	BAD("expected Always, IfNotPresent or Never", "a", "--image=x",
	    "--image-pull-policy=Sometimes");
	BAD("missing unit", "a", "--image=x", "--timeout=30");
	BAD("unknown output format", "a", "--image=x", "-o", "wide");
	BAD("invalid value \"maybe\" for --running", "a", "--image=x", "--running=maybe");
	BAD("no command after --", "a", "--image=x", "--");
	BAD("does not apply to create", "a", "--image=x", "-A");
	BAD("expected KEY=VALUE", "a", "--image=x", "--labels=app");
	BAD("expected KEY=VALUE", "a", "--image=x", "--labels=app=web,,x=y");
	BAD("expected KEY=VALUE,...", "a", "--image=x", "--labels=");
	BAD("the name must be 1-63", "a", "--image=x", "--labels=-app=web");
	BAD("the name must be 1-63", "a", "--image=x", "-l", "example.com/=v");
	BAD("must be a DNS subdomain", "a", "--image=x", "--labels=Example_com/app=v");
	BAD("invalid --labels value \"web!\" for app", "a", "--image=x", "--labels=app=web!");
	BAD("app is set twice", "a", "--image=x", "--labels=app=a", "-l", "app=b");
	BAD("is the operator's own", "a", "--image=x",
	    "--labels=stoppablecontainer.xtlsoft.top/instance=a");
	BAD("expected none, client or server", "a", "--image=x", "--dry-run=maybe");
	BAD("unknown flag: --replicas", "a", "--image=x", "--replicas=2");
#undef BAD
}

SC_TEST(create_labels_and_dry_run)
{
	{
		ARGV("create", "api", "--image=nginx", "--labels=app=api,tier=web", "-l",
		     "example.com/team=", "--dry-run=client");
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_INT_EQ(o.dry_run, SC_DRY_RUN_CLIENT);
		SC_ASSERT_INT_EQ(o.n_labels, 3);
		cleanup_json json_t *obj = sc_create_object(&o, "team");
		assert_json(sc_json_path(obj, "metadata.labels"),
			    "{\"app\":\"api\",\"tier\":\"web\",\"example.com/team\":\"\"}",
			    __LINE__);
		/* the workload pod gets them too, so a Service can select it */
		assert_json(sc_json_path(obj, "spec.template.metadata"),
			    "{\"labels\":{\"app\":\"api\",\"tier\":\"web\","
			    "\"example.com/team\":\"\"}}",
			    __LINE__);
		sc_create_opts_free(&o);
	}
	{
		/* no labels: no metadata in the template */
		ARGV("create", "api", "--image=nginx");
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_INT_EQ(o.dry_run, SC_DRY_RUN_NONE);
		cleanup_json json_t *obj = sc_create_object(&o, NULL);
		SC_ASSERT(sc_json_path(obj, "spec.template.metadata") == NULL);
		SC_ASSERT(sc_json_path(obj, "metadata.labels") == NULL);
		sc_create_opts_free(&o);
	}
	/* kubectl's spellings: a bare --dry-run is client; the old booleans */
	static const struct {
		const char *flag;
		enum sc_dry_run want;
	} cases[] = {
	    {"--dry-run", SC_DRY_RUN_CLIENT},        {"--dry-run=client", SC_DRY_RUN_CLIENT},
	    {"--dry-run=server", SC_DRY_RUN_SERVER}, {"--dry-run=none", SC_DRY_RUN_NONE},
	    {"--dry-run=true", SC_DRY_RUN_CLIENT},   {"--dry-run=false", SC_DRY_RUN_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ARGV("create", "a", "--image=x", (char *)cases[i].flag);
		struct sc_create_opts o;
		EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_INT_EQ(o.dry_run, cases[i].want);
		sc_create_opts_free(&o);
	}
}

SC_TEST(create_help_needs_nothing_else)
{
	ARGV("create", "--help");
	struct sc_create_opts o;
	EXPECT_OK(sc_create_parse(argc_, argv_, &o, &res_, &err_));
	SC_ASSERT(res_.help);
	sc_create_opts_free(&o);
}

/* ---- list ---- */

SC_TEST(list_parse)
{
	{
		ARGV("list", "-A", "-o", "wide", "--no-headers");
		struct sc_list_opts o;
		EXPECT_OK(sc_list_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.g.all_namespaces);
		SC_ASSERT_INT_EQ(o.output, SC_OUTPUT_WIDE);
		SC_ASSERT(o.no_headers);
	}
	{
		ARGV("ls", "-l", "team=a", "-o", "name");
		struct sc_list_opts o;
		EXPECT_OK(sc_list_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_STR_EQ(o.selector, "team=a");
		SC_ASSERT_INT_EQ(o.output, SC_OUTPUT_NAME);
	}
	{
		ARGV("get", "a", "b");
		struct sc_list_opts o;
		EXPECT_OK(sc_list_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_INT_EQ(res_.n_positional, 2);
	}
	{
		ARGV("list", "-o", "table");
		struct sc_list_opts o;
		EXPECT_USAGE(sc_list_parse(argc_, argv_, &o, &res_, &err_),
			     "unknown output format \"table\"");
	}
	{
		ARGV("list", "-A", "x");
		struct sc_list_opts o;
		EXPECT_USAGE(sc_list_parse(argc_, argv_, &o, &res_, &err_),
			     "cannot be combined with --all-namespaces");
	}
	{
		ARGV("list", "Bad");
		struct sc_list_opts o;
		EXPECT_USAGE(sc_list_parse(argc_, argv_, &o, &res_, &err_), "invalid name");
	}
}

static const char list_items[] =
    "[{\"metadata\":{\"name\":\"my-app\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2026-11-28T23:00:00Z\"},"
    "\"spec\":{\"running\":true,\"template\":{\"container\":{\"image\":\"ubuntu:22.04\"}}},"
    "\"status\":{\"phase\":\"Running\",\"nodeName\":\"sc-node\",\"consumerPodName\":\"my-app\","
    "\"providerPodName\":\"my-app-provider\",\"hostPath\":\"/var/lib/stoppablecontainer/x\"}},"
    "{\"metadata\":{\"name\":\"new\",\"namespace\":\"team-a\","
    "\"creationTimestamp\":\"2026-11-28T23:59:55Z\"},"
    "\"spec\":{\"template\":{\"container\":{\"image\":\"busybox\"}}}}]";

SC_TEST(list_table)
{
	cleanup_json json_t *items = parse_json(list_items);
	time_t now;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_parse_timestamp("2026-11-29T00:00:00Z", &now, &err), 0);
	char *t = sc_list_render(items, false, false, false, now);
	SC_ASSERT_STR_EQ(t, "NAME     RUNNING   PHASE     NODE      AGE\n"
			    "my-app   true      Running   sc-node   60m\n"
			    "new      false     <none>    <none>    5s\n");
	free(t);
	t = sc_list_render(items, true, false, true, now);
	SC_ASSERT_STR_EQ(t, "default   my-app   true    Running   sc-node   60m\n"
			    "team-a    new      false   <none>    <none>    5s\n");
	free(t);
	t = sc_list_render(items, true, true, false, now);
	SC_ASSERT_STR_EQ(t,
			 "NAMESPACE   NAME     RUNNING   PHASE     NODE      AGE   IMAGE          "
			 "POD      PROVIDER          HOST PATH\n"
			 "default     my-app   true      Running   sc-node   60m   ubuntu:22.04   "
			 "my-app   my-app-provider   /var/lib/stoppablecontainer/x\n"
			 "team-a      new      false     <none>    <none>    5s    busybox        "
			 "<none>   <none>            <none>\n");
	free(t);
}

/* ---- status ---- */

SC_TEST(status_parse)
{
	{
		ARGV("status", "my-app", "-o", "yaml");
		struct sc_status_opts o;
		EXPECT_OK(sc_status_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_INT_EQ(o.output, SC_OUTPUT_YAML);
	}
	{
		ARGV("status");
		struct sc_status_opts o;
		EXPECT_USAGE(sc_status_parse(argc_, argv_, &o, &res_, &err_), "a NAME is required");
	}
	{
		/* -A: NAME is looked up in every namespace */
		ARGV("status", "my-app", "-A");
		struct sc_status_opts o;
		EXPECT_OK(sc_status_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.g.all_namespaces);
	}
	{
		ARGV("status", "a", "b");
		struct sc_status_opts o;
		EXPECT_USAGE(sc_status_parse(argc_, argv_, &o, &res_, &err_),
			     "status takes one NAME");
	}
	{
		ARGV("status", "a", "-o", "name");
		struct sc_status_opts o;
		EXPECT_USAGE(sc_status_parse(argc_, argv_, &o, &res_, &err_),
			     "unknown output format");
	}
}

SC_TEST(status_summary)
{
	cleanup_json json_t *obj = parse_json(
	    "{\"metadata\":{\"name\":\"my-app\",\"namespace\":\"default\",\"generation\":2,"
	    "\"creationTimestamp\":\"2026-11-28T23:00:00Z\"},"
	    "\"spec\":{\"running\":true,\"template\":{\"container\":{\"image\":\"ubuntu:22.04\","
	    "\"command\":[\"/bin/sh\",\"-c\",\"sleep "
	    "1\"],\"env\":[{\"name\":\"A\",\"value\":\"1\"}],"
	    "\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}}},"
	    "\"status\":{\"phase\":\"Running\",\"message\":\"all good\",\"nodeName\":\"sc-node\","
	    "\"observedGeneration\":2,"
	    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Running\","
	    "\"message\":\"the workload "
	    "runs\",\"lastTransitionTime\":\"2026-11-28T23:58:00Z\"}]}}");
	cleanup_json json_t *events = parse_json(
	    "[{\"type\":\"Normal\",\"reason\":\"Started\",\"message\":\"consumer started\","
	    "\"lastTimestamp\":\"2026-11-28T23:59:00Z\","
	    "\"involvedObject\":{\"kind\":\"StoppableContainer\",\"name\":\"my-app\"}},"
	    "{\"type\":\"Normal\",\"reason\":\"Created\",\"message\":\"created\","
	    "\"lastTimestamp\":\"2026-11-28T23:00:00Z\","
	    "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"my-app-provider\"}}]");
	time_t now;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_parse_timestamp("2026-11-29T00:00:00Z", &now, &err), 0);
	char *s = sc_status_render(obj, events, false, now);
	SC_ASSERT_STR_CONTAINS(s, "Name:           my-app\n");
	SC_ASSERT_STR_CONTAINS(s, "Command:        /bin/sh -c 'sleep 1'\n");
	SC_ASSERT_STR_CONTAINS(s, "Running:        true\n");
	SC_ASSERT_STR_CONTAINS(s, "Phase:          Running\n");
	SC_ASSERT_STR_CONTAINS(s, "Message:        all good\n");
	SC_ASSERT_STR_CONTAINS(s, "Consumer pod:   <none>\n");
	SC_ASSERT_STR_CONTAINS(s, "Created:        2026-11-28T23:00:00Z (60m ago)\n");
	SC_ASSERT_STR_CONTAINS(s, "  TYPE    STATUS   REASON    AGE   MESSAGE\n"
				  "  Ready   True     Running   2m    the workload runs\n");
	/* events oldest first, kinds in lower case */
	SC_ASSERT_STR_CONTAINS(s, "  60m         Normal   Created   pod/my-app-provider         "
				  "created\n"
				  "  60s         Normal   Started   stoppablecontainer/my-app   "
				  "consumer started\n");
	SC_ASSERT(strstr(s, "Environment:") == NULL);
	free(s);
	s = sc_status_render(obj, NULL, true, now);
	SC_ASSERT_STR_CONTAINS(s, "Environment:\n  A=1\n");
	SC_ASSERT_STR_CONTAINS(s, "Ports:          80/TCP http\n");
	SC_ASSERT_STR_CONTAINS(s, "Generation:     2 (observed 2)\n");
	SC_ASSERT(strstr(s, "Events:") == NULL);
	free(s);
}

/* Events of an earlier object of the same name (deleted, created again)
 * are not this one's: kept are the container's own UID's and those recorded
 * since it was created. */
SC_TEST(status_events_of_an_earlier_object_are_left_out)
{
	cleanup_json json_t *obj =
	    parse_json("{\"metadata\":{\"name\":\"my-app\",\"uid\":\"u-new\","
		       "\"creationTimestamp\":\"2026-11-28T23:00:00Z\"},"
		       "\"spec\":{\"template\":{\"container\":{\"image\":\"busybox\"}}}}");
	cleanup_json json_t *events =
	    parse_json("[{\"type\":\"Normal\",\"reason\":\"OldStop\",\"message\":\"old\","
		       "\"lastTimestamp\":\"2026-11-28T22:00:00Z\","
		       "\"metadata\":{\"creationTimestamp\":\"2026-11-28T22:00:00Z\"},"
		       "\"involvedObject\":{\"kind\":\"StoppableContainer\",\"name\":\"my-app\","
		       "\"uid\":\"u-old\"}},"
		       "{\"type\":\"Normal\",\"reason\":\"OldPod\",\"message\":\"old pod\","
		       "\"lastTimestamp\":\"2026-11-28T22:30:00Z\","
		       "\"metadata\":{\"creationTimestamp\":\"2026-11-28T22:30:00Z\"},"
		       "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"my-app-provider\","
		       "\"uid\":\"p-old\"}},"
		       "{\"type\":\"Normal\",\"reason\":\"NewPod\",\"message\":\"new pod\","
		       "\"lastTimestamp\":\"2026-11-28T23:00:01Z\","
		       "\"metadata\":{\"creationTimestamp\":\"2026-11-28T23:00:01Z\"},"
		       "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"my-app-provider\","
		       "\"uid\":\"p-new\"}},"
		       "{\"type\":\"Normal\",\"reason\":\"Mine\",\"message\":\"mine\","
		       "\"lastTimestamp\":\"2026-11-28T23:00:00Z\","
		       "\"involvedObject\":{\"kind\":\"StoppableContainer\",\"name\":\"my-app\","
		       "\"uid\":\"u-new\"}}]");
	char *s = sc_status_render(obj, events, false, 0);
	SC_ASSERT(strstr(s, "OldStop") == NULL);
	SC_ASSERT(strstr(s, "OldPod") == NULL);
	SC_ASSERT_STR_CONTAINS(s, "NewPod");
	SC_ASSERT_STR_CONTAINS(s, "Mine");
	free(s);
	/* only earlier ones: none about this object */
	cleanup_json json_t *old = json_array();
	json_array_append(old, json_array_get(events, 0));
	s = sc_status_render(obj, old, false, 0);
	SC_ASSERT_STR_CONTAINS(s, "Events:         <none>\n");
	free(s);
}

SC_TEST(status_without_status)
{
	cleanup_json json_t *obj =
	    parse_json("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"template\":{\"container\":{"
		       "\"image\":\"busybox\"}}}}");
	cleanup_json json_t *no_events = json_array();
	char *s = sc_status_render(obj, no_events, false, 0);
	SC_ASSERT_STR_CONTAINS(s, "Running:        false\n");
	SC_ASSERT_STR_CONTAINS(s, "Phase:          <none> (no status yet");
	SC_ASSERT_STR_CONTAINS(s, "Command:        (the image's ENTRYPOINT)\n");
	SC_ASSERT_STR_CONTAINS(s, "Conditions:     <none>\n");
	SC_ASSERT_STR_CONTAINS(s, "Events:         <none>\n");
	free(s);
}

/* ---- start/stop/restart and --wait ---- */

SC_TEST(power_parse)
{
	{
		ARGV("stop", "my-app", "--wait", "--timeout=30s");
		struct sc_power_opts o;
		EXPECT_OK(sc_power_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.wait);
		SC_ASSERT_INT_EQ(o.timeout_ms, 30000);
	}
	{
		ARGV("start", "my-app");
		struct sc_power_opts o;
		EXPECT_OK(sc_power_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(!o.wait);
		SC_ASSERT_INT_EQ(o.timeout_ms, SC_DEFAULT_TIMEOUT_MS);
	}
	{
		/* -w: the reference's short --wait, for every power command */
		const char *const cmds[] = {"start", "stop", "restart"};
		for (size_t i = 0; i < 3; i++) {
			ARGV((char *)cmds[i], "my-app", "-w");
			struct sc_power_opts o;
			EXPECT_OK(sc_power_parse(argc_, argv_, &o, &res_, &err_));
			SC_ASSERT(o.wait);
		}
	}
	{
		ARGV("stop", "my-app", "-A");
		struct sc_power_opts o;
		EXPECT_USAGE(sc_power_parse(argc_, argv_, &o, &res_, &err_),
			     "-A) does not apply to stop");
	}
	{
		ARGV("start", "my-app", "--timeout=soon");
		struct sc_power_opts o;
		EXPECT_USAGE(sc_power_parse(argc_, argv_, &o, &res_, &err_), "invalid duration");
	}
	{
		ARGV("restart");
		struct sc_power_opts o;
		EXPECT_USAGE(sc_power_parse(argc_, argv_, &o, &res_, &err_), "a NAME is required");
	}
	{
		ARGV("stop", "a", "--", "x");
		struct sc_power_opts o;
		EXPECT_USAGE(sc_power_parse(argc_, argv_, &o, &res_, &err_),
			     "stop takes no command after --");
	}
}

static enum sc_wait_verdict verdict(const char *json, enum sc_wait_target target, long long gen)
{
	cleanup_json json_t *obj = parse_json(json);
	return sc_wait_check(obj, target, gen);
}

SC_TEST(wait_verdicts)
{
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Running\"}}", SC_WAIT_RUNNING, 0),
			 SC_WAIT_REACHED);
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Pending\"}}", SC_WAIT_RUNNING, 0),
			 SC_WAIT_NOT_YET);
	SC_ASSERT_INT_EQ(verdict("{}", SC_WAIT_RUNNING, 0), SC_WAIT_NOT_YET);
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Failed\"}}", SC_WAIT_STOPPED, 0),
			 SC_WAIT_FAILED);
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Stopped\"}}", SC_WAIT_STOPPED, 0),
			 SC_WAIT_REACHED);
	/* a stale status: Running from generation 1 right after a stop made
	 * generation 2 is not an answer yet */
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Stopped\",\"observedGeneration\":1}}",
				 SC_WAIT_STOPPED, 2),
			 SC_WAIT_NOT_YET);
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Failed\",\"observedGeneration\":1}}",
				 SC_WAIT_RUNNING, 2),
			 SC_WAIT_NOT_YET);
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Running\",\"observedGeneration\":3}}",
				 SC_WAIT_RUNNING, 2),
			 SC_WAIT_REACHED);
	/* deletion is only ever seen as an event or a 404 */
	SC_ASSERT_INT_EQ(verdict("{\"status\":{\"phase\":\"Stopped\"}}", SC_WAIT_DELETED, 0),
			 SC_WAIT_NOT_YET);
}

/* ---- exec and logs ---- */

SC_TEST(exec_parse)
{
	{
		ARGV("exec", "-it", "my-app", "--", "apt", "install", "-y", "python3");
		struct sc_exec_opts o;
		EXPECT_OK(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.stdin);
		SC_ASSERT(o.tty);
		SC_ASSERT_INT_EQ(res_.n_rest, 4);
	}
	{
		ARGV("exec", "my-app");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_),
			     "a command is required");
	}
	{
		/* without --: the word after NAME starts the command, and its
		 * flags are its own */
		ARGV("exec", "my-app", "ls", "-la", "-n", "x");
		struct sc_exec_opts o;
		EXPECT_OK(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_));
		SC_ASSERT_INT_EQ(res_.n_positional, 1);
		SC_ASSERT_INT_EQ(res_.n_rest, 4);
		SC_ASSERT_STR_EQ(res_.rest[0], "ls");
		SC_ASSERT_STR_EQ(res_.rest[3], "x");
		SC_ASSERT(o.g.namespace == NULL);
	}
	{
		ARGV("exec", "-n", "team", "my-app", "-it", "-c", "workload", "bash");
		struct sc_exec_opts o;
		EXPECT_OK(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.stdin && o.tty);
		SC_ASSERT_STR_EQ(o.container, "workload");
		SC_ASSERT_STR_EQ(o.g.namespace, "team");
		SC_ASSERT_INT_EQ(res_.n_rest, 1);
	}
	{
		ARGV("exec", "my-app", "--");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_),
			     "no command after --");
	}
	{
		ARGV("exec", "my-app", "-c", "Bad_Name", "ls");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_),
			     "-c/--container");
	}
	{
		ARGV("exec", "my-app", "-A", "ls");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_),
			     "does not apply to exec");
	}
	{
		ARGV("exec", "my-app", "-f", "--", "ls");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_),
			     "unknown shorthand flag: 'f'");
	}
}

SC_TEST(exec_container_names)
{
	cleanup_json json_t *plain =
	    parse_json("{\"metadata\":{\"name\":\"my-app\"},"
		       "\"spec\":{\"template\":{\"container\":{\"image\":\"x\"}}}}");
	cleanup_json json_t *named =
	    parse_json("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"template\":"
		       "{\"container\":{\"name\":\"nginx\",\"image\":\"x\"}}}}");
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_exec_check_container(plain, NULL, &err), 0);
	SC_ASSERT_INT_EQ(sc_exec_check_container(plain, "workload", &err), 0);
	SC_ASSERT_INT_EQ(sc_exec_check_container(named, "workload", &err), 0);
	SC_ASSERT_INT_EQ(sc_exec_check_container(named, "nginx", &err), 0);
	SC_ASSERT_INT_EQ(sc_exec_check_container(plain, "sidecar", &err), -1);
	SC_ASSERT_STR_EQ(sc_error_message(err),
			 "container \"sidecar\" is not in stoppablecontainer "
			 "\"my-app\": its one container is \"workload\"");
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_exec_check_container(named, "nginx2", &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "its one container is \"nginx\"");
	sc_error_release(&err);
	cleanup_json json_t *pod_shaped =
	    parse_json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"template\":{\"spec\":"
		       "{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]}}}}");
	SC_ASSERT_INT_EQ(sc_exec_check_container(pod_shaped, "app", &err), 0);
	SC_ASSERT_INT_EQ(sc_exec_check_container(pod_shaped, "workload", &err), 0);
	SC_ASSERT_INT_EQ(sc_exec_check_container(pod_shaped, "db", &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "its one container is \"app\"");
}

SC_TEST(logs_parse)
{
	{
		ARGV("logs", "my-app", "-A", "-c", "workload");
		struct sc_exec_opts o;
		EXPECT_OK(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.g.all_namespaces);
		SC_ASSERT_STR_EQ(o.container, "workload");
	}
	{
		ARGV("logs", "my-app", "-A", "-n", "x");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_), "not both");
	}
	{
		ARGV("logs", "my-app", "-f", "--tail=20", "--timestamps", "-p", "--since=10m");
		struct sc_exec_opts o;
		EXPECT_OK(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.follow);
		SC_ASSERT(o.timestamps);
		SC_ASSERT(o.previous);
		SC_ASSERT_INT_EQ(o.tail, 20);
		SC_ASSERT_STR_EQ(o.since, "10m");
	}
	{
		ARGV("logs", "my-app", "--tail=many");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_), "invalid --tail");
	}
	{
		ARGV("logs", "my-app", "--tail=-2");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_), "invalid --tail");
	}
	{
		ARGV("logs", "my-app", "--", "ls");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_),
			     "logs takes no command");
	}
	{
		ARGV("logs", "my-app", "-i");
		struct sc_exec_opts o;
		EXPECT_USAGE(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_),
			     "unknown shorthand flag: 'i'");
	}
}

static char *joined(char **v)
{
	size_t len = 1;
	for (char **p = v; *p; p++)
		len += strlen(*p) + 1;
	char *s = calloc(1, len);
	for (char **p = v; *p; p++) {
		if (p != v)
			strncat(s, " ", len - strlen(s) - 1);
		strncat(s, *p, len - strlen(s) - 1);
	}
	return s;
}

SC_TEST(exec_kubectl_command_line)
{
	ARGV("exec", "--kubeconfig=/k", "--context", "c", "-it", "my-app", "--", "ls", "-la");
	struct sc_exec_opts o;
	EXPECT_OK(sc_exec_parse(false, argc_, argv_, &o, &res_, &err_));
	cleanup_strv char **v =
	    sc_exec_kubectl_argv(&o, "/opt/kubectl", "team", "my-app", res_.rest, res_.n_rest);
	char *s = joined(v);
	SC_ASSERT_STR_EQ(s, "/opt/kubectl --kubeconfig=/k --context=c --namespace=team exec "
			    "--stdin --tty my-app --container=workload -- ls -la");
	free(s);
}

SC_TEST(logs_kubectl_command_line)
{
	ARGV("logs", "my-app", "-v=3", "-f", "--tail=5", "--since=1h");
	struct sc_exec_opts o;
	EXPECT_OK(sc_exec_parse(true, argc_, argv_, &o, &res_, &err_));
	cleanup_strv char **v = sc_exec_kubectl_argv(&o, "kubectl", "default", "my-app", NULL, 0);
	char *s = joined(v);
	SC_ASSERT_STR_EQ(s, "kubectl --v=3 --namespace=default logs --follow --tail=5 --since=1h "
			    "my-app --container=workload");
	free(s);
}

/* ---- delete ---- */

SC_TEST(delete_parse)
{
	{
		ARGV("rm", "a", "b", "--force", "--wait", "--timeout=1m", "--ignore-not-found");
		struct sc_delete_opts o;
		EXPECT_OK(sc_delete_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.force);
		SC_ASSERT(o.wait);
		SC_ASSERT(o.ignore_not_found);
		SC_ASSERT_INT_EQ(o.timeout_ms, 60000);
		SC_ASSERT_INT_EQ(res_.n_positional, 2);
	}
	{
		/* waits by default, as the reference's delete does */
		ARGV("delete", "a");
		struct sc_delete_opts o;
		EXPECT_OK(sc_delete_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.wait);
	}
	{
		ARGV("delete", "a", "--wait=false");
		struct sc_delete_opts o;
		EXPECT_OK(sc_delete_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(!o.wait);
	}
	{
		ARGV("delete", "a", "-w", "--timeout=10s");
		struct sc_delete_opts o;
		EXPECT_OK(sc_delete_parse(argc_, argv_, &o, &res_, &err_));
		SC_ASSERT(o.wait);
		SC_ASSERT_INT_EQ(o.timeout_ms, 10000);
	}
	{
		ARGV("delete");
		struct sc_delete_opts o;
		EXPECT_USAGE(sc_delete_parse(argc_, argv_, &o, &res_, &err_),
			     "at least one NAME is required");
	}
	{
		ARGV("delete", "a", "-A");
		struct sc_delete_opts o;
		EXPECT_USAGE(sc_delete_parse(argc_, argv_, &o, &res_, &err_),
			     "does not apply to delete");
	}
	{
		ARGV("delete", "a", "--grace-period=0");
		struct sc_delete_opts o;
		EXPECT_USAGE(sc_delete_parse(argc_, argv_, &o, &res_, &err_),
			     "unknown flag: --grace-period");
	}
}

int main(void)
{
	return sc_test_run();
}
