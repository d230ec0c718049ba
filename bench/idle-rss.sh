#!/usr/bin/env bash
# Idle resident memory of the operator's daemons: the controller leader's and
# a mount-helper's VmRSS (/proc/PID/status on the node) and its split from
# /proc/PID/smaps_rollup into anonymous pages (heap, stacks) and file pages
# (the binary and the shared libraries it maps), after BENCH_IDLE seconds
# (default 30) of no StoppableContainer activity, with the image each runs
# and its size in the node's containerd.
#
#   bench/idle-rss.sh        (needs the cluster and the operator:
#                             hack/cluster/cluster.sh up && hack/deploy.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
IDLE=${BENCH_IDLE:-30}

operator_endpoints
sleep "$IDLE" # the idle period measured, not a wait for a condition
print_context
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
rollup() { awk -v k="$2" '$1 == k ":" {print $2}' "/proc/$1/smaps_rollup"; }
printf '%-16s %-28s %9s %10s %10s %10s %8s\n' daemon pod "image KiB" "VmRSS MiB" "anon MiB" "file MiB" mappings
for p in "$leader" "$helper"; do
	pid=$(pid_of "$OPERATOR_NS" "$p")
	image=$(kubectl -n "$OPERATOR_NS" get pod "$p" -o jsonpath='{.status.containerStatuses[0].imageID}')
	size=$(crictl_ inspecti -o json "$image" | jq -r '.status.size')
	rss=$(rss_kib "$pid")
	anon=$(rollup "$pid" Anonymous)
	libs=$(awk '$6 ~ /^\// {print $6}' "/proc/$pid/maps" | sort -u | wc -l)
	printf '%-16s %-28s %9s %10s %10s %10s %8s\n' "$(tr -d '\0' <"/proc/$pid/comm")" "$p" \
		"$((size / 1024))" "$(mib "$rss")" "$(mib "$anon")" "$(mib "$(($(rollup "$pid" Rss) - anon))")" "$libs"
done
