/* kubectl sc completion bash|zsh|fish|powershell, kubectl sc help [COMMAND], and the hidden
 * `__complete` that both shell scripts and kubectl itself call.
 *
 * kubectl (1.26 and later) completes `kubectl sc <TAB>` by running an
 * executable named kubectl_complete-sc with the words after "sc" (the last
 * one being the word under the cursor), and reads candidates one per line,
 * then ":DIRECTIVE" (cobra's protocol). We install such a script, and our own
 * bash and zsh scripts use the same command, so there is one source of
 * candidates. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"

/* cobra's ShellCompDirective bits. */
#define DIRECTIVE_DEFAULT      0 /* the shell may complete file names */
#define DIRECTIVE_NO_FILE_COMP 4

static const char bash_script[] =
    "# bash completion for kubectl-sc; load with: source <(kubectl sc completion bash)\n"
    "# (`kubectl sc <TAB>` itself goes through kubectl_complete-sc, installed beside\n"
    "# kubectl-sc, with kubectl 1.26 or later.)\n"
    "_kubectl_sc() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} out directive line\n"
    "\tlocal -a cands=()\n"
    "\tout=$(kubectl-sc __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\" 2>/dev/null) || return\n"
    "\twhile IFS= read -r line; do\n"
    "\t\tcase $line in\n"
    "\t\t:*) directive=${line#:} ;;\n"
    "\t\t*) cands+=(\"${line%%$'\\t'*}\") ;;\n"
    "\t\tesac\n"
    "\tdone <<<\"$out\"\n"
    "\tif ((${#cands[@]} > 0)); then\n"
    "\t\tmapfile -t COMPREPLY < <(compgen -W \"${cands[*]}\" -- \"$cur\")\n"
    "\telif (((${directive:-0} & 4) == 0)); then\n"
    "\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
    "\tfi\n"
    "}\n"
    "complete -F _kubectl_sc kubectl-sc\n";

static const char zsh_script[] =
    "#compdef kubectl-sc\n"
    "# zsh completion for kubectl-sc; load with: source <(kubectl sc completion zsh)\n"
    "# (`kubectl sc <TAB>` itself goes through kubectl_complete-sc, installed beside\n"
    "# kubectl-sc, with kubectl 1.26 or later.)\n"
    "_kubectl_sc() {\n"
    "\tlocal out directive\n"
    "\tlocal -a lines cands\n"
    "\tout=$(kubectl-sc __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null) || return\n"
    "\tlines=(\"${(@f)out}\")\n"
    "\tdirective=${lines[-1]#:}\n"
    "\tcands=(\"${(@)lines[1,-2]%%$'\\t'*}\")\n"
    "\tif (( ${#cands} )); then\n"
    "\t\tcompadd -- \"${cands[@]}\"\n"
    "\telif (( (directive & 4) == 0 )); then\n"
    "\t\t_files\n"
    "\tfi\n"
    "}\n"
    "if (( $+functions[compdef] )); then\n"
    "\tcompdef _kubectl_sc kubectl-sc\n"
    "fi\n";

static const char fish_script[] =
    "# fish completion for kubectl-sc; load with: kubectl sc completion fish | source\n"
    "# (`kubectl sc <TAB>` itself goes through kubectl_complete-sc, installed beside\n"
    "# kubectl-sc, with kubectl 1.26 or later.)\n"
    "function __kubectl_sc_complete\n"
    "    set -l words (commandline -opc)\n"
    "    set -e words[1]\n"
    "    set -l cur (commandline -ct)\n"
    "    set -l out (kubectl-sc __complete $words \"$cur\" 2>/dev/null)\n"
    "    or return\n"
    "    set -l directive 0\n"
    "    set -l cands\n"
    "    for line in $out\n"
    "        if string match -q -- ':*' $line\n"
    "            set directive (string sub -s 2 -- $line)\n"
    "        else\n"
    "            set -a cands (string split -m 1 \\t -- $line)[1]\n"
    "        end\n"
    "    end\n"
    "    if test (count $cands) -gt 0\n"
    "        printf '%s\\n' $cands\n"
    "    else if test \"$directive\" != 4\n"
    "        __fish_complete_path \"$cur\"\n"
    "    end\n"
    "end\n"
    "complete -c kubectl-sc -f -a '(__kubectl_sc_complete)'\n";

