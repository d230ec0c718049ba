/* kubectl-sc: the kubectl plugin for StoppableContainers.
 *
 * One file per command (create.c, list.c, ...), like crun's src/ directory; each
 * exposes a pure parse function (unit-tested) and a run function. This
 * header has what they share: the command table, the connection to the
 * cluster (a "session"), error reporting, and waiting for a phase. */
#ifndef SC_KUBECTL_SC_H
#define SC_KUBECTL_SC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "kubectl-sc/cli.h"
#include "lib/sc-api.h"
#include "lib/sc-error.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-kubeconfig.h"

#define SC_PROGRAM            "kubectl sc"
#define SC_DEFAULT_TIMEOUT_MS (5LL * 60 * 1000)

struct sc_command {
	const char *name;
	const char *aliases[4]; /* NULL-terminated */
	const char *summary;
	const char *usage; /* after "kubectl sc " */
	const char *description;
	const char *examples;
	const struct sc_cli_option *options; /* NULL or a {0}-terminated table */
	/* argv[0] is the command word; returns an SC_EXIT_* code. */
	int (*run)(const struct sc_command *cmd, int argc, char **argv);
	bool hidden;
};

extern const struct sc_command sc_cmd_create, sc_cmd_list, sc_cmd_status, sc_cmd_start, sc_cmd_stop,
    sc_cmd_restart, sc_cmd_exec, sc_cmd_logs, sc_cmd_delete, sc_cmd_version, sc_cmd_completion,
    sc_cmd_help, sc_cmd_complete;
/* NULL-terminated, in the order help lists them. */
extern const struct sc_command *const sc_commands[];

const struct sc_command *sc_command_find(const char *word);
void sc_command_help(const struct sc_command *cmd, FILE *f);
void sc_main_help(FILE *f);
/* Find the command word in argv, stepping over global flags (and their
 * values) that come before it. *index is 0 when there is none. A
 * "--version" there counts as the command word (main runs version --client). */
int sc_find_command(int argc, char *const argv[], int *index, sc_error_t *err);

/* What to do after a command's parse function: on a usage error print it
 * with "See 'kubectl sc CMD --help' for usage." and return SC_EXIT_USAGE; on
 * -h/--help print the help and return SC_EXIT_OK; else return -1: go on.
 * Parse functions themselves never print, so the unit tests can call them. */
int sc_parse_outcome(const struct sc_command *cmd, int r, const struct sc_cli_result *res,
		     sc_error_t *err);
/* Print "error: MSG" and the usage hint; returns SC_EXIT_USAGE. */
int sc_usage_error(const struct sc_command *cmd, const char *fmt, ...) SC_PRINTF(2, 3);
/* Exactly one positional NAME, a valid object name. */
int sc_one_name(const struct sc_cli_result *res, const char *cmd, sc_error_t *err);
/* -A where it does not apply (a command that changes objects acts in one
 * namespace): a usage error naming the command and what to give instead. */
int sc_no_all_namespaces(const struct sc_global_opts *g, const char *cmd, sc_error_t *err);

/* What sc_parse_in_namespace() allows beyond flags and NAMEs. */
enum {
	SC_PARSE_REFUSE_REST = 1 << 0,        /* "--" refused: CMD takes no command after -- */
	SC_PARSE_ALL_NAMESPACES = 1 << 1,     /* -A allowed: NAME is looked up in every namespace */
	SC_PARSE_COMMAND_AFTER_NAME = 1 << 2, /* the word after NAME starts the command (exec) */
};
/* The parse prologue of the commands that act on objects: sc_cli_parse()
 * from argv[1], then, unless --help was given (res->help: the caller returns
 * 0 and its help is printed), -A refused unless SC_PARSE_ALL_NAMESPACES, and
 * the other flags above. */
int sc_parse_in_namespace(int argc, char **argv, const struct sc_cli_option *options,
			  sc_cli_set_fn set, void *ctx, struct sc_global_opts *g, unsigned flags,
			  struct sc_cli_result *res, sc_error_t *err);

/* ---- output formats ---- */

