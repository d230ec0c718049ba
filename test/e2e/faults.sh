#!/usr/bin/env bash
# Fault tier of the end-to-end suite: while 10 StoppableContainers change
# state, the API server is frozen (SIGSTOP) for longer than the controller's
# lease, three times; then killed and restarted; then etcd is killed and
# restarted. After each outage every one must converge: generation equal to
# observedGeneration, the phase and the pods its spec asks for, and the files
# in its rootfs unchanged (checksum).
#
# Needs root, the cluster up and the operator deployed (test/e2e/run.sh
# deploys it; hack/test.sh runs this right after). Prints "N passed, N
# failed", and "# ..." lines with the time each convergence took.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib.sh
eval "$(hack/cluster/cluster.sh env)"
SC=stoppablecontainers.stoppablecontainer.xtlsoft.top
SYS=stoppablecontainer-system
IMAGE=sc-test/busybox:1
RUN_DIR=${SC_RUN_DIR:-/run/sc-cluster}
N=10
# An outage longer than the lease (15 s) and its renew deadline (10 s).
FREEZE_SECONDS=30
# Convergence allowed after the API server is back: one resync period (60 s)
# plus leader failover and pod start-up, with room.
CONVERGE_SECONDS=240
ns=sc-faults-$$
k() { kubectl -n "$ns" "$@"; }
names() { for ((i = 1; i <= N; i++)); do echo "f$i"; done; }

on_failure() {
	echo "--- stoppablecontainers in $ns"
	k get "$SC" -o custom-columns=NAME:.metadata.name,GEN:.metadata.generation,OBS:.status.observedGeneration,PHASE:.status.phase,MSG:.status.message 2>&1 | head -n 15
	echo "--- controller log"
	kubectl -n $SYS logs -l app.kubernetes.io/name=sc-controller --tail=10 --prefix 2>&1 | cut -c1-300
}

component_pid() { cat "$RUN_DIR/$1.pid" 2>/dev/null; }
api_up() { kubectl get --raw /readyz >/dev/null 2>&1; }

make_all() {
	local n
	for n in $(names); do
		k apply -f - >/dev/null <<YAML || return 1
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: $n}
spec:
  running: true
  template:
    container:
      image: $IMAGE
      imagePullPolicy: Never
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
YAML
	done
}

# converged_one NAME RUNNING: what its spec asks for, and observed.
converged_one() {
	local n=$1 want=Stopped pods=1 line gen obs phase
	[[ $2 == true ]] && want=Running pods=2
	line=$(k get "$SC" "$n" -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.phase}' 2>/dev/null) || return 1
	read -r gen obs phase <<<"$line"
	[[ $gen == "$obs" && $phase == "$want" ]] || return 1
	(($(k get pods -l "stoppablecontainer.xtlsoft.top/instance=$n" -o name 2>/dev/null | wc -l) == pods))
}
all_converged() {
	local n
	for n in $(names); do converged_one "$n" "$1" || return 1; done
}
laggards() {
	local n
	for n in $(names); do converged_one "$n" "$1" || printf '%s ' "$n"; done
}

# Each test runs in a subshell (test/lib.sh): the sums live in a file.
sums=$(mktemp)
trap 'rm -f "$sums"' EXIT
take_sums() {
	local n
	: >"$sums"
	for n in $(names); do
		echo "$n $(k exec "$n" -- md5sum /data/mark 2>/dev/null | cut -d' ' -f1)" >>"$sums" || return 1
	done
	(($(grep -c ' [0-9a-f]\{32\}$' "$sums") == N)) || fail "could not checksum every /data/mark"
}
check_sums() {
	local n want
	for n in $(names); do
		want=$(awk -v n="$n" '$1 == n { print $2 }' "$sums")
		[[ -n $want && $(k exec "$n" -- md5sum /data/mark 2>/dev/null | cut -d' ' -f1) == "$want" ]] ||
			fail "$n: /data/mark changed across $1"
	done
}