/* Windows PowerShell and PowerShell before 7.3 drop an empty argument on
 * the way to a native command; '""' is how an empty word gets there. */
static const char powershell_script[] =
    "# PowerShell completion for kubectl-sc; load with:\n"
    "#   kubectl sc completion powershell | Out-String | Invoke-Expression\n"
    "# (`kubectl sc <TAB>` itself goes through kubectl_complete-sc, installed beside\n"
    "# kubectl-sc, with kubectl 1.26 or later.)\n"
    "Register-ArgumentCompleter -Native -CommandName 'kubectl-sc' -ScriptBlock {\n"
    "    param($WordToComplete, $CommandAst, $CursorPosition)\n"
    "    $words = @($CommandAst.CommandElements |\n"
    "        Where-Object { $_.Extent.EndOffset -le $CursorPosition } |\n"
    "        ForEach-Object { $_.ToString() })\n"
    "    $words = @($words | Select-Object -Skip 1)\n"
    "    if ($WordToComplete -ne '' -and $words.Count -gt 0) {\n"
    "        $words = @($words | Select-Object -SkipLast 1)\n"
    "    }\n"
    "    $cur = $WordToComplete\n"
    "    if ($cur -eq '' -and $PSVersionTable.PSVersion -lt [version]'7.3') { $cur = '\"\"' }\n"
    "    $out = @(& kubectl-sc __complete @words $cur 2>$null)\n"
    "    $directive = 0\n"
    "    $cands = @()\n"
    "    foreach ($line in $out) {\n"
    "        if ($line.StartsWith(':')) { $directive = [int]$line.Substring(1) }\n"
    "        else { $cands += ($line -split \"`t\", 2)[0] }\n"
    "    }\n"
    "    # Nothing: an empty string keeps PowerShell from completing file names\n"
    "    # (directive 4, NoFileComp); no output at all lets it.\n"
    "    if ($cands.Count -eq 0) {\n"
    "        if (($directive -band 4) -ne 0) { '' }\n"
    "        return\n"
    "    }\n"
    "    foreach ($c in $cands) {\n"
    "        [System.Management.Automation.CompletionResult]::new($c, $c, 'ParameterValue', $c)\n"
    "    }\n"
    "}\n";

static const struct {
	const char *shell;
	const char *script;
} scripts[] = {
    {"bash", bash_script},
    {"zsh", zsh_script},
    {"fish", fish_script},
    {"powershell", powershell_script},
};

static int run_completion(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_global_opts g = {0};
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_cli_parse(argc, argv, 1, NULL, NULL, NULL, &g, &res, &err);
	if (r == 0 && !res.help && res.n_positional != 1)
		r = sc_error_make(&err, EINVAL,
				  "expected one shell: bash, zsh, fish or powershell");
	const char *script = NULL;
	for (size_t i = 0; r == 0 && !res.help && i < SC_ARRAY_SIZE(scripts); i++) {
		if (strcmp(res.positional[0], scripts[i].shell) == 0)
			script = scripts[i].script;
	}
	if (r == 0 && !res.help && script == NULL)
		r = sc_error_make(
		    &err, EINVAL,
		    "unsupported shell \"%s\": expected bash, zsh, fish or powershell",
		    res.positional[0]);
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	fputs(script, stdout);
	return SC_EXIT_OK;
}

const struct sc_command sc_cmd_completion = {
    .name = "completion",
    .summary = "Print a shell completion script (bash, zsh, fish or powershell)",
    .usage = "completion bash|zsh|fish|powershell",
    .description =
	"Prints a script that completes kubectl-sc's commands, flags, namespaces and\n"
	"container names. For `kubectl sc <TAB>`, kubectl 1.26+ runs kubectl_complete-sc,\n"
	"which is installed beside kubectl-sc (it must be on PATH too).\n",
    .examples = "  source <(kubectl sc completion bash)\n"
		"  kubectl sc completion zsh > \"${fpath[1]}/_kubectl-sc\"\n"
		"  kubectl sc completion fish | source\n"
		"  kubectl sc completion powershell | Out-String | Invoke-Expression\n",
    .run = run_completion,
};

