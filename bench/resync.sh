#!/usr/bin/env bash
# What the periodic resync costs: N settled StoppableContainers (running:
# false, converged to Stopped), then an idle window of several resync periods
# during which the controller and the mount-helper reconcile every object
# again. Prints, per minute of the window, the reconciles both made and the
# API requests they sent (sc_kube_requests_total, by verb and resource).
#
#   bench/resync.sh [N [SECONDS]]   (default 200 and 180; needs the cluster
#                                    and the operator, as bench/scale.sh; the
#                                    local node takes 250 pods, so N <= 240)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
n=${1:-200}
window=${2:-180}
IMAGE=sc-test/busybox:1
bench_namespace sc-resync
tmp=$(mktemp -d)
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

operator_endpoints

print_context
echo "Resync cost: $n StoppableContainers (running: false), an idle window of ${window}s"
stopped_scs_yaml "$n" r >"$tmp/scs.yaml"
k create -f "$tmp/scs.yaml" >/dev/null
deadline=$((SECONDS + 1800))
until (($(k get "$S" -o json | jq '[.items[] | select(.status.phase == "Stopped" and .status.observedGeneration == .metadata.generation)] | length') >= n)); do
	((SECONDS < deadline)) || { echo "resync.sh: not all $n Stopped after 30 min" >&2; exit 1; }
	sleep 2
done
echo "all $n Stopped"

requests "$ctl_url" "$tmp/c0"
requests "$helper_url" "$tmp/h0"
rc0=$(metric_sum "$ctl_url" sc_controller_reconcile_total)
t0=$SECONDS
while ((SECONDS - t0 < window)); do sleep 5; done
requests "$ctl_url" "$tmp/c1"
requests "$helper_url" "$tmp/h1"
rc1=$(metric_sum "$ctl_url" sc_controller_reconcile_total)
mins=$(awk -v s="$((SECONDS - t0))" 'BEGIN { printf "%.2f", s / 60 }')
echo "over $mins min idle:"
echo "  controller reconciles: $((rc1 - rc0)) ($(awk -v d="$((rc1 - rc0))" -v m="$mins" 'BEGIN { printf "%.0f", d / m }')/min)"
echo "  controller API requests:"
requests_delta "$tmp/c0" "$tmp/c1"
echo "  mount-helper API requests:"
requests_delta "$tmp/h0" "$tmp/h1"