# flip_all RUNNING: patch every spec.running, as fast as kubectl goes.
flip_all() {
	local n
	for n in $(names); do
		k patch "$SC" "$n" --type=merge -p "{\"spec\":{\"running\":$1}}" >/dev/null || return 1
	done
}

# await RUNNING WHAT: every one converges within CONVERGE_SECONDS.
await() {
	local t0=$SECONDS
	if ! wait_until "$CONVERGE_SECONDS" "all $N to converge to running=$1 after $2" all_converged "$1"; then
		fail "after $2, not converged within ${CONVERGE_SECONDS}s: $(laggards "$1")"
	fi
	echo "# after $2: all $N converged $((SECONDS - t0)) s after the API server was back"
}

t_setup() {
	kubectl create namespace "$ns" >/dev/null
	kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=baseline >/dev/null
	make_all
	wait_until 300 "all $N to run" all_converged true || fail "the $N did not start: $(laggards true)"
	local n
	for n in $(names); do
		k exec "$n" -- sh -c "mkdir -p /data && echo $n-\$RANDOM > /data/mark" || fail "writing into $n"
	done
	take_sums
}

# freeze RUNNING: flip, then freeze the API server right after the patches.
freeze() {
	local pid
	pid=$(component_pid kube-apiserver)
	[[ -n $pid ]] || fail "no kube-apiserver pid in $RUN_DIR"
	flip_all "$1" || fail "patching running=$1"
	kill -STOP "$pid"
	# The outage itself lasts FREEZE_SECONDS: this is the fault, not a wait
	# for a condition.
	sleep "$FREEZE_SECONDS"
	kill -CONT "$pid"
	wait_until 60 "the API server to answer again" api_up || fail "the API server did not come back"
	await "$1" "an API server frozen for ${FREEZE_SECONDS}s"
}

t_freeze_1() { freeze false; }
t_freeze_2() {
	freeze true
	check_sums "two freezes"
}
t_freeze_3() { freeze false; }

# kill_and_restart COMPONENT RUNNING: flip every spec.running, SIGKILL the
# cluster component right after, and let cluster.sh up start it again.
kill_and_restart() {
	local pid log
	pid=$(component_pid "$1")
	[[ -n $pid ]] || fail "no $1 pid in $RUN_DIR"
	flip_all "$2" || fail "patching running=$2"
	kill -9 "$pid"
	wait_until 30 "$1 to be gone" bash -c "! kill -0 $pid 2>/dev/null"
	log=$(mktemp)
	hack/cluster/cluster.sh up >"$log" 2>&1 || { tail -n 5 "$log" >&2; fail "cluster.sh up did not restart $1"; }
}

t_apiserver_killed() {
	kill_and_restart kube-apiserver true
	await true "the API server killed and restarted"
	check_sums "an API server restart"
}

t_etcd_restarted() {
	kill_and_restart etcd false
	await false "etcd killed and restarted"
	flip_all true || fail "patching running=true"
	await true "a start after the etcd restart"
	check_sums "an etcd restart"
}

t_cleanup() {
	k delete "$SC" --all --wait=true --timeout=180s >/dev/null || fail "deleting the $N timed out"
	kubectl delete namespace "$ns" --wait=true --timeout=120s >/dev/null || fail "deleting $ns timed out"
}

run_test "setup: $N StoppableContainers running, a file in each" t_setup
run_test "API server frozen ${FREEZE_SECONDS}s right after a stop: all converge" t_freeze_1
run_test "API server frozen ${FREEZE_SECONDS}s right after a start: all converge, files intact" t_freeze_2
run_test "API server frozen ${FREEZE_SECONDS}s a third time: all converge" t_freeze_3
run_test "API server killed and restarted during a start: all converge" t_apiserver_killed
run_test "etcd killed and restarted during a stop: all converge, then start" t_etcd_restarted
run_test "cleanup" t_cleanup
finish
