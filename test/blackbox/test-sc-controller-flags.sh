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

out=$("$bin" --help)
if [[ $out == *"--exec-image-pull-policy P"* ]]; then
	ok "--help lists --exec-image-pull-policy"
else
	notok "--help lists --exec-image-pull-policy" "$out"
fi

echo "1..$n"
((fails == 0))