static int run_help(const struct sc_command *cmd, int argc, char **argv)
{
	struct sc_global_opts g = {0};
	cleanup_cli_result struct sc_cli_result res = {0};
	cleanup_error sc_error_t err = NULL;
	int r = sc_cli_parse(argc, argv, 1, NULL, NULL, NULL, &g, &res, &err);
	if (r == 0 && !res.help && res.n_positional > 1)
		r = sc_error_make(&err, EINVAL, "help takes one COMMAND, got %zu",
				  res.n_positional);
	/* `help --help` (and `help -h`): the help of help. */
	int rc = sc_parse_outcome(cmd, r, &res, &err);
	if (rc >= 0)
		return rc;
	if (res.n_positional == 0) {
		sc_main_help(stdout);
		return SC_EXIT_OK;
	}
	const struct sc_command *c = sc_command_find(res.positional[0]);
	if (c == NULL || c->hidden)
		return sc_usage_error(NULL, "unknown command \"%s\" for \"%s\"", res.positional[0],
				      SC_PROGRAM);
	sc_command_help(c, stdout);
	return SC_EXIT_OK;
}

const struct sc_command sc_cmd_help = {
    .name = "help",
    .summary = "Help about a command",
    .usage = "help [COMMAND]",
    .description = "Prints the list of commands, or the help of COMMAND (the same as\n"
		   "`kubectl sc COMMAND --help`).\n",
    .examples = "  kubectl sc help\n"
		"  kubectl sc help create\n",
    .run = run_help,
};

/* ---- __complete ---- */

static const struct sc_cli_option *find_option(const struct sc_cli_option *table, const char *word)
{
	for (const struct sc_cli_option *o = table; o != NULL && o->long_name != NULL; o++) {
		if (word[1] == '-' ? strcmp(word + 2, o->long_name) == 0
				   : (word[1] == o->short_name && word[2] == '\0'))
			return o;
	}
	return NULL;
}

static void candidate(const char *cur, const char *word)
{
	if (sc_str_has_prefix(word, cur))
		printf("%s\n", word);
}

static void names_from_list(const json_t *list, const char *cur)
{
	size_t i;
	json_t *item;
	json_array_foreach (json_object_get(list, "items"), i, item) {
		const char *name = sc_json_name(item);
		if (name != NULL)
			candidate(cur, name);
	}
}

/* Names from the cluster, best effort and quick: a completion must never
 * hang the shell or print errors into it. */
static void complete_from_cluster(const struct sc_global_opts *g,
				  const struct sc_kube_resource *res, const char *cur)
{
	struct sc_session s;
	cleanup_error sc_error_t err = NULL;
	if (sc_session_open(g, &s, &err) < 0)
		return;
	struct sc_kube_list_options lo = {.limit = 500};
	cleanup_json json_t *list = NULL;
	if (sc_kube_list(s.client, res, res->namespaced ? s.ns : NULL, &lo, &list, &err) == 0)
		names_from_list(list, cur);
	sc_session_close(&s);
}

/* What the words before the cursor say: the global flags seen, the command,
 * how many positional words it has, a flag still waiting for its value. */
struct words {
	struct sc_global_opts g;
	const struct sc_command *cmd;
	bool after_dashdash;
	int positionals;
	const struct sc_cli_option *pending;
};

static void take_flag(struct words *ws, const char *w)
{
	const char *eq = strchr(w, '=');
	cleanup_free char *flag = eq ? sc_xstrndup(w, (size_t)(eq - w)) : sc_xstrdup(w);
	const struct sc_cli_option *o = find_option(sc_global_options, flag);
	if (o == NULL && ws->cmd != NULL)
		o = find_option(ws->cmd->options, flag);
	if (o != NULL && o->arg == SC_CLI_REQUIRED && eq == NULL)
		ws->pending = o;
	else if (o != NULL && eq != NULL && o->id == SC_OPT_NAMESPACE)
		ws->g.namespace = eq + 1;
}

static void scan_words(struct words *ws, char **words, int n)
{
	for (int i = 0; i < n; i++) {
		const char *w = words[i];
		if (ws->pending != NULL) {
			if (ws->pending->id == SC_OPT_NAMESPACE)
				ws->g.namespace = w;
			else if (ws->pending->id == SC_OPT_KUBECONFIG)
				ws->g.kubeconfig = w;
			else if (ws->pending->id == SC_OPT_CONTEXT)
				ws->g.context = w;
			ws->pending = NULL;
		} else if (ws->after_dashdash) {
			continue;
		} else if (strcmp(w, "--") == 0) {
			ws->after_dashdash = true;
		} else if (w[0] == '-' && w[1] != '\0') {
			take_flag(ws, w);
		} else if (ws->cmd == NULL) {
			ws->cmd = sc_command_find(w);
		} else {
			ws->positionals++;
		}
	}
}

