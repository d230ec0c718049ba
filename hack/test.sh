#!/usr/bin/env bash
# Runs every test tier of StoppableContainer, the README's test command.
#
#   hack/test.sh            all tiers
#   hack/test.sh --quick    lint, build and unit tests only (no sanitizers, no cluster)
#
# It installs what it needs (Debian packages) first, so it works on a fresh
# machine. It prints one result line per tier and ends with "N passed, N failed"
# counting every test case; it exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

quick=0
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	-h | --help)
		sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test.sh: unknown argument '$a' (try --help)" >&2
		exit 2
		;;
	esac
done

passed=0
failed=0
failed_tiers=()

# record TIER PASSED FAILED
record() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	if (($3 > 0)); then
		failed_tiers+=("$1")
	fi
	printf '== tier %-22s %4d passed, %d failed\n' "$1" "$2" "$3"
}

# meson_tier NAME BUILDDIR [meson test args...]: count TAP subtests from the log.
meson_tier() {
	local name=$1 dir=$2
	shift 2
	local json="$dir/meson-logs/testlog.json"
	rm -f "$json"
	if ! meson test -C "$dir" --list "$@" >/dev/null 2>&1; then
		echo "== tier $name: no tests defined yet"
		return 0
	fi
	meson test -C "$dir" --print-errorlogs "$@"
	local rc=$?
	if [[ ! -f $json ]]; then
		record "$name" 0 1
		return
	fi
	local p f
	p=$(python3 - "$json" <<'PY'
import json, sys, re
ok = bad = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get("stdout") or ""
    subs = re.findall(r"^(ok|not ok) \d+", out, re.M)
    if t.get("protocol") == "tap" or subs:
        ok += sum(1 for s in subs if s == "ok")
        bad += sum(1 for s in subs if s == "not ok")
        if not subs and t["result"] != "OK":
            bad += 1
    else:
        if t["result"] in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif t["result"] != "SKIP":
            bad += 1
print(ok, bad)
PY
	)
	read -r p f <<<"$p"
	if ((rc != 0 && f == 0)); then f=1; fi
	record "$name" "${p:-0}" "${f:-1}"
}

# shell_tier "SCRIPT [ARGS]": runs a shell suite and counts its closing
# "N passed, N failed" line; a suite that dies without it counts as failed.
shell_tier() {
	echo "== $1"
	local out rc line p f
	out=$(mktemp)
	# shellcheck disable=SC2086
	bash $1 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1)
	rm -f "$out"
	if [[ -n $line ]]; then
		p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	else
		p=0
		f=1
	fi
	if ((rc != 0 && f == 0)); then f=1; fi
	record "$1" "$p" "$f"
}

echo "== installing dependencies"
if ! bash hack/deps.sh; then
	echo "test.sh: installing dependencies failed" >&2
	exit 1
fi

echo "== lint"
if bash hack/lint.sh; then record lint 1 0; else record lint 0 1; fi

echo "== build (gcc, -Werror)"
if { [[ -d build ]] || meson setup build; } && ninja -C build; then
	meson_tier unit build --suite unit
	if [[ $(id -u) -eq 0 ]]; then
		meson_tier kernel build --suite kernel --no-suite unit
	else
		echo "== tier kernel: skipped, needs root (mount namespaces, overlayfs)"
	fi
else
	record build 0 1
fi

if ((quick == 0)); then
	echo "== build (clang, ASan+UBSan)"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	if { [[ -d build-asan ]] || CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false; } &&
		ninja -C build-asan; then
		meson_tier unit-asan build-asan --suite unit
		if [[ $(id -u) -eq 0 ]]; then
			meson_tier kernel-asan build-asan --suite kernel --no-suite unit
		fi
	else
		record build-asan 0 1
	fi

	# The kernel tests again, inside Debian's own kernels (5.10, 6.1, 6.12)
	# booted under QEMU with cgroup v2 only.
	if [[ $(id -u) -eq 0 ]]; then
		shell_tier "test/platform/run.sh build"
	else
		echo "== tier platform: skipped, needs root (the guests run the build's kernel tests)"
		if [[ -n ${CI:-} ]]; then record platform 0 1; fi
	fi

	if [[ -x hack/fuzz.sh ]]; then
		echo "== fuzz smoke"
		if bash hack/fuzz.sh --smoke; then record fuzz-smoke 1 0; else record fuzz-smoke 0 1; fi
	fi

	# Tiers on the project's own real cluster (hack/cluster/): brought up
	# once (a warm machine reuses the cached Kubernetes binaries), shared by
	# every suite, and taken down by the cluster suite's last test.
	echo "== local cluster"
	if hack/cluster/cluster.sh up; then
		eval "$(hack/cluster/cluster.sh env)"
		export KUBECTL=kubectl
		# The plugin suite runs first without the operator (its tests that
		# write a status by hand need no controller acting), then, once the
		# end-to-end suite has deployed the operator, its operator tests.
		# The Helm suite then applies the chart's rendering over the
		# deployed operator (the same objects) and drives one workload.
		suites=(test/crd/run.sh test/integration/run.sh test/plugin/run.sh test/e2e/run.sh
			"test/plugin/run.sh operator" test/helm/run.sh "test/cluster/run.sh --with-down")
		for t in "${suites[@]}"; do
			script=${t%% *}
			[[ -x $script ]] || continue
			shell_tier "$t"
		done
	else
		record cluster-up 0 1
		echo "test.sh: the local cluster did not come up; see /var/log/sc-cluster/" >&2
	fi
fi

echo
if ((failed > 0)); then
	echo "FAILED tiers: ${failed_tiers[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
