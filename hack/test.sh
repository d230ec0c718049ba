#!/usr/bin/env bash
# Runs every test tier of StoppableContainer, the README's test command.
#
#   hack/test.sh            all tiers
#   hack/test.sh --quick    lint, build and unit tests only (no sanitizers, no cluster)
#
# It installs what it needs (Debian packages) first, so it works on a fresh
# machine. It prints one result line per tier and a summary, and ends with
# "N passed, N failed" counting every test case; it exits non-zero if anything
# failed. A test that did not run is never a pass: with CI set, every skip is a
# failure (CI installs and starts everything every tier needs); otherwise skips
# are listed by name and the last line says ", N skipped". See docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=lib/image.sh
source hack/lib/image.sh
quick=0
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	-h | --help)
		sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
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
skipped=0
failed_tiers=()
skipped_names=()
failure_notes=()
summary=()
tier_t0=$SECONDS
ci=0
[[ -n ${CI:-} ]] && ci=1

# begin: start a tier's clock.
begin() { tier_t0=$SECONDS; }

# record TIER PASSED FAILED [SKIPPED]: adds a tier's counts. With CI set a
# skip counts as a failure.
record() {
	local name=$1 p=$2 f=$3 s=${4:-0} secs=$((SECONDS - tier_t0))
	if ((ci && s > 0)); then
		echo "== tier $name: $s skipped; in CI a test that did not run is a failure"
		f=$((f + s))
		s=0
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if ((f > 0)); then
		failed_tiers+=("$name")
	fi
	local line
	line=$(printf '%-26s %4d passed, %d failed, %d skipped %5ds' "$name" "$p" "$f" "$s" "$secs")
	summary+=("$line")
	echo "== tier $line"
	tier_t0=$SECONDS
}

# not_run TIER WHY: a tier this machine cannot run (a skip; a failure in CI).
not_run() {
	echo "== tier $1: not run: $2"
	skipped_names+=("$1 (not run: $2)")
	record "$1" 0 0 1
}

# meson_tier NAME BUILDDIR [meson test args...]: counts TAP results (ok, not
# ok, "# SKIP", "1..0 # SKIP", missing results) and exit-code tests from
# meson's JSON log. A suite that lists no test is a failure.
meson_tier() {
	local name=$1 dir=$2
	shift 2
	begin
	local json="$dir/meson-logs/testlog.json" listed
	rm -f "$json"
	listed=$(meson test -C "$dir" --list "$@" 2>/dev/null | grep -c ' / ')
	if ((listed == 0)); then
		echo "== tier $name: meson lists no test for: $*"
		record "$name" 0 1
		return
	fi
	meson test -C "$dir" --print-errorlogs "$@"
	local rc=$?
	if [[ ! -f $json ]]; then
		record "$name" 0 1
		return
	fi
	local counts p f s names
	names=$(mktemp)
	counts=$(python3 - "$json" "$names" <<'PY'
import json, re, sys
ok = bad = skip = 0
notes = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    name, result = t["name"], t["result"]
    out = t.get("stdout") or ""
    if re.search(r"^(TAP version \d+|1\.\.\d+)", out, re.M):
        results = re.findall(r"^(?:not ok|ok)\b.*$", out, re.M)
        bad_before = bad
        for r in results:
            if r.startswith("not ok"):
                bad += 1
                notes.append("FAIL " + name + ": " + r)
            elif re.search(r"#\s*skip", r, re.I):
                skip += 1
                notes.append("SKIP " + name + ": " + r)
            else:
                ok += 1
        plan = re.search(r"^1\.\.(\d+)(.*)$", out, re.M)
        if plan is None:
            bad += 1
            notes.append("FAIL " + name + ": no TAP plan")
        elif int(plan.group(1)) == 0:
            skip += 1
            notes.append("SKIP " + name + ": 1..0" + plan.group(2))
        elif len(results) < int(plan.group(1)):
            bad += int(plan.group(1)) - len(results)
            notes.append("FAIL %s: %d of %s planned results" % (name, len(results), plan.group(1)))
        if bad == bad_before and result not in ("OK", "SKIP", "EXPECTEDFAIL"):
            bad += 1
            notes.append("FAIL " + name + ": " + result)
    elif result in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif result == "SKIP":
        skip += 1
        notes.append("SKIP " + name)
    else:
        bad += 1
        notes.append("FAIL " + name + ": " + result)
with open(sys.argv[2], "w") as f:
    f.write("\n".join(notes) + ("\n" if notes else ""))
print(ok, bad, skip)
PY
	)
	read -r p f s <<<"$counts"
	grep -E '^(FAIL|SKIP) ' "$names" | sed 's/^/   /'
	while IFS= read -r l; do failure_notes+=("$name: $l"); done < <(grep '^FAIL ' "$names" | tail -n 12)
	while IFS= read -r l; do skipped_names+=("$name: ${l#SKIP }"); done < <(grep '^SKIP ' "$names")
	rm -f "$names"
	if ((rc != 0 && ${f:-0} == 0)); then f=1; fi
	record "$name" "${p:-0}" "${f:-1}" "${s:-0}"
}

