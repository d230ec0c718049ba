# shellcheck shell=bash
# Shared helpers for the shell test suites (sourced). Each suite defines its
# tests as functions and calls `run_test NAME FUNCTION`; `finish` prints the
# closing "N passed, N failed" line and returns non-zero on any failure.

t_passed=0
t_failed=0
t_skipped=0
t_failed_names=()

# run_test NAME FUNC [ARGS...]: runs FUNC in a subshell with -e; a non-zero
# exit is a failure whose reason is whatever FUNC printed to stderr.
# With TEST_ONLY set (an extended regular expression), only the tests whose
# function name matches run; the others are listed as skipped and counted as
# skipped in the closing line (hack/test.sh fails a skip under CI).
# Lines a passing test prints that start with "# " are shown (measurements).
run_test() {
	local name=$1
	shift
	if [[ -n ${TEST_ONLY:-} && ! $1 =~ $TEST_ONLY ]]; then
		echo "skip - $name"
		t_skipped=$((t_skipped + 1))
		return 0
	fi
	local out rc
	out=$( (set -e; "$@") 2>&1)
	rc=$?
	if ((rc == 0)); then
		t_passed=$((t_passed + 1))
		echo "ok - $name"
		grep '^# ' <<<"$out" | sed 's/^/    /' || true
	else
		t_failed=$((t_failed + 1))
		t_failed_names+=("$name")
		echo "not ok - $name"
		sed 's/^/    /' <<<"$out"
		# A suite may define on_failure to print what explains it (events,
		# pod logs), so a red CI run explains itself.
		if declare -F on_failure >/dev/null; then
			on_failure 2>&1 | sed 's/^/    | /'
		fi
	fi
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# expect_contains HAYSTACK NEEDLE CONTEXT
expect_contains() {
	if [[ $1 != *"$2"* ]]; then
		echo "expected ${3:-output} to contain: $2" >&2
		echo "got: $1" >&2
		return 1
	fi
}

# wait_until TIMEOUT DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_until() {
	local timeout=$1 what=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			echo "timed out after ${timeout}s waiting for: $what" >&2
			return 1
		fi
		sleep 0.2
	done
}

finish() {
	echo
	if ((t_failed > 0)); then
		echo "failed: ${t_failed_names[*]}"
	fi
	if ((t_skipped > 0)); then
		echo "$t_passed passed, $t_failed failed, $t_skipped skipped"
	else
		echo "$t_passed passed, $t_failed failed"
	fi
	((t_failed == 0))
}
