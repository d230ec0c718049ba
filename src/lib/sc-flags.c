#include "lib/sc-flags.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sc-log.h"
#include "lib/sc-util.h"

/* The flag of id in flags[n], or NULL. */
static const struct sc_flag *flag_of(const struct sc_flag *flags, size_t n, int id)
{
	for (size_t i = 0; i < n; i++) {
		if (flags[i].id == id)
			return &flags[i];
	}
	return NULL;
}

int sc_flags_parse(int argc, char **argv, const char *program, const char *usage,
		   const struct sc_flag *flags, size_t n, sc_flag_fn other, void *data)
{
	cleanup_free struct option *longopts = sc_xzalloc((n + 1) * sizeof(*longopts));
	cleanup_free char *shortopts = sc_xzalloc(2 * n + 1);
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		longopts[i] = (struct option){flags[i].name, flags[i].has_arg, NULL, flags[i].id};
		if (flags[i].id < 256) {
			shortopts[len++] = (char)flags[i].id;
			if (flags[i].has_arg == required_argument)
				shortopts[len++] = ':';
		}
	}
	int c, r;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct sc_flag *flag = flag_of(flags, n, c);
		if (flag == NULL) {
			fputs(usage, stderr);
			return 2;
		}
		if (flag->str != NULL) {
			*flag->str = optarg;
			continue;
		}
		if (c == SC_FLAG_HELP) {
			fputs(usage, stdout);
			return 0;
		}
		if (c == SC_FLAG_VERSION) {
			printf("%s %s\n", program, SC_VERSION);
			return 0;
		}
		if ((r = other(data, c, optarg)) != SC_FLAGS_CONTINUE)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n%s", program, argv[optind], usage);
		return 2;
	}
	return SC_FLAGS_CONTINUE;
}

int sc_flags_log_format(const char *program, const char *format, const char *from)
{
	if (format != NULL && (*format != '\0' || strcmp(from, "--log-format") == 0) &&
	    sc_log_set_format(format) < 0) {
		fprintf(stderr, "%s: %s must be json or text, not \"%s\"\n", program, from, format);
		return 2;
	}
	return SC_FLAGS_CONTINUE;
}
