/* kubectl-sc's pure helpers: flag parsing, durations, ages, tables,
 * quantities, YAML output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubectl-sc/cli.h"
#include "kubectl-sc/yaml-out.h"
#include "lib/sc-json.h"
#include "sc-test.h"

enum { T_IMAGE = SC_OPT_COMMAND, T_ENV, T_WAIT, T_STDIN, T_TTY, T_LEVEL };

static const struct sc_cli_option test_options[] = {
    {T_IMAGE, "image", 0, SC_CLI_REQUIRED, "IMAGE", NULL, "image"},
    {T_ENV, "env", 'e', SC_CLI_REQUIRED, "KEY=VALUE", NULL, "env", true},
    {T_WAIT, "wait", 0, SC_CLI_BOOL, NULL, NULL, "wait"},
    {T_STDIN, "stdin", 'i', SC_CLI_BOOL, NULL, NULL, "stdin"},
    {T_TTY, "tty", 't', SC_CLI_BOOL, NULL, NULL, "tty"},
    {T_LEVEL, "level", 'L', SC_CLI_OPTIONAL, "N", "7", "level"},
    {0},
};

struct seen {
	char log[512];
};

static int record(void *ctx, const struct sc_cli_option *opt, const char *value, sc_error_t *err)
{
	(void)err;
	struct seen *s = ctx;
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof(s->log) - n, "%s%s=%s", n ? " " : "", opt->long_name, value);
	return 0;
}

#define PARSE(ok, ...)                                                                           \
	char *argv_[] = {"cmd", __VA_ARGS__};                                                    \
	int argc_ = (int)(sizeof(argv_) / sizeof(argv_[0]));                                     \
	struct seen seen_ = {{0}};                                                               \
	struct sc_global_opts g_ = {0};                                                          \
	cleanup_cli_result struct sc_cli_result res_ = {0};                                      \
	cleanup_error sc_error_t err_ = NULL;                                                    \
	int r_ = sc_cli_parse(argc_, argv_, 1, test_options, record, &seen_, &g_, &res_, &err_); \
	if ((ok) && r_ != 0)                                                                     \
		sc_test_fail(__FILE__, __LINE__, "parse failed: %s", sc_error_message(err_));    \
	if (!(ok) && r_ == 0)                                                                    \
		sc_test_fail(__FILE__, __LINE__, "parse accepted bad flags");

SC_TEST(long_flags_with_equals_and_separate_values)
{
	PARSE(true, "--image=ubuntu", "--env", "A=1", "name", "--wait");
	SC_ASSERT_STR_EQ(seen_.log, "image=ubuntu env=A=1 wait=true");
	SC_ASSERT_INT_EQ(res_.n_positional, 1);
	SC_ASSERT_STR_EQ(res_.positional[0], "name");
	SC_ASSERT(res_.positional[1] == NULL);
}

SC_TEST(short_flags_attached_separate_and_combined)
{
	PARSE(true, "-eA=1", "-e", "B=2", "-e=C=3", "-it", "-L", "-L3");
	SC_ASSERT_STR_EQ(seen_.log, "env=A=1 env=B=2 env=C=3 stdin=true tty=true level=7 level=3");
}

SC_TEST(bool_values)
{
	PARSE(true, "--wait=false", "--stdin=0", "-t=true", "--wait=T");
	SC_ASSERT_STR_EQ(seen_.log, "wait=false stdin=false tty=true wait=true");
}

SC_TEST(bad_bool_value)
{
	PARSE(false, "--wait=maybe");
	SC_ASSERT_STR_CONTAINS(sc_error_message(err_), "invalid value \"maybe\" for --wait");
}

SC_TEST(unknown_flags)
{
	{
		PARSE(false, "--bogus");
		SC_ASSERT_STR_EQ(sc_error_message(err_), "unknown flag: --bogus");
	}
	{
		PARSE(false, "-iz");
		SC_ASSERT_STR_EQ(sc_error_message(err_), "unknown shorthand flag: 'z' in -iz");
	}
}

SC_TEST(missing_values)
{
	{
		PARSE(false, "--image");
		SC_ASSERT_STR_EQ(sc_error_message(err_), "flag needs an argument: --image");
	}
	{
		PARSE(false, "-e");
		SC_ASSERT_STR_EQ(sc_error_message(err_), "flag needs an argument: 'e' in -e");
	}
}

SC_TEST(dashdash_keeps_the_rest_untouched)
{
	PARSE(true, "x", "--", "/bin/sh", "-c", "--image=no");
	SC_ASSERT_STR_EQ(seen_.log, "");
	SC_ASSERT(res_.has_dashdash);
	SC_ASSERT_INT_EQ(res_.n_rest, 3);
	SC_ASSERT_STR_EQ(res_.rest[0], "/bin/sh");
	SC_ASSERT_STR_EQ(res_.rest[2], "--image=no");
	SC_ASSERT(res_.rest[3] == NULL);
}

SC_TEST(rest_after_the_positionals)
{
	/* exec NAME ls -la: after one positional the next word starts the
	 * rest, flags and all, as if "--" came before it */
	char *argv[] = {"cmd", "-i", "x", "-t", "ls", "-la", "--image=no", "--", "y"};
	struct seen seen = {{0}};
	struct sc_global_opts g = {0};
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(
	    sc_cli_parse_until(9, argv, 1, 1, test_options, record, &seen, &g, &res, &err), 0);
	SC_ASSERT_STR_EQ(seen.log, "stdin=true tty=true");
	SC_ASSERT_INT_EQ(res.n_positional, 1);
	SC_ASSERT_STR_EQ(res.positional[0], "x");
	SC_ASSERT(!res.has_dashdash);
	SC_ASSERT_INT_EQ(res.n_rest, 5);
	SC_ASSERT_STR_EQ(res.rest[0], "ls");
	SC_ASSERT_STR_EQ(res.rest[3], "--");
	SC_ASSERT(res.rest[5] == NULL);
	/* with "--" first it is the usual rest */
	char *argv2[] = {"cmd", "x", "--", "ls"};
	cleanup_cli_result struct sc_cli_result res2 = {0};
	SC_ASSERT_INT_EQ(
	    sc_cli_parse_until(4, argv2, 1, 1, test_options, record, &seen, &g, &res2, &err), 0);
	SC_ASSERT(res2.has_dashdash);
	SC_ASSERT_INT_EQ(res2.n_rest, 1);
}
SC_TEST(dashdash_with_nothing_after)
{
	PARSE(true, "x", "--");
	SC_ASSERT(res_.has_dashdash);
	SC_ASSERT_INT_EQ(res_.n_rest, 0);
}

