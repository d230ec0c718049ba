#!/usr/bin/env bash
# Many StoppableContainers at once: time to converge, API requests, and the
# memory and CPU of the operator and of a stopped instance, in one run.
#
#   bench/scale.sh [N]              (default 200; needs the cluster and operator:
#                                    hack/cluster/cluster.sh up && hack/deploy.sh;
#                                    the kubelet must allow N + a few pods: the
#                                    local cluster's maxPods is 250)
#
# 1. Creates N StoppableContainers with running: false in one `kubectl create`
#    and times, from the start of it, until all N have an instance, all N
#    provider pods run, all N report RootfsReady and all N are converged:
#    phase Stopped, which the controller reports only with the provider
#    running and the rootfs ready (src/controller/decide.c).
# 2. API requests the controller (the leader) and the mount-helper made
#    meanwhile, from their sc_kube_requests_total on /metrics.
# 3. Holding N stopped instances, over an idle minute: RSS (VmRSS) and CPU
#    (utime + stime from /proc/PID/stat) of the controller and the
#    mount-helper, and the memory (memory.usage_in_bytes and memory.stat rss
#    of the pod's cgroup, cgroup v1) and CPU (cpuacct.usage) of one provider
#    pod, i.e. of one stopped instance; the sum of memory over all N.
# 4. Deletes them all at once and times until the StoppableContainers, their
#    instances and pods are gone, with the API requests of that phase.
# 5. The floors, in the same run: N plain Pods (same image) created with one
#    `kubectl create`, timed until all run, then deleted at once and timed
#    until all are gone — first `sleep infinity` with a grace period of 0 s
#    (the API server removes those at once, without the kubelet), then a
#    command that exits on SIGTERM with the default 30 s (the kubelet stops
#    them first, as it stops a provider pod; BENCH_FLOORS=1 skips this one).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
n=${1:-200}
IMAGE=sc-test/busybox:1
IDLE=${BENCH_IDLE:-60}
hz=$(getconf CLK_TCK)
# Room for N more pods on the node: a kubelet started with an older
# hack/cluster/cluster.sh allows only 110 (cluster.sh up fixes that).
cap=$(kubectl get node "$SC_NODE_NAME" -o jsonpath='{.status.allocatable.pods}')
used=$(kubectl get pods -A --field-selector "spec.nodeName=$SC_NODE_NAME,status.phase!=Succeeded,status.phase!=Failed" -o name | wc -l)
if ((cap - used < n)); then
	echo "scale.sh: node $SC_NODE_NAME takes $cap pods and runs $used: no room for $n more (run hack/cluster/cluster.sh up to raise maxPods)" >&2
	exit 1
fi
bench_namespace sc-scale
tmp=$(mktemp -d)
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

