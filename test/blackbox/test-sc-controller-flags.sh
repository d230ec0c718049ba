#!/usr/bin/env bash
# Black-box tests of sc-controller's command line: bad values are refused
# with exit code 2 and a message naming the flag, before any connection to
# a cluster is attempted. Usage: test-sc-controller-flags.sh PATH. Prints TAP.
set -uo pipefail
bin=$1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; echo "# $2"; }

# refused NAME EXPECTED-MESSAGE ARGS...
refused() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$bin" "$@" 2>&1 </dev/null)
	rc=$?
	if ((rc == 2)) && [[ $out == *"$want"* ]]; then
		ok "$name"
	else
		notok "$name" "exit $rc, output: $out"
	fi
}

refused "an unknown exec image pull policy is refused" \
	'--exec-image-pull-policy must be Always, IfNotPresent or Never, not "always"' \
	--exec-image-pull-policy=always
refused "an empty exec image pull policy is refused" \
	'--exec-image-pull-policy must be' --exec-image-pull-policy=
refused "a negative -v is refused" "-v" -v -1
refused "an unknown flag is refused" "Usage: sc-controller" --no-such-flag
SC_KUBE_QPS=fast refused "a bad SC_KUBE_QPS is refused, naming it" \
	'SC_KUBE_QPS: want a number from 0 to 100000, got "fast"'
SC_LOG_VERBOSITY=11 refused "an out-of-range SC_LOG_VERBOSITY is refused, naming it" \
	'SC_LOG_VERBOSITY: want a number from 0 to 10, got "11"'
SC_WORKERS=0 refused "SC_WORKERS=0 is refused" 'SC_WORKERS: want a number from 1 to 64'
# The flag's own check applies whatever the environment says.
SC_KUBE_BURST=5 refused "a bad --burst is refused even with a good SC_KUBE_BURST" \
	'--burst: want a number from 1' --burst=0

out=$("$bin" --help)
if [[ $out == *"--exec-image-pull-policy P"* ]]; then
	ok "--help lists --exec-image-pull-policy"
else
	notok "--help lists --exec-image-pull-policy" "$out"
fi

echo "1..$n"
((fails == 0))