SC_TEST(global_flags_anywhere)
{
	PARSE(true, "-n", "team-a", "x", "--kubeconfig=/k", "--context", "ctx", "-A", "-v", "-h");
	SC_ASSERT_STR_EQ(g_.namespace, "team-a");
	SC_ASSERT_STR_EQ(g_.kubeconfig, "/k");
	SC_ASSERT_STR_EQ(g_.context, "ctx");
	SC_ASSERT(g_.all_namespaces);
	SC_ASSERT_INT_EQ(g_.verbosity, 1);
	SC_ASSERT(res_.help);
	SC_ASSERT_INT_EQ(res_.n_positional, 1);
}

SC_TEST(global_flag_values)
{
	{
		PARSE(true, "--v=4", "--namespace=a-b");
		SC_ASSERT_INT_EQ(g_.verbosity, 4);
		SC_ASSERT_STR_EQ(g_.namespace, "a-b");
	}
	{
		PARSE(false, "-v=x");
		SC_ASSERT_STR_CONTAINS(sc_error_message(err_), "expected a level");
	}
	{
		PARSE(false, "-n", "Bad_NS");
		SC_ASSERT_STR_CONTAINS(sc_error_message(err_), "namespace");
	}
	{
		PARSE(false, "--kubeconfig=");
		SC_ASSERT_STR_CONTAINS(sc_error_message(err_), "must not be empty");
	}
}

SC_TEST(lone_dash_is_positional)
{
	PARSE(true, "-");
	SC_ASSERT_INT_EQ(res_.n_positional, 1);
	SC_ASSERT_STR_EQ(res_.positional[0], "-");
}

