/* The pure parts of kubectl-sc: flag parsing, help text, durations, ages,
 * tables and small validators. Nothing here talks to a cluster, so all of it
 * is unit-tested (test/unit/test-kubectl-sc-cli.c).
 *
 * Flags follow kubectl (spf13/pflag) conventions, because kubectl users type
 * them from habit:
 *   --name=value   --name value   -n value   -nvalue
 *   --flag  --flag=true  --flag=false  -f   (booleans; combined: -it)
 *   --          everything after it is passed on untouched (a command)
 * Flags and positional arguments may be interleaved. */
#ifndef SC_KUBECTL_SC_CLI_H
#define SC_KUBECTL_SC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "lib/sc-error.h"

/* Exit codes: 0 done, 1 it failed (the cluster said no, a timeout, not
 * found), 2 the command line was wrong and nothing was changed. */
#define SC_EXIT_OK      0
#define SC_EXIT_FAILURE 1
#define SC_EXIT_USAGE   2

enum sc_cli_arg {
	SC_CLI_BOOL,     /* --flag, --flag=BOOL, -f (may be combined: -it) */
	SC_CLI_REQUIRED, /* --flag=V, --flag V, -f V, -fV */
	SC_CLI_OPTIONAL, /* --flag, --flag=V, -f, -fV; absent value = implicit */
};

struct sc_cli_option {
	int id;
	const char *long_name; /* NULL ends a table */
	char short_name;       /* 0: none */
	enum sc_cli_arg arg;
	const char *value_name; /* in help: --image=IMAGE */
	const char *implicit;   /* SC_CLI_OPTIONAL: the value when none is given */
	const char *help;
	bool repeatable; /* in help: "(repeatable)" */
};

/* Option ids shared by every command; command ids start at SC_OPT_COMMAND. */
enum sc_global_option_id {
	SC_OPT_HELP = 1,
	SC_OPT_NAMESPACE,
	SC_OPT_ALL_NAMESPACES,
	SC_OPT_KUBECONFIG,
	SC_OPT_CONTEXT,
	SC_OPT_VERBOSITY,
	SC_OPT_COMMAND = 100,
};

extern const struct sc_cli_option sc_global_options[];

/* What every command receives: the global flags. Strings are borrowed from
 * argv. */
struct sc_global_opts {
	const char *namespace; /* -n; NULL: the kubeconfig context's, else "default" */
	bool all_namespaces;
	const char *kubeconfig;
	const char *context;
	int verbosity;
};

/* Called for each flag in order; value is the flag's text, for booleans
 * normalised to "true" or "false". Return -1 with *err set to reject it. */
typedef int (*sc_cli_set_fn)(void *ctx, const struct sc_cli_option *opt, const char *value,
			     sc_error_t *err);

struct sc_cli_result {
	const char **positional; /* NULL-terminated, borrowed from argv */
	size_t n_positional;
	const char **rest; /* after "--"; NULL-terminated, borrowed */
	size_t n_rest;
	bool has_dashdash; /* "--" was given (rest may still be empty) */
	bool help;         /* -h/--help was given */
};
void sc_cli_result_free(struct sc_cli_result *r);
void sc_cleanup_cli_resultp(struct sc_cli_result *r);
#define cleanup_cli_result __attribute__((cleanup(sc_cleanup_cli_resultp)))

/* Parse argv[first..argc) against the global table and a command's table
 * (which may be NULL). Global flags are handled here into *global; the
 * command's go to set(ctx, ...). Errors are usage errors (exit 2). */
int sc_cli_parse(int argc, char *const argv[], int first, const struct sc_cli_option *options,
		 sc_cli_set_fn set, void *ctx, struct sc_global_opts *global,
		 struct sc_cli_result *out, sc_error_t *err);
/* The same, but after max_positional positional arguments the next
 * positional word and everything after it are the rest, as if "--" came
 * before it (has_dashdash stays false): `exec NAME ls -la` keeps the
 * command's own flags. 0: no limit (sc_cli_parse). */
int sc_cli_parse_until(int argc, char *const argv[], int first, size_t max_positional,
		       const struct sc_cli_option *options, sc_cli_set_fn set, void *ctx,
		       struct sc_global_opts *global, struct sc_cli_result *out, sc_error_t *err);

/* Go's strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False. */
int sc_cli_parse_bool(const char *what, const char *s, bool *out, sc_error_t *err);

/* The flags of a table as help text, one per line, aligned. */
void sc_cli_print_options(FILE *f, const struct sc_cli_option *options);

/* ---- durations, times, ages ---- */

/* A Go-style duration: "30s", "2m", "1h30m", "500ms", "1.5h". Units: ms, s,
 * m, h. Must be > 0 (a bare "0" is refused too: use a real timeout). */
int sc_parse_duration(const char *s, long long *out_ms, sc_error_t *err);
/* Go's time.Duration.String() for whole milliseconds: "5m0s", "30s", "1h2m3s",
 * "1.5s", "250ms". */
void sc_format_duration(long long ms, char *buf, size_t size);
/* An RFC 3339 timestamp as the API server writes them
 * ("2026-11-28T23:38:55Z", optional fraction, 'Z' or +hh:mm). */
int sc_parse_timestamp(const char *s, time_t *out, sc_error_t *err);
/* kubectl's age (k8s.io/apimachinery duration.HumanDuration): 5s, 3m, 4m30s,
 * 2h, 2h5m, 4d, 4d3h, 1y, ... */
void sc_format_age(long long seconds, char *buf, size_t size);
/* The age of an object from its creationTimestamp, "<unknown>" when absent
 * or unparsable. */
void sc_format_age_since(const char *timestamp, time_t now, char *buf, size_t size);

/* ---- tables ---- */

/* A kubectl-style table: upper-case headers, columns separated by at least
 * three spaces (Go's tabwriter with kubectl's settings), no trailing spaces. */
struct sc_table {
	size_t n_columns;
	size_t n_rows; /* including the header row */
	char **cells;  /* n_rows * n_columns, owned */
};
void sc_table_init(struct sc_table *t, size_t n_columns);
/* Add a row of n_columns cells; NULL or "" cells are shown as empty. */
void sc_table_add_row(struct sc_table *t, const char *const *cells);
/* The whole table, each line ending in '\n'. Without the header row when
 * skip_header (kubectl's --no-headers). */
char *sc_table_render(const struct sc_table *t, bool skip_header);
void sc_table_free(struct sc_table *t);

/* ---- validators for flags ---- */

/* A Kubernetes resource quantity, non-negative ("500m", "1", "256Mi",
 * "1.5Gi", "2e3"), as the CRD's schema pattern. */
bool sc_quantity_valid(const char *s);
/* An IANA service name as Kubernetes wants for port names: 1-15 of
 * [a-z0-9-], at least one letter, no leading, trailing or double '-'. */
bool sc_port_name_valid(const char *s);

#endif
