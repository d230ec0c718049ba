#include "kubectl-sc/cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lib/sc-buf.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

const struct sc_cli_option sc_global_options[] = {
    {SC_OPT_NAMESPACE, "namespace", 'n', SC_CLI_REQUIRED, "NAMESPACE", NULL,
     "The namespace to use (default: the kubeconfig context's, else \"default\")"},
    {SC_OPT_ALL_NAMESPACES, "all-namespaces", 'A', SC_CLI_BOOL, NULL, NULL,
     "List across all namespaces (list only)"},
    {SC_OPT_KUBECONFIG, "kubeconfig", 0, SC_CLI_REQUIRED, "PATH", NULL,
     "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)"},
    {SC_OPT_CONTEXT, "context", 0, SC_CLI_REQUIRED, "NAME", NULL,
     "The kubeconfig context to use (default: its current-context)"},
    {SC_OPT_VERBOSITY, "v", 'v', SC_CLI_OPTIONAL, "LEVEL", "1",
     "Print debug lines on stderr (-v is level 1; 4 and up also show the client's own logs)"},
    {SC_OPT_HELP, "help", 'h', SC_CLI_BOOL, NULL, NULL, "Show help for the command"},
    {0},
};

/* ---- flag parsing ---- */

void sc_cli_result_free(struct sc_cli_result *r)
{
	free(r->positional);
	free(r->rest);
	r->positional = NULL;
	r->rest = NULL;
	r->n_positional = 0;
	r->n_rest = 0;
}

void sc_cleanup_cli_resultp(struct sc_cli_result *r)
{
	sc_cli_result_free(r);
}

int sc_cli_parse_bool(const char *what, const char *s, bool *out, sc_error_t *err)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return sc_error_make(err, EINVAL, "invalid value \"%s\" for %s: expected true or false", s,
			     what);
}

static const struct sc_cli_option *find_long(const struct sc_cli_option *table, const char *name,
					     size_t len)
{
	for (const struct sc_cli_option *o = table; o != NULL && o->long_name != NULL; o++) {
		if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
			return o;
	}
	return NULL;
}

static const struct sc_cli_option *find_short(const struct sc_cli_option *table, char c)
{
	for (const struct sc_cli_option *o = table; o != NULL && o->long_name != NULL; o++) {
		if (o->short_name != 0 && o->short_name == c)
			return o;
	}
	return NULL;
}

static int set_global(struct sc_global_opts *g, struct sc_cli_result *out,
		      const struct sc_cli_option *opt, const char *value, sc_error_t *err)
{
	switch ((enum sc_global_option_id)opt->id) {
	case SC_OPT_HELP:
		out->help = strcmp(value, "true") == 0;
		return 0;
	case SC_OPT_NAMESPACE:
		if (sc_validate_dns1123_label("namespace", value, err) < 0)
			return -1;
		g->namespace = value;
		return 0;
	case SC_OPT_ALL_NAMESPACES:
		g->all_namespaces = strcmp(value, "true") == 0;
		return 0;
	case SC_OPT_KUBECONFIG:
		if (*value == '\0')
			return sc_error_make(err, EINVAL, "--kubeconfig: must not be empty");
		g->kubeconfig = value;
		return 0;
	case SC_OPT_CONTEXT:
		if (*value == '\0')
			return sc_error_make(err, EINVAL, "--context: must not be empty");
		g->context = value;
		return 0;
	case SC_OPT_VERBOSITY: {
		long v;
		if (sc_parse_long(value, 0, 10, &v) < 0)
			return sc_error_make(err, EINVAL,
					     "invalid value \"%s\" for -v: expected a level 0-10",
					     value);
		g->verbosity = (int)v;
		return 0;
	}
	case SC_OPT_COMMAND:
		break;
	}
	return sc_error_make(err, EINVAL, "internal error: unknown global option %d", opt->id);
}

/* Hand one flag to its owner: the global table here, a command's table to
 * the command's setter. name is how the user spelled it, for messages. */
