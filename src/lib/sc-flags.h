/* A daemon's command line over a table: getopt_long with the table's long
 * options, string flags stored where the table says, the others handed to
 * the daemon's own function; an unknown flag or a stray argument prints the
 * usage to stderr and asks for exit status 2. Also the log settings both
 * daemons take from a flag or the environment. */
#ifndef SC_FLAGS_H
#define SC_FLAGS_H

#include <stddef.h>

/* A step's outcome: go on, or exit with a status (0, 1, 2). */
#define SC_FLAGS_CONTINUE (-1)

struct sc_flag {
	const char *name; /* the long name, without "--" */
	int has_arg;      /* no_argument or required_argument (getopt.h) */
	int id;           /* a short option's letter (-v), or >= 256: long only */
	const char **str; /* a string flag: its argument is stored here; else NULL */
};

/* A flag without str: SC_FLAGS_CONTINUE, or the exit status. */
typedef int (*sc_flag_fn)(void *data, int id, char *arg);

/* The ids of the flags both daemons take. sc_flags_parse answers -h/--help
 * (the usage on stdout, exit 0) and --version ("PROGRAM VERSION", exit 0)
 * itself; -v and --log-format go to the daemon's function. */
#define SC_FLAG_HELP       'h'
#define SC_FLAG_VERBOSITY  'v'
#define SC_FLAG_VERSION    0x7000
#define SC_FLAG_LOG_FORMAT 0x7001

/* Those flags, last in a daemon's table (getopt.h's required_argument and
 * no_argument). */
/* clang-format off */
#define SC_FLAGS_COMMON                                                    \
	{"log-format", required_argument, SC_FLAG_LOG_FORMAT, NULL},       \
	{"v", required_argument, SC_FLAG_VERBOSITY, NULL},                 \
	{"help", no_argument, SC_FLAG_HELP, NULL},                         \
	{"version", no_argument, SC_FLAG_VERSION, NULL}
/* clang-format on */

/* Every flag of argv, by the table flags[n] (program prefixes the messages):
 * SC_FLAGS_CONTINUE once all are taken, else the exit status (what other
 * returned, or 2 for an unknown flag or an argument). */
int sc_flags_parse(int argc, char **argv, const char *program, const char *usage,
		   const struct sc_flag *flags, size_t n, sc_flag_fn other, void *data);

/* The log format as asked, by --log-format (from is "--log-format") or
 * SC_LOG_FORMAT: an empty variable is unset, an empty flag is a mistake.
 * SC_FLAGS_CONTINUE, or 2 after saying what is wrong. */
int sc_flags_log_format(const char *program, const char *format, const char *from);

#endif