SC_TEST(options_help_lists_every_flag)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	sc_cli_print_options(f, test_options);
	fclose(f);
	SC_ASSERT_STR_CONTAINS(text, "      --image=IMAGE");
	SC_ASSERT_STR_CONTAINS(text, "  -e, --env=KEY=VALUE");
	SC_ASSERT_STR_CONTAINS(text, "env (repeatable)");
	SC_ASSERT_STR_CONTAINS(text, "  -i, --stdin ");
	SC_ASSERT_STR_CONTAINS(text, "  -L, --level[=N]");
	free(text);
}

/* ---- durations ---- */

static long long duration_ms(const char *s)
{
	long long ms = -1;
	cleanup_error sc_error_t err = NULL;
	if (sc_parse_duration(s, &ms, &err) < 0)
		return -1;
	return ms;
}

static const char *duration_error(const char *s)
{
	static char msg[256];
	long long ms;
	cleanup_error sc_error_t err = NULL;
	if (sc_parse_duration(s, &ms, &err) == 0)
		return "(accepted)";
	snprintf(msg, sizeof(msg), "%s", sc_error_message(err));
	return msg;
}

SC_TEST(durations)
{
	SC_ASSERT_INT_EQ(duration_ms("30s"), 30000);
	SC_ASSERT_INT_EQ(duration_ms("2m"), 120000);
	SC_ASSERT_INT_EQ(duration_ms("1h"), 3600000);
	SC_ASSERT_INT_EQ(duration_ms("1h30m"), 5400000);
	SC_ASSERT_INT_EQ(duration_ms("1m30s"), 90000);
	SC_ASSERT_INT_EQ(duration_ms("500ms"), 500);
	SC_ASSERT_INT_EQ(duration_ms("1.5s"), 1500);
	SC_ASSERT_INT_EQ(duration_ms("0.5h"), 1800000);
}

SC_TEST(bad_durations)
{
	SC_ASSERT_STR_CONTAINS(duration_error("30"), "missing unit");
	SC_ASSERT_STR_CONTAINS(duration_error("5d"), "unknown unit \"d\"");
	SC_ASSERT_STR_CONTAINS(duration_error(""), "invalid duration");
	SC_ASSERT_STR_CONTAINS(duration_error("-1s"), "invalid duration");
	SC_ASSERT_STR_CONTAINS(duration_error("0s"), "must be positive");
	SC_ASSERT_STR_CONTAINS(duration_error("abc"), "invalid duration");
	SC_ASSERT_STR_CONTAINS(duration_error("1s "), "invalid duration");
	SC_ASSERT_STR_CONTAINS(duration_error("9999999h"), "too long");
}

static const char *fmt_duration(long long ms)
{
	static char buf[32];
	sc_format_duration(ms, buf, sizeof(buf));
	return buf;
}

SC_TEST(duration_strings_like_go)
{
	SC_ASSERT_STR_EQ(fmt_duration(300000), "5m0s");
	SC_ASSERT_STR_EQ(fmt_duration(30000), "30s");
	SC_ASSERT_STR_EQ(fmt_duration(3723000), "1h2m3s");
	SC_ASSERT_STR_EQ(fmt_duration(3600000), "1h0m0s");
	SC_ASSERT_STR_EQ(fmt_duration(1500), "1.5s");
	SC_ASSERT_STR_EQ(fmt_duration(1250), "1.25s");
	SC_ASSERT_STR_EQ(fmt_duration(250), "250ms");
	SC_ASSERT_STR_EQ(fmt_duration(0), "0s");
}

/* ---- ages ---- */

static const char *age(long long seconds)
{
	static char buf[32];
	sc_format_age(seconds, buf, sizeof(buf));
	return buf;
}