static int apply(const struct sc_cli_option *opt, bool global, const char *name, const char *value,
		 sc_cli_set_fn set, void *ctx, struct sc_global_opts *g, struct sc_cli_result *out,
		 sc_error_t *err)
{
	if (opt->arg == SC_CLI_BOOL) {
		bool b;
		if (sc_cli_parse_bool(name, value, &b, err) < 0)
			return -1;
		value = b ? "true" : "false";
	}
	if (global)
		return set_global(g, out, opt, value, err);
	if (set == NULL)
		return sc_error_make(err, EINVAL, "internal error: no handler for %s", name);
	return set(ctx, opt, value, err);
}

static void push(const char ***v, size_t *n, const char *s)
{
	*v = sc_xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static int parse_long_flag(int argc, char *const argv[], int *i, const struct sc_cli_option *cmd,
			   sc_cli_set_fn set, void *ctx, struct sc_global_opts *g,
			   struct sc_cli_result *out, sc_error_t *err)
{
	const char *arg = argv[*i];
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	bool global = false;
	const struct sc_cli_option *opt = find_long(cmd, name, len);
	if (opt == NULL) {
		opt = find_long(sc_global_options, name, len);
		global = opt != NULL;
	}
	if (opt == NULL)
		return sc_error_make(err, EINVAL, "unknown flag: --%.*s", (int)len, name);
	cleanup_free char *spelled = sc_xasprintf("--%s", opt->long_name);
	const char *value = NULL;
	switch (opt->arg) {
	case SC_CLI_BOOL:
		value = eq ? eq + 1 : "true";
		break;
	case SC_CLI_OPTIONAL:
		value = eq ? eq + 1 : opt->implicit;
		break;
	case SC_CLI_REQUIRED:
		if (eq != NULL) {
			value = eq + 1;
		} else if (*i + 1 < argc) {
			value = argv[++*i];
		} else {
			return sc_error_make(err, EINVAL, "flag needs an argument: %s", spelled);
		}
		break;
	}
	return apply(opt, global, spelled, value, set, ctx, g, out, err);
}

static int parse_short_flags(int argc, char *const argv[], int *i, const struct sc_cli_option *cmd,
			     sc_cli_set_fn set, void *ctx, struct sc_global_opts *g,
			     struct sc_cli_result *out, sc_error_t *err)
{
	const char *arg = argv[*i];
	for (size_t j = 1; arg[j] != '\0'; j++) {
		char c = arg[j];
		bool global = false;
		const struct sc_cli_option *opt = find_short(cmd, c);
		if (opt == NULL) {
			opt = find_short(sc_global_options, c);
			global = opt != NULL;
		}
		if (opt == NULL)
			return sc_error_make(err, EINVAL, "unknown shorthand flag: '%c' in %s", c,
					     arg);
		char spelled[3] = {'-', c, '\0'};
		const char *after = arg + j + 1;
		switch (opt->arg) {
		case SC_CLI_BOOL:
			if (*after == '=')
				return apply(opt, global, spelled, after + 1, set, ctx, g, out,
					     err);
			if (apply(opt, global, spelled, "true", set, ctx, g, out, err) < 0)
				return -1;
			continue; /* -it: the next letter is another flag */
		case SC_CLI_OPTIONAL:
			if (*after == '=')
				after++;
			return apply(opt, global, spelled, *after ? after : opt->implicit, set, ctx,
				     g, out, err);
		case SC_CLI_REQUIRED:
			if (*after == '=')
				after++;
			if (*after != '\0')
				return apply(opt, global, spelled, after, set, ctx, g, out, err);
			if (*i + 1 >= argc)
				return sc_error_make(err, EINVAL,
						     "flag needs an argument: '%c' in %s", c, arg);
			return apply(opt, global, spelled, argv[++*i], set, ctx, g, out, err);
		}
	}
	return 0;
}

int sc_cli_parse(int argc, char *const argv[], int first, const struct sc_cli_option *options,
		 sc_cli_set_fn set, void *ctx, struct sc_global_opts *global,
		 struct sc_cli_result *out, sc_error_t *err)
{
	return sc_cli_parse_until(argc, argv, first, 0, options, set, ctx, global, out, err);
}

int sc_cli_parse_until(int argc, char *const argv[], int first, size_t max_positional,
		       const struct sc_cli_option *options, sc_cli_set_fn set, void *ctx,
		       struct sc_global_opts *global, struct sc_cli_result *out, sc_error_t *err)
{
	*out = (struct sc_cli_result){0};
	push(&out->positional, &out->n_positional, NULL);
	out->n_positional = 0;
	push(&out->rest, &out->n_rest, NULL);
	out->n_rest = 0;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;
		if (strcmp(a, "--") == 0) {
			out->has_dashdash = true;
			for (int k = i + 1; k < argc; k++)
				push(&out->rest, &out->n_rest, argv[k]);
			break;
		} else if (a[0] == '-' && a[1] == '-') {
			r = parse_long_flag(argc, argv, &i, options, set, ctx, global, out, err);
		} else if (a[0] == '-' && a[1] != '\0') {
			r = parse_short_flags(argc, argv, &i, options, set, ctx, global, out, err);
		} else if (max_positional > 0 && out->n_positional == max_positional) {
			for (int k = i; k < argc; k++)
				push(&out->rest, &out->n_rest, argv[k]);
			break;
		} else {
			push(&out->positional, &out->n_positional, a);
		}
		if (r < 0) {
			sc_cli_result_free(out);
			return -1;
		}
	}
	return 0;
}

