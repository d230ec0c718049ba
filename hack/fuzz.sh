#!/usr/bin/env bash
# Builds and runs the libFuzzer targets (test/fuzz/) with clang.
#
#   hack/fuzz.sh --smoke          every target for a short time (part of hack/test.sh)
#   hack/fuzz.sh TARGET [SECS]    one target, longer (default 60 s)
#
# Seeds come from test/fuzz/corpus/<target>/; new corpus entries go to
# build-fuzz/corpus/<target>/ (not committed). A crash fails the run and leaves
# its input in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke_secs=${SC_FUZZ_SMOKE_SECS:-20}

if [[ ! -d build-fuzz ]]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true -Db_lundef=false >/dev/null
else
	# a build directory configured some other way builds no target
	meson configure build-fuzz -Dfuzzing=true >/dev/null
fi
ninja -C build-fuzz >/dev/null

run() {
	local name=$1 secs=$2
	local exe=build-fuzz/test/fuzz/fuzz-$name
	local corpus=build-fuzz/corpus/$name
	mkdir -p "$corpus"
	local seeds=()
	[[ -d test/fuzz/corpus/$name ]] && seeds+=("test/fuzz/corpus/$name")
	echo "fuzz: $name for ${secs}s"
	local st
	"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix=build-fuzz/ "$corpus" "${seeds[@]}" 2>&1 |
		{ grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Deadly signal)' || true; }
	st=("${PIPESTATUS[@]}")
	return "${st[0]}"
}

mapfile -t targets < <(find build-fuzz/test/fuzz -maxdepth 1 -type f -name 'fuzz-*' -perm -u+x -printf '%f\n' | sed 's/^fuzz-//' | sort)
case "${1:-}" in
--smoke)
	if ((${#targets[@]} == 0)); then
		echo "fuzz: no targets built in build-fuzz/test/fuzz" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	ok=0 bad=0
	for t in "${targets[@]}"; do
		if run "$t" "$smoke_secs"; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			echo "fuzz: $t FAILED (its input is in build-fuzz/)"
		fi
	done
	echo "$ok passed, $bad failed"
	((bad == 0))
	;;
"" | -h | --help)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	echo "targets: ${targets[*]:-none}"
	;;
*)
	run "$1" "${2:-60}"
	;;
esac
