#!/usr/bin/env bash
# Style checks: clang-format (the repo's .clang-format), banned functions,
# the shell scripts (shellcheck: warnings and errors), generated CRDs.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.c' '*.h')
status=0
unformatted=()
for f in "${files[@]}"; do
	[[ -f $f ]] || continue
	if ! clang-format "$f" | cmp -s - "$f"; then
		unformatted+=("$f")
	fi
done
if ((${#unformatted[@]})); then
	echo "lint: not clang-formatted: ${unformatted[*]}" >&2
	echo "lint: run: clang-format -i ${unformatted[*]}" >&2
	status=1
fi
# Functions with no bound or no error report (see docs/errors.md, STYLE).
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atoll|strtok|gets)\s*\('
if grep -nE "$banned" "${files[@]}"; then
	echo "lint: banned function used (sprintf strcpy strcat atoi atol strtok gets)" >&2
	status=1
fi
# Shell scripts: warnings and errors (style notes are left to the reader).
mapfile -t scripts < <(git ls-files '*.sh')
if ! shellcheck -x -S warning "${scripts[@]}"; then
	echo "lint: shellcheck found problems in the scripts above" >&2
	status=1
fi
# The CRDs are generated; the committed YAML must match the generator.
if ! python3 hack/gen-crds.py --check; then
	status=1
fi
exit $status