# shell_tier "SCRIPT [ARGS]" [LABEL]: runs a shell suite and counts its
# closing "N passed, N failed[, N skipped]" line. A missing script, a suite
# that dies without that line, and one that ran no test are failures.
shell_tier() {
	local label=${2:-$1} script=${1%% *}
	begin
	echo "== $label"
	if [[ ! -f $script ]]; then
		echo "== tier $label: $script is missing"
		record "$label" 0 1
		return
	fi
	local out rc line p f s
	out=$(mktemp)
	# shellcheck disable=SC2086
	bash $1 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$out" | tail -n1)
	# what failed, again in the summary (a CI log is often read from its end),
	# and what crashed and was run again even when the rerun passed
	if ((rc != 0)); then
		while IFS= read -r l; do failure_notes+=("$label: $l"); done < <(
			grep -E '^not ok|FAIL|CRASHED|^ *[^ ]+ +[0-9]+ passed, [1-9][0-9]* failed|^      ' "$out" | tail -n 12)
	else
		while IFS= read -r l; do failure_notes+=("$label: $l"); done < <(grep 'CRASHED' "$out" | tail -n 4)
	fi
	rm -f "$out"
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
	else
		echo "== tier $label: no closing 'N passed, N failed' line"
		p=0 f=1 s=0
	fi
	if ((p + f + s == 0)); then
		echo "== tier $label: ran no test"
		f=1
	fi
	if ((s > 0)); then skipped_names+=("$label: $s test(s) skipped (see its output)"); fi
	if ((rc != 0 && f == 0)); then f=1; fi
	record "$label" "$p" "$f" "$s"
}

begin
echo "== installing dependencies"
if ! bash hack/deps.sh; then
	echo "test.sh: installing dependencies failed" >&2
	exit 1
fi

begin
echo "== lint"
if bash hack/lint.sh; then record lint 1 0; else record lint 0 1; fi

is_root=0
[[ $(id -u) -eq 0 ]] && is_root=1

begin
echo "== build (gcc, -Werror)"
if { [[ -d build ]] || meson setup build; } && ninja -C build; then
	record build 1 0
	meson_tier unit build --suite unit
	if ((is_root)); then
		meson_tier kernel build --suite kernel
	else
		not_run kernel "needs root (mount namespaces, overlayfs)"
	fi
else
	record build 0 1
fi

