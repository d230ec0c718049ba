#!/usr/bin/env bash
# Stop of a StoppableContainer, side by side with deleting a plain Pod that
# runs the same image and command on the same node, for three workloads:
#   no-handler:  sh -c 'sleep infinity'    (no SIGTERM handler)
#   handler:     sh -c 'trap "exit 0" TERM; sleep infinity & wait'
#   interactive: /bin/sh with stdin and tty, the shape of the project's
#                interactive-shell sample (config/samples/*_quickstart.yaml,
#                bash there), which ignores SIGTERM
#
#   bench/stop.sh [RUNS]            (default 10; needs the cluster and operator:
#                                    hack/cluster/cluster.sh up && hack/deploy.sh)
#
# StoppableContainer: spec.running true->false until the consumer pod is gone
# and phase Stopped; plain Pod: delete until gone. Both with
# terminationGracePeriodSeconds 10 (BENCH_GRACE). In a plain Pod the command
# is PID 1, for which the kernel drops a SIGTERM that has no handler, so the
# no-handler Pod waits the whole grace period for SIGKILL; in a
# StoppableContainer sc-exec is PID 1 and forwards SIGTERM to the command,
# whose default action then ends it. An interactive shell ignores SIGTERM in
# both; to a command on a terminal that ignores SIGTERM sc-exec also sends
# the terminal's hangup (SIGHUP), which the shell obeys.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-10}
grace=${BENCH_GRACE:-10}
IMAGE=sc-test/busybox:1
node=$SC_NODE_NAME
bench_namespace sc-stop
declare -A CMDS=(
	[no-handler]='["sh", "-c", "sleep infinity"]'
	[handler]='["sh", "-c", "trap \"exit 0\" TERM; sleep infinity & wait"]'
	[interactive]='["/bin/sh"], stdin: true, tty: true'
)

print_context
echo "Stop, $runs runs each, image $IMAGE, node $node, terminationGracePeriodSeconds $grace"
for w in no-handler handler interactive; do
	cmd=${CMDS[$w]}
	k apply -f - >/dev/null <<-EOT
	apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
	kind: StoppableContainer
	metadata: {name: $w}
	spec:
	  running: true
	  template:
	    terminationGracePeriodSeconds: $grace
	    container: {image: $IMAGE, imagePullPolicy: Never, command: $cmd}
	EOT
	wait_phase "$w" Running
	sc_stop=() pod_stop=()
	for i in $(seq 1 "$runs"); do
		t=$(ms)
		k patch "$S" "$w" --type=merge -p '{"spec":{"running":false}}' >/dev/null
		k wait --for=delete "pod/$w" --timeout=120s >/dev/null 2>&1 || true
		wait_phase "$w" Stopped
		sc_stop+=($(($(ms) - t)))
		k patch "$S" "$w" --type=merge -p '{"spec":{"running":true}}' >/dev/null
		wait_phase "$w" Running

		k create -f - >/dev/null <<-EOT
		apiVersion: v1
		kind: Pod
		metadata: {name: plain-$w}
		spec:
		  nodeName: $node
		  terminationGracePeriodSeconds: $grace
		  containers: [{name: c, image: $IMAGE, imagePullPolicy: Never, command: $cmd}]
		EOT
		k wait --for=condition=Ready "pod/plain-$w" --timeout=120s >/dev/null
		t=$(ms)
		k delete pod "plain-$w" --wait=true >/dev/null
		pod_stop+=($(($(ms) - t)))
		printf '%s run %2d: StoppableContainer %5d ms  plain Pod %5d ms\n' "$w" "$i" \
			"${sc_stop[-1]}" "${pod_stop[-1]}" >&2
	done
	k delete "$S" "$w" --wait=true --timeout=120s >/dev/null
	stats "$w: StoppableContainer stop" ms "${sc_stop[@]}"
	stats "$w: plain Pod delete" ms "${pod_stop[@]}"
	echo "$w: ratio StoppableContainer stop / plain Pod delete (medians): $(ratio "$(median "${sc_stop[@]}")" "$(median "${pod_stop[@]}")")"
done
