#!/usr/bin/env bash
# End-to-end test of the runtime path (issue 16; docs/architecture.md,
# "Restricted Pod Security and the runtime") on the local cluster with
# containerd 2.x (SC_CONTAINERD=2 hack/cluster/cluster.sh up), whose NRI
# socket the mount-helper's plugin serves. In a namespace that enforces the
# restricted Pod Security level, a non-root StoppableContainer runs as the
# template says — the user's image on the pod, kubectl exec as the template's
# uid/gid in its working directory — and a file survives stop/start; a root
# template is refused and the status says why.
#
# Needs root, the cluster up and the operator deployed from this tree
# (hack/deploy.sh). It turns the controller's switch on (SC_RUNTIME_PATH=auto)
# for its run and off again. On containerd 1.6 (no NRI) every test is
# skipped, counted as skipped. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib.sh
eval "$(hack/cluster/cluster.sh env)"
SC=stoppablecontainers.stoppablecontainer.xtlsoft.top
SCI=stoppablecontainerinstances.stoppablecontainer.xtlsoft.top
SYS=stoppablecontainer-system
IMAGE=sc-test/busybox:1
ns=sc-restricted-$$
k() { kubectl -n "$ns" "$@"; }

on_failure() {
	echo "--- objects in $ns"
	k get "$SC,$SCI,pods" -o wide 2>&1
	k get "$SCI" -o jsonpath='{range .items[*]}{.metadata.name}: {.status.rootfs}{"\n"}{end}' 2>&1
	echo "--- events in $ns"
	k get events --sort-by=.lastTimestamp 2>&1 | tail -n 15
	echo "--- controller log"
	kubectl -n $SYS logs deploy/sc-controller --tail=10 2>&1 | cut -c1-400
	echo "--- mount-helper log"
	kubectl -n $SYS logs -l app.kubernetes.io/name=sc-mount-helper --tail=15 2>&1 | cut -c1-400
}

# make_sc NAME UID (0: a root template that asks for nothing else)
make_sc() {
	local sc_yaml
	if (($2 == 0)); then
		sc_yaml="    securityContext: {runAsUser: 0}"
	else
		sc_yaml="    securityContext:
      runAsNonRoot: true
      runAsUser: $2
      runAsGroup: $2
      supplementalGroups: [4242]
      seccompProfile: {type: RuntimeDefault}"
	fi
	k apply -f - >/dev/null <<YAML
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: $1}
spec:
  running: true
  template:
$sc_yaml
    container:
      image: $IMAGE
      imagePullPolicy: Never
      workingDir: /tmp
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
YAML
}