if ((quick == 0)); then
	begin
	echo "== build (clang, ASan+UBSan)"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	if { [[ -d build-asan ]] || CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false; } &&
		ninja -C build-asan; then
		record build-asan 1 0
		meson_tier unit-asan build-asan --suite unit
		if ((is_root)); then
			meson_tier kernel-asan build-asan --suite kernel
		else
			not_run kernel-asan "needs root"
		fi
	else
		record build-asan 0 1
	fi

	# The kernel tests again, inside Debian's own kernels (5.10, 6.1, 6.12)
	# booted under QEMU with cgroup v2 only; one line per kernel.
	if ((is_root)); then
		shell_tier "test/platform/run.sh build" platform
	else
		not_run platform "needs root (the guests run the build's kernel tests)"
	fi

	shell_tier "hack/fuzz.sh --smoke" fuzz-smoke

	# The images' static build (libcurl over mbedTLS, hack/images.sh's):
	# its unit tests, then its integration tests with the cluster's below.
	begin
	echo "== build (static, the images': build-lean/)"
	if lean_build build-lean; then
		record build-static 1 0
		meson_tier unit-static build-lean --suite unit
	else
		record build-static 0 1
	fi

	# Tiers on the project's own real cluster (hack/cluster/): brought up
	# once (a warm machine reuses the cached Kubernetes binaries), shared by
	# every suite, and taken down by the cluster suite's last test. Then the
	# end-to-end suite again on a cluster whose containerd is 2.x.
	begin
	echo "== local cluster (containerd 1.6)"
	if ((!is_root)); then
		not_run cluster "needs root (it starts containerd and the kubelet)"
	elif hack/cluster/cluster.sh up; then
		record cluster-up 1 0
		eval "$(hack/cluster/cluster.sh env)"
		export KUBECTL=kubectl
		# The plugin suite runs first without the operator (its tests that
		# write a status by hand need no controller acting), then, once the
		# end-to-end suite has deployed the operator, its operator tests.
		# The docs suite runs the README's and the docs' commands as
		# written on that deployed operator.
		# The Helm suite then takes the deployed operator over with a
		# release, upgrades and uninstalls it, and puts kustomize's back.
		suites=(test/crd/run.sh test/integration/run.sh "test/integration/run.sh --static"
			"test/plugin/run.sh --without-operator" test/e2e/run.sh
			test/docs/run.sh test/e2e/faults.sh "test/plugin/run.sh operator" test/helm/run.sh
			"test/cluster/run.sh --with-down")
		for t in "${suites[@]}"; do
			shell_tier "$t"
		done
		begin
		echo "== local cluster (containerd 2.x)"
		if SC_CONTAINERD=2 hack/cluster/cluster.sh up; then
			record cluster-up-containerd2 1 0
			export SC_CONTAINERD=2
			shell_tier test/e2e/run.sh e2e-containerd2
			# the runtime path (NRI plugin + rootfs hook), on the operator
			# the e2e suite deployed
			shell_tier test/e2e/restricted.sh e2e-restricted
			unset SC_CONTAINERD
			begin
			if hack/cluster/cluster.sh down; then
				record cluster-down-containerd2 1 0
			else
				record cluster-down-containerd2 0 1
			fi
		else
			record cluster-up-containerd2 0 1
			echo "test.sh: the containerd 2.x cluster did not come up; see /var/log/sc-cluster/" >&2
		fi
	else
		record cluster-up 0 1
		echo "test.sh: the local cluster did not come up; see /var/log/sc-cluster/" >&2
	fi
fi

echo
echo "== summary (tier, passed, failed, skipped, seconds)"
printf '   %s\n' "${summary[@]}"
if ((${#skipped_names[@]} > 0)); then
	echo "== not run:"
	printf '   %s\n' "${skipped_names[@]}"
fi
if ((${#failure_notes[@]} > 0)); then
	echo "== what failed or crashed (the last lines of each tier that say so):"
	printf '   %s\n' "${failure_notes[@]}"
fi
if ((failed > 0)); then
	echo "FAILED tiers: ${failed_tiers[*]}"
fi
if ((skipped > 0)); then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
((failed == 0))
