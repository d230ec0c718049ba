/* kubectl-sc: finds the command word and hands over to it. Everything else
 * lives in the command files and the shared library. */
#include <stdio.h>
#include <string.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-util.h"

int main(int argc, char **argv)
{
	/* Installed as kubectl_complete-sc too (kubectl's plugin completion):
	 * then every argument is a word to complete. */
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "kubectl_complete-sc") == 0) {
		char **args = sc_xzalloc(((size_t)argc + 2) * sizeof(char *));
		args[0] = (char *)"__complete";
		for (int i = 1; i < argc; i++)
			args[i] = argv[i];
		int rc = sc_cmd_complete.run(&sc_cmd_complete, argc, args);
		free(args);
		return rc;
	}

	int index = 0;
	cleanup_error sc_error_t err = NULL;
	if (sc_find_command(argc, argv, &index, &err) < 0) {
		int rc = sc_usage_error(NULL, "%s", sc_error_message(err));
		return rc;
	}
	if (index == 0) {
		/* No command: help when that is all that was asked for (or
		 * nothing was), else a usage error. */
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") != 0 && strcmp(argv[i], "-h") != 0)
				return sc_usage_error(NULL, "a command is required");
		}
		sc_main_help(stdout);
		return SC_EXIT_OK;
	}
	if (strcmp(argv[index], "--version") == 0) {
		/* The plugin's own version, as `version --client`; the other
		 * flags (-o json) still apply. */
		char **args = sc_xzalloc(((size_t)argc + 2) * sizeof(char *));
		int n = 0;
		args[n++] = (char *)"version";
		args[n++] = (char *)"--client";
		for (int i = 1; i < argc; i++) {
			if (i != index)
				args[n++] = argv[i];
		}
		int rc = sc_cmd_version.run(&sc_cmd_version, n, args);
		free(args);
		fflush(stdout);
		return rc;
	}
	const struct sc_command *cmd = sc_command_find(argv[index]);
	if (cmd == NULL)
		return sc_usage_error(NULL, "unknown command \"%s\" for \"%s\"", argv[index],
				      SC_PROGRAM);
	/* The command sees its own word first, then every other argument in
	 * order: global flags may come before or after the command. */
	char **args = sc_xzalloc(((size_t)argc + 1) * sizeof(char *));
	int n = 0;
	args[n++] = argv[index];
	for (int i = 1; i < argc; i++) {
		if (i != index)
			args[n++] = argv[i];
	}
	int rc = cmd->run(cmd, n, args);
	free(args);
	fflush(stdout);
	return rc;
}
