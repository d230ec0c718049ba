#!/usr/bin/env bash
# Integration tests of the Kubernetes client library (src/lib/sc-kube*,
# sc-watch, sc-informer) against the project's real local cluster.
#
#   test/integration/run.sh            the development build (build/)
#   test/integration/run.sh --static   the images' static build (build-lean/:
#                                      libcurl over mbedTLS, hack/images.sh's)
#
# Brings the cluster up with hack/cluster/cluster.sh (a no-op when it already
# runs), points KUBECONFIG at its admin kubeconfig, builds, runs
#   meson test -C build --suite integration
# and ends with the line "N passed, N failed" (exit status non-zero on any
# failure). Nothing here fakes an API server.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
static=0 b=build
case ${1:-} in
--static) static=1 b=build-lean ;;
"") ;;
*)
	echo "integration: unknown argument '$1' (--static or nothing)" >&2
	exit 2
	;;
esac

finish() { # finish PASSED FAILED
	echo "$1 passed, $2 failed"
	(($2 == 0))
	exit
}

cluster=hack/cluster/cluster.sh
if [[ ! -f $cluster ]]; then
	echo "integration: $cluster is missing; these tests need the project's real local" >&2
	echo "integration: cluster (hack/cluster/, from the 'cluster' branch)" >&2
	finish 0 1
fi
echo "== integration: bringing the cluster up ($cluster up)"
if ! bash "$cluster" up; then
	echo "integration: '$cluster up' failed; see its output above" >&2
	finish 0 1
fi
if kc=$(bash "$cluster" kubeconfig 2>/dev/null) && [[ -n $kc && -f $kc ]]; then
	export KUBECONFIG=$kc
else
	export KUBECONFIG=/var/lib/sc-cluster/admin.kubeconfig
fi
if [[ ! -f $KUBECONFIG ]]; then
	echo "integration: no admin kubeconfig at $KUBECONFIG" >&2
	finish 0 1
fi
echo "== integration: KUBECONFIG=$KUBECONFIG"

if ((static)); then
	# the images' build: libcurl over mbedTLS, everything static
	source hack/lib/image.sh
	if ! lean_build "$b"; then
		echo "integration: the static build ($b) failed" >&2
		finish 0 1
	fi
elif ! { [[ -d build ]] || meson setup build; } || ! ninja -C build; then
	echo "integration: build failed" >&2
	finish 0 1
fi

json=$b/meson-logs/testlog.json
rm -f "$json"
meson test -C "$b" --suite integration --print-errorlogs
rc=$?
if [[ ! -f $json ]]; then
	finish 0 1
fi
read -r p f < <(python3 - "$json" <<'PY'
import json, re, sys
ok = bad = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get("stdout") or ""
    subs = re.findall(r"^(ok|not ok) \d+", out, re.M)
    ok += sum(1 for s in subs if s == "ok")
    bad += sum(1 for s in subs if s == "not ok")
    # a skipped, bailed-out or crashed program counts as a failure here:
    # run.sh always provides the cluster
    if not subs or t["result"] not in ("OK", "EXPECTEDFAIL"):
        bad += 0 if subs and t["result"] == "FAIL" else 1
print(ok, bad)
PY
)
if ((rc != 0 && f == 0)); then f=1; fi
finish "${p:-0}" "${f:-1}"
