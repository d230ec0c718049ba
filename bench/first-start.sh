#!/usr/bin/env bash
# First start of a StoppableContainer, side by side with a plain Pod running
# the same image and command on the same node, in one run.
#
#   bench/first-start.sh [RUNS]     (default 20; needs the cluster and operator:
#                                    hack/cluster/cluster.sh up && hack/deploy.sh)
#
# StoppableContainer: create it with running: true until the user's command
# has started inside its rootfs; plain Pod: create it until its command has
# started. The command is `sh -c 'MARKER; exec sleep infinity'` where MARKER
# writes the time it ran (microseconds, from the host's clock, which every
# container shares) to /tmp/started; the script reads it with kubectl exec, so
# the time measured is create -> command started, not -> when we noticed.
# Also printed: create -> phase Running (as kubectl wait sees it) and the
# time to delete the StoppableContainer until it and its pods are gone.
# Each run uses a new object (new name), deleted before the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-20}
IMAGE=${BENCH_IMAGE:-sc-test/busybox:1}
node=$SC_NODE_NAME
bench_namespace sc-first
CMD=$(jq -cn --arg m "$MARKER_SH" '["sh", "-c", ($m + "; exec sleep infinity")]')

sc_cmd=() sc_running=() sc_delete=() pod_cmd=() pod_delete=()
# Milestones of each StoppableContainer's first start, from containerd's
# clock (ms after create): provider sandbox created, provider container
# started, consumer sandbox created, consumer container started.
p_sandbox=() p_started=() c_sandbox=() c_started=()
for i in $(seq 1 "$runs"); do
	t0=$(now_us)
	k create -f - >/dev/null <<-EOT
	apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
	kind: StoppableContainer
	metadata: {name: fs-$i}
	spec:
	  running: true
	  template:
	    container: {image: $IMAGE, imagePullPolicy: Never, command: $CMD}
	EOT
	wait_phase "fs-$i" Running
	sc_running+=($((($(now_us) - t0) / 1000)))
	m=$(read_marker "fs-$i" "$t0")
	sc_cmd+=($(((m - t0) / 1000)))
	p_sandbox+=($((($(sandbox_created_us "fs-$i-provider") - t0) / 1000)))
	p_started+=($((($(container_started_us "fs-$i-provider") - t0) / 1000)))
	c_sandbox+=($((($(sandbox_created_us "fs-$i") - t0) / 1000)))
	c_started+=($((($(container_started_us "fs-$i") - t0) / 1000)))
	t=$(ms)
	k delete "$S" "fs-$i" --wait=true --timeout=120s >/dev/null
	k wait --for=delete "pod/fs-$i" "pod/fs-$i-provider" --timeout=120s >/dev/null 2>&1 || true
	sc_delete+=($(($(ms) - t)))

	t0=$(now_us)
	k create -f - >/dev/null <<-EOT
	apiVersion: v1
	kind: Pod
	metadata: {name: plain-$i}
	spec:
	  nodeName: $node
	  containers: [{name: c, image: $IMAGE, imagePullPolicy: Never, command: $CMD}]
	EOT
	k wait --for=condition=Ready "pod/plain-$i" --timeout=120s >/dev/null
	m=$(read_marker "plain-$i" "$t0")
	pod_cmd+=($(((m - t0) / 1000)))
	t=$(ms)
	k delete pod "plain-$i" --wait=true --grace-period=1 >/dev/null
	pod_delete+=($(($(ms) - t)))
	printf 'run %2d: StoppableContainer %5d ms (Running %5d ms)  plain Pod %5d ms\n' \
		"$i" "${sc_cmd[-1]}" "${sc_running[-1]}" "${pod_cmd[-1]}" >&2
done

print_context
echo "First start, $runs runs each, image $IMAGE, node $node"
stats "StoppableContainer: create -> command started" ms "${sc_cmd[@]}"
stats "StoppableContainer: create -> phase Running" ms "${sc_running[@]}"
echo "  where the first start goes (ms after create, containerd's clock):"
stats "  provider sandbox created" ms "${p_sandbox[@]}"
stats "  provider container started" ms "${p_started[@]}"
stats "  consumer sandbox created" ms "${c_sandbox[@]}"
stats "  consumer container started" ms "${c_started[@]}"
stats "  command started" ms "${sc_cmd[@]}"
stats "plain Pod: create -> command started" ms "${pod_cmd[@]}"
stats "StoppableContainer: delete -> all gone" ms "${sc_delete[@]}"
stats "plain Pod: delete (grace 1 s) -> gone" ms "${pod_delete[@]}"
echo "ratio first start / plain Pod start (medians): $(ratio "$(median "${sc_cmd[@]}")" "$(median "${pod_cmd[@]}")")"