SC_TEST(ages_like_kubectl)
{
	SC_ASSERT_STR_EQ(age(0), "0s");
	SC_ASSERT_STR_EQ(age(-1), "0s");
	SC_ASSERT_STR_EQ(age(-5), "<invalid>");
	SC_ASSERT_STR_EQ(age(5), "5s");
	SC_ASSERT_STR_EQ(age(119), "119s");
	SC_ASSERT_STR_EQ(age(120), "2m");
	SC_ASSERT_STR_EQ(age(150), "2m30s");
	SC_ASSERT_STR_EQ(age(3 * 60), "3m");
	SC_ASSERT_STR_EQ(age(10 * 60 + 5), "10m");
	SC_ASSERT_STR_EQ(age(179 * 60), "179m");
	SC_ASSERT_STR_EQ(age(3 * 3600), "3h");
	SC_ASSERT_STR_EQ(age(2 * 3600 + 5 * 60 + 60 * 60), "3h5m");
	SC_ASSERT_STR_EQ(age(8 * 3600), "8h");
	SC_ASSERT_STR_EQ(age(47 * 3600), "47h");
	SC_ASSERT_STR_EQ(age(4 * 86400), "4d");
	SC_ASSERT_STR_EQ(age(4 * 86400 + 3 * 3600), "4d3h");
	SC_ASSERT_STR_EQ(age(30 * 86400), "30d");
	SC_ASSERT_STR_EQ(age(2 * 365 * 86400), "2y");
	SC_ASSERT_STR_EQ(age(3 * 365 * 86400 + 10 * 86400), "3y10d");
	SC_ASSERT_STR_EQ(age(10LL * 365 * 86400), "10y");
}

SC_TEST(timestamps)
{
	time_t t;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_parse_timestamp("1970-01-01T00:01:00Z", &t, &err), 0);
	SC_ASSERT_INT_EQ(t, 60);
	SC_ASSERT_INT_EQ(sc_parse_timestamp("1970-01-01T01:00:00.123456Z", &t, &err), 0);
	SC_ASSERT_INT_EQ(t, 3600);
	SC_ASSERT_INT_EQ(sc_parse_timestamp("1970-01-01T02:00:00+01:00", &t, &err), 0);
	SC_ASSERT_INT_EQ(t, 3600);
	SC_ASSERT_INT_EQ(sc_parse_timestamp("1970-01-01T00:00:00", &t, &err), -1);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "RFC 3339");
}

SC_TEST(age_since)
{
	char buf[32];
	time_t t;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_parse_timestamp("2026-11-28T23:00:00Z", &t, &err), 0);
	sc_format_age_since("2026-11-28T23:00:00Z", t + 150, buf, sizeof(buf));
	SC_ASSERT_STR_EQ(buf, "2m30s");
	sc_format_age_since(NULL, t, buf, sizeof(buf));
	SC_ASSERT_STR_EQ(buf, "<unknown>");
	sc_format_age_since("yesterday", t, buf, sizeof(buf));
	SC_ASSERT_STR_EQ(buf, "<unknown>");
}

/* ---- tables ---- */

SC_TEST(table_columns_like_tabwriter)
{
	struct sc_table t;
	sc_table_init(&t, 3);
	sc_table_add_row(&t, (const char *[]){"NAME", "RUNNING", "AGE"});
	sc_table_add_row(&t, (const char *[]){"a", "true", "5s"});
	sc_table_add_row(&t, (const char *[]){"longer-name", "false", "3m"});
	char *out = sc_table_render(&t, false);
	SC_ASSERT_STR_EQ(out, "NAME          RUNNING   AGE\n"
			      "a             true      5s\n"
			      "longer-name   false     3m\n");
	free(out);
	out = sc_table_render(&t, true);
	SC_ASSERT_STR_EQ(out, "a             true    5s\n"
			      "longer-name   false   3m\n");
	free(out);
	sc_table_free(&t);
}

SC_TEST(table_min_width_and_no_trailing_blanks)
{
	struct sc_table t;
	sc_table_init(&t, 3);
	sc_table_add_row(&t, (const char *[]){"A", "B", "C"});
	sc_table_add_row(&t, (const char *[]){"x", "multi\nline", ""});
	char *out = sc_table_render(&t, false);
	/* minimum cell width 6 (with padding); an empty last cell leaves no
	 * blanks; a newline in a cell becomes a space. */
	SC_ASSERT_STR_EQ(out, "A     B            C\n"
			      "x     multi line\n");
	free(out);
	sc_table_free(&t);
}

SC_TEST(empty_table)
{
	struct sc_table t;
	sc_table_init(&t, 2);
	char *out = sc_table_render(&t, false);
	SC_ASSERT_STR_EQ(out, "");
	free(out);
	sc_table_free(&t);
}

/* ---- validators ---- */