enum sc_output {
	SC_OUTPUT_DEFAULT = 0,
	SC_OUTPUT_WIDE,
	SC_OUTPUT_JSON,
	SC_OUTPUT_YAML,
	SC_OUTPUT_NAME,
};
/* allowed: a bit per enum value. */
int sc_parse_output(const char *s, unsigned allowed, enum sc_output *out, sc_error_t *err);
#define SC_OUTPUT_BIT(o) (1u << (o))
/* Print an object (or a List) as JSON (4-space indent, sorted keys, as
 * kubectl) or YAML. Like kubectl it leaves out metadata.managedFields (which
 * it deletes from obj). */
int sc_print_object(FILE *f, json_t *obj, enum sc_output fmt, sc_error_t *err);

/* ---- the connection to the cluster ---- */

struct sc_session {
	const struct sc_global_opts *g;
	struct sc_kube_config *cfg;
	struct sc_kube_client *client;
	const char *ns; /* -n, else the context's namespace, else "default" */
	char *ns_found; /* -A: the namespace NAME was found in (s->ns points here) */
};

/* Load the kubeconfig and make a client. */
int sc_session_open(const struct sc_global_opts *g, struct sc_session *s, sc_error_t *err);
void sc_session_close(struct sc_session *s);
void sc_cleanup_sessionp(struct sc_session *s);
#define cleanup_session __attribute__((cleanup(sc_cleanup_sessionp)))

/* Plain debug lines on stderr at -v >= level. */
void sc_debug(int level, const char *fmt, ...) SC_PRINTF(2, 3);

/* True for a failure to talk to the server at all (refused, DNS, TLS,
 * timeout), as opposed to an answer from it. */
bool sc_error_is_unreachable(const sc_error_t err);
/* Print the error as one line on stderr ("error: ..."), a transport failure
 * as "cannot reach the Kubernetes API server at ..."; releases it. Returns
 * SC_EXIT_FAILURE. s may be NULL. */
int sc_report_error(const struct sc_session *s, sc_error_t *err);

/* GET the StoppableContainer. On 404: `stoppablecontainer "x" not found in
 * namespace "y"` (still a 404 error), or, when the group itself is missing,
 * that the CRDs are not installed. */
int sc_get_container(struct sc_session *s, const char *name, json_t **out, sc_error_t *err);
/* -A with a NAME: find the one namespace that has a StoppableContainer NAME
 * and make it the session's. None: not found "in any namespace"; several:
 * an error listing them (pick one with -n). */
int sc_find_namespace(struct sc_session *s, const char *name, sc_error_t *err);
/* Turn a 404 from a request about NAME into the messages above. */
int sc_not_found_error(struct sc_session *s, const char *name, sc_error_t *err);
/* The second half alone: on a 404 whose cause is the missing API group,
 * replace *err with "install the CRDs" and return 1; else 0. */
int sc_api_missing_error(struct sc_session *s, sc_error_t *err);

/* ---- waiting for a phase ---- */

enum sc_wait_target {
	SC_WAIT_RUNNING,
	SC_WAIT_STOPPED,
	SC_WAIT_DELETED,
};

enum sc_wait_verdict {
	SC_WAIT_NOT_YET,
	SC_WAIT_REACHED,
	SC_WAIT_FAILED,
};

/* Pure: where obj stands with respect to target. A phase counts only when the
 * status describes at least `generation` (status.observedGeneration; a
 * status without it is taken as current), so a stale "Running" right after a
 * stop is not mistaken for the answer. */
enum sc_wait_verdict sc_wait_check(const json_t *obj, enum sc_wait_target target,
				   long long generation);
const char *sc_wait_target_phase(enum sc_wait_target target);

struct sc_wait_options {
	const char *name;
	enum sc_wait_target target;
	long long generation; /* 0: any */
	long long timeout_ms;
	FILE *progress; /* "phase: X" lines as they happen; NULL: silent */
};

/* Watch the object until the target is reached (0), it fails, it is deleted
 * (for a phase target) or the timeout passes (-1, with the status message
 * in the error). initial is the object as last seen (may be NULL: GET). */
int sc_wait(struct sc_session *s, const struct sc_wait_options *o, const json_t *initial,
	    sc_error_t *err);

/* ---- per-command pure parts (unit-tested) ---- */

struct sc_port {
	long number;
	const char *name; /* NULL: none */
};

enum sc_dry_run {
	SC_DRY_RUN_NONE = 0,
	SC_DRY_RUN_CLIENT, /* print the object, send nothing */
	SC_DRY_RUN_SERVER, /* send it with dryRun=All: the server checks, stores nothing */
};