phase() { k get "$SC" "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
wait_phase() { # NAME PHASE [TIMEOUT]
	k wait --for=jsonpath='{.status.phase}'="$2" "$SC/$1" --timeout="${3:-180}s" >/dev/null 2>&1 ||
		fail "$1 did not reach phase $2 (now: $(phase "$1"): $(k get "$SC" "$1" -o jsonpath='{.status.message}'))"
}
set_running() { k patch "$SC" "$1" --type=merge -p "{\"spec\":{\"running\":$2}}" >/dev/null; }
pod_gone() { ! k get pod "$1" >/dev/null 2>&1; }
runtime_hook() { [[ $(k get "$SCI" "$1" -o jsonpath='{.status.rootfs.runtimeHook}' 2>/dev/null) == true ]]; }

t_non_root_runs_in_the_rootfs() {
	make_sc dev 1000
	wait_until 120 "the node to offer the runtime hook (status.rootfs.runtimeHook)" runtime_hook dev ||
		fail "the mount-helper did not report runtimeHook: is its NRI plugin registered?"
	wait_phase dev Running
	local img mode id pwd
	img=$(k get pod dev -o jsonpath='{.spec.containers[0].image}')
	[[ $img == "$IMAGE" ]] || fail "the workload pod's image is $img, not the user's $IMAGE"
	mode=$(k get pod dev -o jsonpath='{.metadata.annotations.stoppablecontainer\.xtlsoft\.top/rootfs-mode}')
	[[ $mode == runtime ]] || fail "the workload pod is not on the runtime path (rootfs-mode: '$mode')"
	id=$(k exec dev -- id)
	expect_contains "$id" "uid=1000 gid=1000" "kubectl exec -- id"
	expect_contains "$id" "4242" "kubectl exec -- id (supplementalGroups)"
	pwd=$(k exec dev -- pwd)
	[[ $pwd == /tmp ]] || fail "kubectl exec -- pwd printed '$pwd', not the template's /tmp"
	# PID 1 is the template's own command, as the template's user.
	[[ $(k exec dev -- cat /proc/1/status | awk '/^Uid:/ {print $2}') == 1000 ]] ||
		fail "PID 1 does not run as uid 1000"
	[[ $(k exec dev -- sh -c 'grep CapEff /proc/1/status') == *0000000000000000 ]] ||
		fail "PID 1 has effective capabilities"
	k exec dev -- sh -c 'echo kept-across-restarts > /tmp/persist' || fail "writing a file"
	# The file is in the instance's upper directory on the host.
	local hp
	hp=$(k get "$SCI" dev -o jsonpath='{.status.hostPath}')
	[[ $(cat "$hp/upper/tmp/persist" 2>/dev/null) == kept-across-restarts ]] ||
		fail "the file is not in the persistent upper ($hp/upper)"

	set_running dev false
	wait_phase dev Stopped
	wait_until 120 "the workload pod to go" pod_gone dev
	set_running dev true
	wait_phase dev Running
	[[ $(k exec dev -- cat /tmp/persist) == kept-across-restarts ]] ||
		fail "the file did not survive stop/start"
	expect_contains "$(k exec dev -- id)" "uid=1000 gid=1000" "id after restart"
}

t_root_template_is_refused_and_explained() {
	make_sc rootly 0
	k wait --for=jsonpath='{.status.phase}'=Failed "$SC/rootly" --timeout=180s >/dev/null ||
		fail "rootly did not turn Failed: $(k get "$SC" rootly -o jsonpath='{.status.message}')"
	local msg
	msg=$(k get "$SC" rootly -o jsonpath='{.status.message}')
	expect_contains "$msg" "the workload pod rootly was refused by the API server" "the message"
	expect_contains "$msg" 'violates PodSecurity "restricted' "the message"
	[[ $(k get "$SC" rootly -o jsonpath='{.status.conditions[?(@.type=="ConsumerReady")].reason}') == PodRefused ]] ||
		fail "ConsumerReady does not say PodRefused"
	wait_until 60 "a PodRefused event" bash -c \
		"kubectl -n $ns get events --field-selector involvedObject.name=rootly,reason=PodRefused -o name | grep -q ."
}

# Start times (printed, never asserted) of one path: the first start (the
# provider pulls nothing: the image is local; the rootfs is new) and a warm
# start (stopped, then running again), from spec.running=true to Running.
measure_starts() { # NAME LABEL T0 (when the StoppableContainer was created)
	local t0=$3 t1
	wait_phase "$1" Running
	t1=$(date +%s.%N)
	echo "# $2: first start $(echo "$t1 - $t0" | bc) s"
	set_running "$1" false
	wait_phase "$1" Stopped
	wait_until 120 "the workload pod to go" pod_gone "$1"
	t0=$(date +%s.%N)
	set_running "$1" true
	wait_phase "$1" Running
	t1=$(date +%s.%N)
	echo "# $2: warm start $(echo "$t1 - $t0" | bc) s"
}

t_start_times_of_both_paths() {
	# Today's path (sc-exec, chroot) in a baseline namespace with the
	# switch off, then the runtime path with it on; the same template.
	local bns=$ns-baseline
	kubectl create namespace "$bns" >/dev/null
	kubectl label namespace "$bns" pod-security.kubernetes.io/enforce=baseline >/dev/null
	set_switch off
	local t0
	t0=$(date +%s.%N)
	ns=$bns make_sc timed 1000
	ns=$bns measure_starts timed "chroot path (sc-exec)" "$t0"
	[[ -z $(ns=$bns k get pod timed -o jsonpath='{.metadata.annotations.stoppablecontainer\.xtlsoft\.top/rootfs-mode}') ]] ||
		fail "with the switch off the workload pod took the runtime path"
	kubectl -n "$bns" delete "$SC" timed --wait=true --timeout=120s >/dev/null
	kubectl delete namespace "$bns" --wait=false >/dev/null
	set_switch auto
	t0=$(date +%s.%N)
	make_sc timed 1000
	measure_starts timed "runtime path (NRI hook)" "$t0"
	[[ $(k get pod timed -o jsonpath='{.metadata.annotations.stoppablecontainer\.xtlsoft\.top/rootfs-mode}') == runtime ]] ||
		fail "with the switch on the workload pod did not take the runtime path"
}

set_switch() { # auto | off
	if [[ $1 == auto ]]; then
		kubectl -n $SYS set env deployment/sc-controller SC_RUNTIME_PATH=auto >/dev/null
	else
		kubectl -n $SYS set env deployment/sc-controller SC_RUNTIME_PATH- >/dev/null
	fi
	kubectl -n $SYS rollout status deployment/sc-controller --timeout=120s >/dev/null
}

nri=1
if [[ ${SC_CONTAINERD:-} != 2 ]]; then
	echo "the runtime path needs NRI (containerd 2.x, SC_CONTAINERD=2): skipping"
	nri=0
	TEST_ONLY='^$'
fi
if ((nri)); then
	kubectl create namespace "$ns" >/dev/null
	kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
	set_switch auto
fi
run_test "a non-root StoppableContainer runs in a restricted namespace as its template says, and keeps its files" t_non_root_runs_in_the_rootfs
run_test "a root template is refused in a restricted namespace, and says why" t_root_template_is_refused_and_explained
run_test "start times of the chroot path and the runtime path (measured)" t_start_times_of_both_paths
if ((nri)); then
	k delete "$SC" --all --wait=true --timeout=180s >/dev/null 2>&1 || echo "warning: StoppableContainers in $ns not deleted in time"
	kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=180s >/dev/null 2>&1 ||
		echo "warning: namespace $ns not deleted in time"
	set_switch off
fi
finish