static void option_left(const struct sc_cli_option *o, char *buf, size_t size)
{
	char shortpart[8] = "    ";
	if (o->short_name)
		snprintf(shortpart, sizeof(shortpart), "-%c, ", o->short_name);
	switch (o->arg) {
	case SC_CLI_BOOL:
		snprintf(buf, size, "  %s--%s", shortpart, o->long_name);
		break;
	case SC_CLI_OPTIONAL:
		snprintf(buf, size, "  %s--%s[=%s]", shortpart, o->long_name,
			 o->value_name ? o->value_name : "VALUE");
		break;
	case SC_CLI_REQUIRED:
		snprintf(buf, size, "  %s--%s=%s", shortpart, o->long_name,
			 o->value_name ? o->value_name : "VALUE");
		break;
	}
}

void sc_cli_print_options(FILE *f, const struct sc_cli_option *options)
{
	size_t width = 0;
	char left[128];
	for (const struct sc_cli_option *o = options; o->long_name != NULL; o++) {
		option_left(o, left, sizeof(left));
		if (strlen(left) > width)
			width = strlen(left);
	}
	for (const struct sc_cli_option *o = options; o->long_name != NULL; o++) {
		option_left(o, left, sizeof(left));
		fprintf(f, "%-*s   ", (int)width, left);
		/* Continuation lines of a long help text line up under it. */
		for (const char *h = o->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%-*s   ", (int)width, "");
		}
		if (o->repeatable)
			fputs(" (repeatable)", f);
		fputc('\n', f);
	}
}

/* ---- durations ---- */

int sc_parse_duration(const char *s, long long *out_ms, sc_error_t *err)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	if (s == NULL || *s == '\0')
		return sc_error_make(err, EINVAL,
				     "invalid duration \"\": expected e.g. 30s, 2m, 1h");
	double total = 0;
	const char *p = s;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		char *end = NULL;
		errno = 0;
		double v = strtod(p, &end);
		if (end == p || errno != 0 || !isfinite(v) || v < 0)
			goto bad;
		p = end;
		size_t ulen = 0;
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		if (ulen == 0)
			return sc_error_make(
			    err, EINVAL,
			    "invalid duration \"%s\": missing unit (ms, s, m or h), "
			    "e.g. 30s",
			    s);
		double mult = 0;
		for (size_t k = 0; k < SC_ARRAY_SIZE(units); k++) {
			if (strlen(units[k].unit) == ulen && strncmp(p, units[k].unit, ulen) == 0)
				mult = units[k].ms;
		}
		if (mult == 0)
			return sc_error_make(
			    err, EINVAL,
			    "invalid duration \"%s\": unknown unit \"%.*s\" (use ms, "
			    "s, m or h)",
			    s, (int)ulen, p);
		total += v * mult;
		p += ulen;
	}
	/* A year is far beyond any wait this tool does; the cap keeps the
	 * arithmetic in range. */
	if (total > 366.0 * 24 * 3600 * 1000)
		return sc_error_make(err, ERANGE, "invalid duration \"%s\": too long", s);
	if (total < 1)
		return sc_error_make(err, EINVAL, "invalid duration \"%s\": must be positive", s);
	*out_ms = (long long)total;
	return 0;
