#!/usr/bin/env bash
# Warm start and stop of a StoppableContainer, side by side with a plain Pod
# running the same image and command on the same node, in one run.
#
#   bench/start-stop.sh [RUNS]      (default 20; needs the cluster and operator:
#                                    hack/cluster/cluster.sh up && hack/deploy.sh)
#
# warm start: spec.running false->true until phase Running, which the
#   controller reports only once the rootfs is stacked on the workload's
#   container (so the command is starting inside it);
#   plain Pod: create until Ready (the image is on the node).
# stop: true->false until the consumer pod is gone; plain Pod: delete until gone.
# The workload is `sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'`.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-20}
bench_namespace sc-bench
IMAGE=sc-test/busybox:1
CMD='["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 1; done"]'

k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: bench}
spec:
  running: true
  template:
    terminationGracePeriodSeconds: 30
    container: {image: $IMAGE, imagePullPolicy: Never, command: $CMD}
EOF
k wait --for=jsonpath='{.status.phase}'=Running "$S/bench" --timeout=180s >/dev/null
node=$(k get "$S" bench -o jsonpath='{.status.nodeName}')

sc_start=() sc_stop=() pod_start=() pod_stop=()
for _ in $(seq 1 "$runs"); do
	t=$(ms)
	k patch "$S" bench --type=merge -p '{"spec":{"running":false}}' >/dev/null
	k wait --for=delete pod/bench --timeout=60s >/dev/null 2>&1 || true
	k wait --for=jsonpath='{.status.phase}'=Stopped "$S/bench" --timeout=60s >/dev/null
	sc_stop+=($(($(ms) - t)))
	t=$(ms)
	k patch "$S" bench --type=merge -p '{"spec":{"running":true}}' >/dev/null
	k wait --for=jsonpath='{.status.phase}'=Running "$S/bench" --timeout=60s >/dev/null
	sc_start+=($(($(ms) - t)))

	t=$(ms)
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 30
  containers: [{name: c, image: $IMAGE, imagePullPolicy: Never, command: $CMD}]
EOF
	k wait --for=condition=Ready pod/plain --timeout=60s >/dev/null
	pod_start+=($(($(ms) - t)))
	t=$(ms)
	k delete pod plain --wait=true >/dev/null
	pod_stop+=($(($(ms) - t)))
done

print_context
echo "StoppableContainer vs plain Pod, $runs runs each, same node, image $IMAGE"
stats "warm start (StoppableContainer)" ms "${sc_start[@]}"
stats "start (plain Pod)" ms "${pod_start[@]}"
stats "stop (StoppableContainer)" ms "${sc_stop[@]}"
stats "stop (plain Pod)" ms "${pod_stop[@]}"
echo "ratio warm start / plain Pod start (medians): $(ratio "$(median "${sc_start[@]}")" "$(median "${pod_start[@]}")")"
echo "ratio stop / plain Pod delete (medians):      $(ratio "$(median "${sc_stop[@]}")" "$(median "${pod_stop[@]}")")"