/* Candidates for the value of a flag; returns the shell directive. */
static int complete_flag_value(struct words *ws, const char *cur)
{
	const struct sc_cli_option *pending = ws->pending;
	if (pending->id == SC_OPT_NAMESPACE) {
		complete_from_cluster(&ws->g, &sc_kube_namespaces, cur);
	} else if (pending->id == SC_OPT_KUBECONFIG) {
		return DIRECTIVE_DEFAULT;
	} else if (strcmp(pending->long_name, "output") == 0) {
		static const char *const formats[] = {"json", "yaml", "wide", "name"};
		for (size_t i = 0; i < SC_ARRAY_SIZE(formats); i++)
			candidate(cur, formats[i]);
	} else if (strcmp(pending->long_name, "container") == 0) {
		candidate(cur, SC_CONTAINER_WORKLOAD);
	} else if (strcmp(pending->long_name, "image-pull-policy") == 0) {
		candidate(cur, "Always");
		candidate(cur, "IfNotPresent");
		candidate(cur, "Never");
	}
	return DIRECTIVE_NO_FILE_COMP;
}

static void complete_flags(const struct sc_command *cmd, const char *cur)
{
	const struct sc_cli_option *tables[] = {cmd ? cmd->options : NULL, sc_global_options};
	for (size_t t = 0; t < SC_ARRAY_SIZE(tables); t++) {
		for (const struct sc_cli_option *o = tables[t]; o && o->long_name; o++) {
			cleanup_free char *f = sc_xasprintf("--%s", o->long_name);
			candidate(cur, f);
		}
	}
}

static void complete_commands(const char *cur)
{
	for (size_t i = 0; sc_commands[i] != NULL; i++) {
		if (!sc_commands[i]->hidden)
			candidate(cur, sc_commands[i]->name);
	}
}

/* Candidates for a word of the command's own; returns the shell directive. */
static int complete_argument(struct words *ws, const char *cur)
{
	const struct sc_command *cmd = ws->cmd;
	if (cmd == &sc_cmd_completion) {
		for (size_t i = 0; ws->positionals == 0 && i < SC_ARRAY_SIZE(scripts); i++)
			candidate(cur, scripts[i].shell);
	} else if (cmd == &sc_cmd_help) {
		if (ws->positionals == 0)
			complete_commands(cur);
	} else if (cmd == &sc_cmd_exec && ws->positionals >= 1) {
		return DIRECTIVE_DEFAULT; /* the command and its arguments */
	} else if (cmd == &sc_cmd_create || cmd == &sc_cmd_version) {
		/* a new name, or nothing */
	} else if (ws->positionals == 0 || cmd == &sc_cmd_delete || cmd == &sc_cmd_list) {
		complete_from_cluster(&ws->g, &sc_kube_stoppablecontainers, cur);
	}
	return DIRECTIVE_NO_FILE_COMP;
}

static int run_complete(const struct sc_command *self, int argc, char **argv)
{
	(void)self;
	/* argv: __complete WORD... CUR */
	/* Nothing may reach the terminal but candidates: a shell prints
	 * whatever a completer writes to stderr right into the command line. */
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	const char *cur = argc >= 2 ? argv[argc - 1] : "";
	struct words ws = {0};
	/* the words before the cursor: argv[1 .. argc-2] */
	if (argc > 2)
		scan_words(&ws, argv + 1, argc - 2);
	int directive = DIRECTIVE_NO_FILE_COMP;
	if (ws.pending != NULL)
		directive = complete_flag_value(&ws, cur);
	else if (ws.after_dashdash)
		directive = DIRECTIVE_DEFAULT;
	else if (cur[0] == '-')
		complete_flags(ws.cmd, cur);
	else if (ws.cmd == NULL)
		complete_commands(cur);
	else
		directive = complete_argument(&ws, cur);
	printf(":%d\n", directive);
	return SC_EXIT_OK;
}

const struct sc_command sc_cmd_complete = {
    .name = "__complete",
    .summary = "Completion candidates for the words given (for shells and kubectl)",
    .usage = "__complete [WORD...] CURRENT",
    .run = run_complete,
    .hidden = true,
};
