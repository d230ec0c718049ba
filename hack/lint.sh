#!/usr/bin/env bash
# Style checks: clang-format (the repo's .clang-format) and banned functions.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.c' '*.h')
status=0
if ! clang-format --dry-run --Werror "${files[@]}"; then
	echo "lint: clang-format differs; run: clang-format -i \$(git ls-files '*.c' '*.h')" >&2
	status=1
fi
# Functions with no bound or no error report (see docs/errors.md, STYLE).
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atoll|strtok|gets)\s*\('
if grep -nE "$banned" "${files[@]}"; then
	echo "lint: banned function used (sprintf strcpy strcat atoi atol strtok gets)" >&2
	status=1
fi
# The CRDs are generated; the committed YAML must match the generator.
if ! python3 hack/gen-crds.py --check; then
	status=1
fi
exit $status
