#!/usr/bin/env bash
# docs/configuration.md stays true to the daemons' --help: for each binary,
# every flag and environment variable its --help names appears in the page's
# section for it ("## NAME"), and every flag that section names is one --help
# lists. Usage: test-docs-flags.sh CONFIGURATION.md BINARY... Prints TAP.
set -uo pipefail
doc=$1
shift
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; echo "# $2"; }

# flags TEXT: the long and short flags named in TEXT, one a line.
flags() { grep -oE '(^|[^a-z0-9-])--?[a-z][a-z0-9-]*' <<<"$1" | sed -E 's/^[^-]//' | sort -u; }
# envs TEXT: the environment variables ($NAME, or NAME_WITH_UNDERSCORES).
envs() { grep -oE '\$[A-Z][A-Z0-9_]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b' <<<"$1" | tr -d '$' | sort -u; }

for bin in "$@"; do
	name=$(basename "$bin")
	help=$("$bin" --help 2>&1)
	section=$(awk -v h="## $name" '$0 == h {on = 1; next} on && /^## / {on = 0} on' "$doc")
	if [[ -z $section ]]; then
		notok "$doc has a section \"## $name\"" "no such section"
		continue
	fi
	[[ -n $(flags "$help") ]] || notok "$name --help lists flags" "$help"
	missing=()
	while IFS= read -r f; do
		[[ -n $f ]] || continue
		grep -qF -- "\`$f" <<<"$section" || missing+=("$f")
	done < <(flags "$help")
	if ((${#missing[@]} == 0)); then
		ok "$doc names every flag of $name --help"
	else
		notok "$doc names every flag of $name --help" "missing: ${missing[*]}"
	fi
	missing=()
	while IFS= read -r e; do
		[[ -n $e ]] || continue
		grep -qF -- "$e" <<<"$section" || missing+=("$e")
	done < <(envs "$help")
	if ((${#missing[@]} == 0)); then
		ok "$doc names every environment variable of $name --help"
	else
		notok "$doc names every environment variable of $name --help" "missing: ${missing[*]}"
	fi
	stale=()
	have=$(flags "$help")
	while IFS= read -r f; do
		[[ -n $f ]] || continue
		grep -qxF -- "$f" <<<"$have" || stale+=("$f")
	done < <(flags "$(grep -oE '`[^`]*`' <<<"$section")")
	if ((${#stale[@]} == 0)); then
		ok "every flag $doc names for $name is in its --help"
	else
		notok "every flag $doc names for $name is in its --help" "not in --help: ${stale[*]}"
	fi
done
echo "1..$n"
((fails == 0))