SC_TEST(quantities)
{
	const char *good[] = {"1", "500m", "0.5", ".5", "256Mi", "1Gi", "2e3", "1E-2", "+1", "10k"};
	const char *bad[] = {"", "-1", "1.2.3", "Mi", "1mi", "1 Gi", "1Gi ", "abc", "1e", "1ki"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!sc_quantity_valid(good[i]))
			sc_test_fail(__FILE__, __LINE__, "rejected %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sc_quantity_valid(bad[i]))
			sc_test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
	}
	SC_ASSERT(!sc_quantity_valid(NULL));
}

SC_TEST(port_names)
{
	SC_ASSERT(sc_port_name_valid("http"));
	SC_ASSERT(sc_port_name_valid("web-1"));
	SC_ASSERT(!sc_port_name_valid("8080"));
	SC_ASSERT(!sc_port_name_valid("-http"));
	SC_ASSERT(!sc_port_name_valid("http-"));
	SC_ASSERT(!sc_port_name_valid("a--b"));
	SC_ASSERT(!sc_port_name_valid("HTTP"));
	SC_ASSERT(!sc_port_name_valid("a234567890123456"));
	SC_ASSERT(!sc_port_name_valid(""));
}

/* ---- YAML output ---- */

static char *yaml_of(const char *json)
{
	cleanup_json json_t *v = NULL;
	cleanup_error sc_error_t err = NULL;
	if (sc_json_parse(json, strlen(json), &v, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "bad test JSON: %s", sc_error_message(err));
	char *out = NULL;
	if (sc_json_to_yaml(v, &out, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "to yaml: %s", sc_error_message(err));
	return out;
}

SC_TEST(yaml_block_style_sorted_keys)
{
	char *y = yaml_of("{\"spec\":{\"running\":true,\"template\":{\"container\":{\"image\":"
			  "\"ubuntu:22.04\",\"command\":[\"/bin/bash\"]}}},\"apiVersion\":\"v1\","
			  "\"num\":3,\"e\":[],\"o\":{},\"z\":null}");
	SC_ASSERT_STR_EQ(y, "apiVersion: v1\n"
			    "e: []\n"
			    "num: 3\n"
			    "o: {}\n"
			    "spec:\n"
			    "  running: true\n"
			    "  template:\n"
			    "    container:\n"
			    "      command:\n"
			    "      - /bin/bash\n"
			    "      image: ubuntu:22.04\n"
			    "z: null\n");
	free(y);
}

SC_TEST(yaml_quotes_what_would_change_type)
{
	char *y =
	    yaml_of("{\"a\":\"true\",\"b\":\"1\",\"c\":\"\",\"d\":\"null\",\"e\":\"500m\","
		    "\"f\":\"2026-11-28T23:54:47Z\",\"g\":\"1.5\",\"h\":\"0x1f\",\"i\":\"yes\","
		    "\"j\":\"56df331c-3fe5\",\"k\":\"12:30\",\"l\":\"16Mi\",\"m\":\"1e3\"}");
	SC_ASSERT_STR_EQ(y, "a: \"true\"\n"
			    "b: \"1\"\n"
			    "c: \"\"\n"
			    "d: \"null\"\n"
			    "e: 500m\n"
			    "f: \"2026-11-28T23:54:47Z\"\n"
			    "g: \"1.5\"\n"
			    "h: \"0x1f\"\n"
			    "i: \"yes\"\n"
			    "j: 56df331c-3fe5\n"
			    "k: \"12:30\"\n"
			    "l: 16Mi\n"
			    "m: \"1e3\"\n");
	free(y);
}

SC_TEST(yaml_round_trips)
{
	const char *json = "{\"s\":\"line one\\nline two\\n\",\"q\":\"a: b # c\",\"t\":\" x\","
			   "\"l\":[{\"name\":\"A\",\"value\":\"true\"},1,2.5,false],\"u\":\"ü\"}";
	char *y = yaml_of(json);
	cleanup_json json_t *back = NULL;
	cleanup_json json_t *orig = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_json_from_yaml(y, strlen(y), 0, &back, &err), 0);
	SC_ASSERT_INT_EQ(sc_json_parse(json, strlen(json), &orig, &err), 0);
	if (!json_equal(orig, back))
		sc_test_fail(__FILE__, __LINE__, "round trip changed the value:\n%s", y);
	SC_ASSERT_STR_CONTAINS(y, "s: |\n  line one\n  line two\n");
	free(y);
}

int main(void)
{
	return sc_test_run();
}