bad:
	return sc_error_make(err, EINVAL, "invalid duration \"%s\": expected e.g. 30s, 2m, 1h", s);
}

void sc_format_duration(long long ms, char *buf, size_t size)
{
	if (ms <= 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (ms < 1000) {
		snprintf(buf, size, "%lldms", ms);
		return;
	}
	long long h = ms / 3600000, m = (ms / 60000) % 60, s = (ms / 1000) % 60, frac = ms % 1000;
	char secs[32];
	if (frac == 0) {
		snprintf(secs, sizeof(secs), "%llds", s);
	} else {
		/* Go prints the fraction without trailing zeros: 1.5s, 1.25s. */
		char f[8];
		snprintf(f, sizeof(f), "%03lld", frac);
		size_t n = strlen(f);
		while (n > 0 && f[n - 1] == '0')
			f[--n] = '\0';
		snprintf(secs, sizeof(secs), "%lld.%ss", s, f);
	}
	if (h > 0)
		snprintf(buf, size, "%lldh%lldm%s", h, m, secs);
	else if (m > 0)
		snprintf(buf, size, "%lldm%s", m, secs);
	else
		snprintf(buf, size, "%s", secs);
}

static int two_digits(const char *p)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int sc_parse_timestamp(const char *s, time_t *out, sc_error_t *err)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (p == NULL)
		goto bad;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int hh = two_digits(p + 1);
		int mm = p[3] == ':' ? two_digits(p + 4) : -1;
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
			goto bad;
		offset = sign * (hh * 3600L + mm * 60L);
		p += 6;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		goto bad;
	*out = t - offset;
	return 0;
bad:
	return sc_error_make(err, EINVAL, "invalid timestamp \"%s\": expected RFC 3339",
			     s ? s : "(null)");
}

void sc_format_age(long long seconds, char *buf, size_t size)
{
	/* A clock skew of a second or two reads as "now", as kubectl does. */
	if (seconds < -1) {
		snprintf(buf, size, "<invalid>");
		return;
	}
	if (seconds < 0)
		seconds = 0;
	if (seconds < 60 * 2) {
		snprintf(buf, size, "%llds", seconds);
		return;
	}
	long long minutes = seconds / 60;
	if (minutes < 10) {
		long long s = seconds % 60;
		if (s == 0)
			snprintf(buf, size, "%lldm", minutes);
		else
			snprintf(buf, size, "%lldm%llds", minutes, s);
		return;
	}
	if (minutes < 60 * 3) {
		snprintf(buf, size, "%lldm", minutes);
		return;
	}
	long long hours = seconds / 3600;
	if (hours < 8) {
		long long m = minutes % 60;
		if (m == 0)
			snprintf(buf, size, "%lldh", hours);
		else
			snprintf(buf, size, "%lldh%lldm", hours, m);
		return;
	}
	if (hours < 48) {
		snprintf(buf, size, "%lldh", hours);
		return;
	}
	if (hours < 24 * 8) {
		long long h = hours % 24;
		if (h == 0)
			snprintf(buf, size, "%lldd", hours / 24);
		else
			snprintf(buf, size, "%lldd%lldh", hours / 24, h);
		return;
	}
	if (hours < 24 * 365 * 2) {
		snprintf(buf, size, "%lldd", hours / 24);
		return;
	}
	if (hours < 24 * 365 * 8) {
		long long dy = (hours / 24) % 365;
		if (dy == 0)
			snprintf(buf, size, "%lldy", hours / 24 / 365);
		else
			snprintf(buf, size, "%lldy%lldd", hours / 24 / 365, dy);
		return;
	}
	snprintf(buf, size, "%lldy", hours / 24 / 365);
}