struct sc_label {
	const char *key; /* owned copies */
	const char *value;
};

struct sc_create_opts {
	struct sc_global_opts g;
	const char *name;
	const char *image;
	const char **env; /* "KEY=VALUE", borrowed */
	size_t n_env;
	struct sc_port *ports;
	size_t n_ports;
	const char *workdir;
	const char *cpu, *memory, *cpu_limit, *memory_limit;
	const char *pull_policy;
	bool running;
	int stdin_mode; /* -1: decide from the command; 0/1: as given */
	int tty_mode;
	const char *const *command; /* after "--", borrowed */
	size_t n_command;
	bool wait;
	long long timeout_ms;
	enum sc_output output;
	enum sc_dry_run dry_run;
	struct sc_label *labels; /* --labels, in order; keys unique */
	size_t n_labels;
};
int sc_create_parse(int argc, char **argv, struct sc_create_opts *o, struct sc_cli_result *res,
		    sc_error_t *err);
void sc_create_opts_free(struct sc_create_opts *o);
/* --labels "k=v,k2=v2": label keys (an optional DNS-subdomain prefix and a
 * name) and values as Kubernetes wants them; no key twice; none under our
 * own prefix (stoppablecontainer.xtlsoft.top/, the operator's). Appends to
 * o->labels. */
int sc_parse_labels(const char *value, struct sc_create_opts *o, sc_error_t *err);
/* Is this command an interactive shell (needs stdin and a tty to stay up)? */
bool sc_command_is_interactive_shell(const char *const *command, size_t n);
/* The StoppableContainer to create (namespace may be NULL: left out). */
json_t *sc_create_object(const struct sc_create_opts *o, const char *ns);

struct sc_list_opts {
	struct sc_global_opts g;
	enum sc_output output;
	const char *selector;
	bool no_headers;
};
int sc_list_parse(int argc, char **argv, struct sc_list_opts *o, struct sc_cli_result *res,
		  sc_error_t *err);
/* The table for a StoppableContainerList (items), as list prints it. */
char *sc_list_render(const json_t *items, bool with_namespace, bool wide, bool no_headers,
		     time_t now);

struct sc_status_opts {
	struct sc_global_opts g;
	enum sc_output output;
};
int sc_status_parse(int argc, char **argv, struct sc_status_opts *o, struct sc_cli_result *res,
		    sc_error_t *err);
/* The human summary (events may be NULL). */
char *sc_status_render(const json_t *obj, const json_t *events, bool wide, time_t now);

struct sc_power_opts {
	struct sc_global_opts g;
	bool wait;
	long long timeout_ms;
};
int sc_power_parse(int argc, char **argv, struct sc_power_opts *o, struct sc_cli_result *res,
		   sc_error_t *err);

struct sc_exec_opts {
	struct sc_global_opts g;
	bool is_logs;
	/* exec */
	bool stdin, tty;
	/* logs */
	bool follow, timestamps, previous;
	long tail;             /* -1: all */
	const char *container; /* -c; NULL: the workload's */
	const char *since;
	long long pod_running_timeout_ms;
};
int sc_exec_parse(bool is_logs, int argc, char **argv, struct sc_exec_opts *o,
		  struct sc_cli_result *res, sc_error_t *err);
/* -c NAME: the workload container is the only one a user can reach. It is
 * "workload" in the pod, and the template may give it a name of its own
 * (spec.template.container.name, or the name of the one container of a
 * Pod-shaped template, spec.template.spec.containers); either is accepted,
 * anything else is refused with the names that are. */
int sc_exec_check_container(const json_t *obj, const char *container, sc_error_t *err);
/* The kubectl command line exec/logs run (NULL-terminated, owned). */
char **sc_exec_kubectl_argv(const struct sc_exec_opts *o, const char *kubectl, const char *ns,
			    const char *pod, const char *const *command, size_t n_command);

struct sc_delete_opts {
	struct sc_global_opts g;
	bool force, wait, ignore_not_found;
	long long timeout_ms;
};
int sc_delete_parse(int argc, char **argv, struct sc_delete_opts *o, struct sc_cli_result *res,
		    sc_error_t *err);

#endif