# pod_cgroup UID: the pod's memory cgroup (cgroup v1, cgroupfs driver).
pod_cgroup() {
	local d
	for d in /sys/fs/cgroup/memory/kubepods/pod"$1" /sys/fs/cgroup/memory/kubepods/*/pod"$1"; do
		[[ -d $d ]] && echo "$d" && return 0
	done
	return 1
}
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

operator_endpoints
ctl_pid=$(pid_of "$OPERATOR_NS" "$leader")
helper_pid=$(pid_of "$OPERATOR_NS" "$helper")

print_context
echo "Scale: $n StoppableContainers (running: false, image $IMAGE); controller leader $leader (pid $ctl_pid), mount-helper $helper (pid $helper_pid)"
echo "before: controller RSS $(rss_kib "$ctl_pid") KiB, mount-helper RSS $(rss_kib "$helper_pid") KiB"

stopped_scs_yaml "$n" s >"$tmp/scs.yaml"

requests "$ctl_url" "$tmp/ctl0"
requests "$helper_url" "$tmp/helper0"
t0=$(ms)
k create -f "$tmp/scs.yaml" >/dev/null
created=$(($(ms) - t0))
declare -A reached=()
while :; do
	el=$(($(ms) - t0))
	scis=$(k get "$SCI" -o name | wc -l)
	prov=$(k get pods -l stoppablecontainer.xtlsoft.top/role=provider --field-selector=status.phase=Running -o name | wc -l)
	read -r rootfs stopped < <(k get "$S" -o json | jq -r '[.items[] | select(any(.status.conditions[]?; .type == "RootfsReady" and .status == "True"))] as $r
		| [.items[] | select(.status.phase == "Stopped")] as $s | "\($r | length) \($s | length)"')
	for what in scis prov rootfs stopped; do
		if [[ -z ${reached[$what]:-} && ${!what} -ge $n ]]; then reached[$what]=$el; fi
	done
	printf '  %6d ms: instances %3d, provider pods running %3d, RootfsReady %3d, Stopped %3d; load %s\n' \
		"$el" "$scis" "$prov" "$rootfs" "$stopped" "$(cut -d' ' -f1 /proc/loadavg)" >&2
	[[ -n ${reached[stopped]:-} ]] && break
	if ((el > 1800000)); then echo "not converged after 30 min" >&2; exit 1; fi
	sleep 2
done
requests "$ctl_url" "$tmp/ctl1"
requests "$helper_url" "$tmp/helper1"
echo "create: kubectl create of $n objects took $created ms"
echo "converge (from the start of kubectl create; polled every 2 s):"
echo "  all $n instances exist        ${reached[scis]} ms"
echo "  all $n provider pods Running  ${reached[prov]} ms"
echo "  all $n RootfsReady            ${reached[rootfs]} ms"
echo "  all $n phase Stopped          ${reached[stopped]} ms"
echo "API requests while converging, controller:"
requests_delta "$tmp/ctl0" "$tmp/ctl1"
echo "API requests while converging, mount-helper:"
requests_delta "$tmp/helper0" "$tmp/helper1"

# An idle minute (BENCH_IDLE seconds), holding n stopped instances.
sleep 5
p1=$(k get pod s1-provider -o jsonpath='{.metadata.uid}')
pcg=$(pod_cgroup "$p1")
pcpu=${pcg/\/memory\//\/cpuacct\/}
c0=$(cpu_ticks "$ctl_pid") h0=$(cpu_ticks "$helper_pid") pc0=$(cat "$pcpu/cpuacct.usage")
requests "$ctl_url" "$tmp/ctl2"
requests "$helper_url" "$tmp/helper2"
sleep "$IDLE"
c1=$(cpu_ticks "$ctl_pid") h1=$(cpu_ticks "$helper_pid") pc1=$(cat "$pcpu/cpuacct.usage")
requests "$ctl_url" "$tmp/ctl3"
requests "$helper_url" "$tmp/helper3"
total_mem=0 total_rss=0
for uid in $(k get pods -l stoppablecontainer.xtlsoft.top/role=provider -o jsonpath='{.items[*].metadata.uid}'); do
	cg=$(pod_cgroup "$uid") || continue
	total_mem=$((total_mem + $(cat "$cg/memory.usage_in_bytes")))
	total_rss=$((total_rss + $(awk '$1 == "total_rss" {print $2}' "$cg/memory.stat")))
done
echo "idle ${IDLE} s holding $n stopped instances (load $(cut -d' ' -f1-3 /proc/loadavg)):"
awk -v t=$((c1 - c0)) -v hz="$hz" -v s="$IDLE" -v r="$(rss_kib "$ctl_pid")" 'BEGIN {
	printf "  controller:   RSS %6.1f MiB, CPU %5.2f s in %d s (%.2f %% of a core)\n", r / 1024, t / hz, s, 100 * t / hz / s }'
awk -v t=$((h1 - h0)) -v hz="$hz" -v s="$IDLE" -v r="$(rss_kib "$helper_pid")" 'BEGIN {
	printf "  mount-helper: RSS %6.1f MiB, CPU %5.2f s in %d s (%.2f %% of a core)\n", r / 1024, t / hz, s, 100 * t / hz / s }'
awk -v t=$((pc1 - pc0)) -v s="$IDLE" -v u="$(cat "$pcg/memory.usage_in_bytes")" -v r="$(awk '$1 == "total_rss" {print $2}' "$pcg/memory.stat")" 'BEGIN {
	printf "  one stopped instance (provider pod s1-provider, its cgroup): memory.usage_in_bytes %.2f MiB (rss %.2f MiB), CPU %.1f ms in %d s\n", u / 1048576, r / 1048576, t / 1e6, s }'
awk -v u="$total_mem" -v r="$total_rss" -v n="$n" 'BEGIN {
	printf "  all %d provider pods: memory.usage_in_bytes %.1f MiB (rss %.1f MiB)\n", n, u / 1048576, r / 1048576 }'
echo "  API requests in the idle ${IDLE} s, controller:"
requests_delta "$tmp/ctl2" "$tmp/ctl3"
echo "  API requests in the idle ${IDLE} s, mount-helper:"
requests_delta "$tmp/helper2" "$tmp/helper3"

t0=$(ms)
k delete "$S" --all --wait=false >/dev/null
while :; do
	el=$(($(ms) - t0))
	left_sc=$(k get "$S" -o name | wc -l)
	left_sci=$(k get "$SCI" -o name | wc -l)
	left_pods=$(k get pods -o name | wc -l)
	printf '  %6d ms: left %3d StoppableContainers, %3d instances, %3d pods; load %s\n' \
		"$el" "$left_sc" "$left_sci" "$left_pods" "$(cut -d' ' -f1 /proc/loadavg)" >&2
	((left_sc + left_sci + left_pods == 0)) && break
	if ((el > 1800000)); then echo "not deleted after 30 min" >&2; exit 1; fi
	sleep 2
done
requests "$ctl_url" "$tmp/ctl4"
requests "$helper_url" "$tmp/helper4"
sc_deleted=$el
echo "delete all $n (kubectl delete --all, polled every 2 s): gone after $el ms"
echo "API requests while deleting, controller:"
requests_delta "$tmp/ctl3" "$tmp/ctl4"
echo "API requests while deleting, mount-helper:"
requests_delta "$tmp/helper3" "$tmp/helper4"
echo "after: controller RSS $(rss_kib "$ctl_pid") KiB, mount-helper RSS $(rss_kib "$helper_pid") KiB; load $(cut -d' ' -f1-3 /proc/loadavg)"

# floor LABEL GRACE COMMAND_JSON: N plain Pods on the same node, created with
# one `kubectl create`, timed until all run; then deleted at once and timed
# until all are gone. Sets pods_up and pods_gone (ms).
floor() {
	local label=$1 grace=$2 cmd=$3 i el running left t0
	for i in $(seq 1 "$n"); do
		cat <<-EOT
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: p$i}
		spec:
		  nodeName: $SC_NODE_NAME
		  terminationGracePeriodSeconds: $grace
		  containers: [{name: c, image: $IMAGE, imagePullPolicy: Never, command: $cmd}]
		EOT
	done >"$tmp/pods.yaml"
	t0=$(ms)
	k create -f "$tmp/pods.yaml" >/dev/null
	while :; do
		el=$(($(ms) - t0))
		running=$(k get pods --field-selector=status.phase=Running -o name | wc -l)
		printf '  %6d ms: plain Pods (%s) running %3d; load %s\n' "$el" "$label" "$running" "$(cut -d' ' -f1 /proc/loadavg)" >&2
		((running >= n)) && break
		if ((el > 1800000)); then echo "plain Pods not running after 30 min" >&2; exit 1; fi
		sleep 2
	done
	pods_up=$el
	t0=$(ms)
	k delete pods --all --wait=false >/dev/null
	while :; do
		el=$(($(ms) - t0))
		left=$(k get pods -o name | wc -l)
		printf '  %6d ms: plain Pods (%s) left %3d; load %s\n' "$el" "$label" "$left" "$(cut -d' ' -f1 /proc/loadavg)" >&2
		((left == 0)) && break
		if ((el > 1800000)); then echo "plain Pods not gone after 30 min" >&2; exit 1; fi
		sleep 2
	done
	pods_gone=$el
	echo "floor: $n plain Pods, $label (kubectl create, polled every 2 s): all Running after $pods_up ms; deleted and gone after $pods_gone ms"
}

# The floor as the earlier runs took it: `sleep infinity`, grace 0 s (the API
# server removes a pod of grace 0 at once, without waiting for the kubelet).
floor "sleep, grace 0 s" 0 '[sleep, infinity]'
echo "ratio $n StoppableContainers converged / $n plain Pods running: $(ratio "${reached[stopped]}" "$pods_up")"
echo "ratio $n StoppableContainers deleted / $n plain Pods deleted (grace 0 s): $(ratio "$sc_deleted" "$pods_gone")"
# The floor a StoppableContainer's deletion compares with: pods the kubelet
# really stops (a command that exits on SIGTERM, like sc-pause, and the
# default grace of 30 s), as the rootfs can only be removed once its pods
# are gone. BENCH_FLOORS=1 skips it.
if [[ ${BENCH_FLOORS:-2} != 1 ]]; then
	floor "exits on SIGTERM, grace 30 s" 30 '[sh, -c, "trap \"exit 0\" TERM; sleep 100000 & wait"]'
	echo "ratio $n StoppableContainers deleted / $n plain Pods deleted (stopped by the kubelet): $(ratio "$sc_deleted" "$pods_gone")"
fi