void sc_format_age_since(const char *timestamp, time_t now, char *buf, size_t size)
{
	time_t t;
	cleanup_error sc_error_t e = NULL;
	if (timestamp == NULL || sc_parse_timestamp(timestamp, &t, &e) < 0) {
		snprintf(buf, size, "<unknown>");
		return;
	}
	sc_format_age((long long)(now - t), buf, size);
}

/* ---- tables ---- */

/* kubectl's tabwriter settings: minimum cell width 6, padding 3. */
#define TABLE_MIN_WIDTH 6
#define TABLE_PADDING   3

void sc_table_init(struct sc_table *t, size_t n_columns)
{
	*t = (struct sc_table){.n_columns = n_columns};
}

void sc_table_add_row(struct sc_table *t, const char *const *cells)
{
	t->cells = sc_xrealloc(t->cells, (t->n_rows + 1) * t->n_columns * sizeof(char *));
	for (size_t c = 0; c < t->n_columns; c++) {
		const char *v = cells[c] ? cells[c] : "";
		/* A cell is one line: a newline or tab would break the columns. */
		char *copy = sc_xstrdup(v);
		for (char *p = copy; *p; p++) {
			if (*p == '\n' || *p == '\t' || *p == '\r')
				*p = ' ';
		}
		t->cells[t->n_rows * t->n_columns + c] = copy;
	}
	t->n_rows++;
}

char *sc_table_render(const struct sc_table *t, bool skip_header)
{
	size_t *width = sc_xzalloc((t->n_columns + 1) * sizeof(size_t));
	size_t first = skip_header ? 1 : 0;
	for (size_t r = first; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_columns; c++) {
			size_t n = strlen(t->cells[r * t->n_columns + c]);
			if (n > width[c])
				width[c] = n;
		}
	}
	struct sc_buf out = SC_BUF_INIT((size_t)-2);
	for (size_t r = first; r < t->n_rows; r++) {
		size_t line_start = out.len;
		for (size_t c = 0; c < t->n_columns; c++) {
			const char *cell = t->cells[r * t->n_columns + c];
			sc_buf_append_str(&out, cell, NULL);
			if (c + 1 == t->n_columns)
				break;
			size_t w = width[c] + TABLE_PADDING;
			if (w < TABLE_MIN_WIDTH)
				w = TABLE_MIN_WIDTH;
			for (size_t k = strlen(cell); k < w; k++)
				sc_buf_append(&out, " ", 1, NULL);
		}
		/* No trailing blanks when the last cells are empty. */
		while (out.len > line_start && out.data[out.len - 1] == ' ')
			out.data[--out.len] = '\0';
		sc_buf_append(&out, "\n", 1, NULL);
	}
	free(width);
	if (out.data == NULL)
		return sc_xstrdup("");
	return sc_buf_steal(&out);
}

void sc_table_free(struct sc_table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (struct sc_table){0};
}

/* ---- validators ---- */

/* digits [. digits*] | . digits+ ; returns the end, or NULL. */
static const char *scan_number(const char *p)
{
	const char *start = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p > start) {
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		return p;
	}
	if (*p != '.' || !isdigit((unsigned char)p[1]))
		return NULL;
	p++;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

bool sc_quantity_valid(const char *s)
{
	if (s == NULL)
		return false;
	const char *p = s;
	if (*p == '+')
		p++;
	p = scan_number(p);
	if (p == NULL)
		return false;
	if (*p == '\0')
		return true;
	static const char *const binary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(binary); i++) {
		if (strcmp(p, binary[i]) == 0)
			return true;
	}
	if (p[1] == '\0' && strchr("numkMGTPE", *p) != NULL)
		return true;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = scan_number(p);
		return p != NULL && *p == '\0';
	}
	return false;
}

bool sc_port_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--") != NULL)
		return false;
	bool letter = false;
	for (size_t i = 0; i < n; i++) {
		if (islower((unsigned char)s[i]))
			letter = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return letter;
}
