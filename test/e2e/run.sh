#!/usr/bin/env bash
# End-to-end tests of StoppableContainer on the project's real local cluster
# (hack/cluster/) with the real images: it deploys the operator
# (hack/deploy.sh), then drives StoppableContainers through kubectl in a
# namespace that enforces the baseline Pod Security Standard.
#
# Needs root and the cluster up (hack/test.sh brings it up). Prints
# "N passed, N failed"; on a failure it prints events and operator logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib.sh
eval "$(hack/cluster/cluster.sh env)"
SC=stoppablecontainers.stoppablecontainer.xtlsoft.top
SCI=stoppablecontainerinstances.stoppablecontainer.xtlsoft.top
SYS=stoppablecontainer-system
IMAGE=sc-test/busybox:1
APP_IMAGE=sc-test/imageconfig:1
ns=sc-e2e-$$
k() { kubectl -n "$ns" "$@"; }

on_failure() {
	echo "--- stoppablecontainers and pods in $ns"
	k get "$SC,$SCI,pods" -o wide 2>&1
	echo "--- events in $ns"
	k get events --sort-by=.lastTimestamp 2>&1 | tail -n 15
	echo "--- controller log"
	kubectl -n $SYS logs -l app.kubernetes.io/name=sc-controller --tail=15 --prefix 2>&1 | cut -c1-400
	echo "--- mount-helper log"
	kubectl -n $SYS logs -l app.kubernetes.io/name=sc-mount-helper --tail=15 2>&1 | cut -c1-400
}

# make_sc NAME RUNNING [EXTRA-CONTAINER-YAML] [EXTRA-SPEC-YAML]
make_sc() {
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: $1}
spec:
  running: $2
${4:-}
  template:
    container:
      image: $IMAGE
      imagePullPolicy: Never
${3:-      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}
EOF
}

phase() { k get "$SC" "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
# wait_phase NAME PHASE [TIMEOUT]
wait_phase() {
	if ! k wait --for=jsonpath='{.status.phase}'="$2" "$SC/$1" --timeout="${3:-120}s" >/dev/null 2>&1; then
		fail "$1 did not reach phase $2 (now: $(phase "$1"): $(k get "$SC" "$1" -o jsonpath='{.status.message}'))"
	fi
}
set_running() { k patch "$SC" "$1" --type=merge -p "{\"spec\":{\"running\":$2}}" >/dev/null; }
pod_gone() { ! k get pod "$1" >/dev/null 2>&1; }
pod_uid() { k get pod "$1" -o jsonpath='{.metadata.uid}' 2>/dev/null; }
exec_in() { local n=$1; shift; k exec "$n" -- "$@"; }
instance_uid() { k get "$SCI" "$1" -o jsonpath='{.metadata.uid}'; }

# A tree of files whose checksum must survive every cycle.
write_tree() {
	exec_in "$1" sh -c 'mkdir -p /data/a/b /etc/myapp && i=0; while [ $i -lt 50 ]; do
		echo "file $i $RANDOM" > /data/a/b/f$i; i=$((i+1)); done;
		echo "setting=1" > /etc/myapp/conf;
		printf "#!/bin/sh\necho installed-tool-runs \"\$@\"\n" > /usr/bin/mytool; chmod 755 /usr/bin/mytool;
		rm -f /bin/vi; chmod 0750 /data/a'
}
tree_sum() {
	exec_in "$1" sh -c 'cd / && { find /data /etc/myapp -type f | sort | xargs md5sum;
		ls -ld /data/a; [ -e /bin/vi ] && echo vi-present || echo vi-deleted; } | md5sum'
}

# workload_pid NAME: the workload's process (sc-exec's child) in its pod's PID namespace.
workload_pid() {
	local c
	c=$(exec_in "$1" sh -c 'cut -d" " -f1 /proc/1/task/1/children') || return 1
	[[ -n $c ]] || return 1
	echo "$c"
}

# stop_start_keeps NAME SUM AFTER: one more stop/start keeps the tree's sum.
stop_start_keeps() {
	set_running "$1" false
	wait_phase "$1" Stopped 180
	set_running "$1" true
	wait_phase "$1" Running 180
	[[ $(tree_sum "$1") == "$2" ]] || fail "files changed after stop/start following $3"
}

t_deploy() {
	hack/deploy.sh >/dev/null
	kubectl create namespace "$ns" >/dev/null
	kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=baseline \
		pod-security.kubernetes.io/warn=baseline >/dev/null
}

t_seed_example() {
	# The seed's quick example, with a local image (no registry here).
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata:
  name: my-app
spec:
  running: true
  template:
    container:
      image: $IMAGE
      imagePullPolicy: Never
      command: ["/bin/sh"]
      stdin: true
      tty: true
EOF
	wait_phase my-app Running
	# An interactive shell as the workload stays up, as with kubectl run -it.
	[[ $(exec_in my-app sh -c 'cat /proc/1/cmdline | tr "\0" " "') == "/sc-exec --node $SC_NODE_NAME -- /bin/sh " ]] ||
		fail "PID 1 is not sc-exec running /bin/sh"
	exec_in my-app sh -c 'echo hello > /root/hello'
	set_running my-app false
	wait_phase my-app Stopped
	set_running my-app true
	wait_phase my-app Running
	[[ $(exec_in my-app cat /root/hello) == hello ]] || fail "/root/hello did not survive stop/start"
}

t_seed_shell_without_stdin() {
	# The seed's quick example as it is written: a shell as the command,
	# no stdin, no tty (/bin/sh here: the local image has no bash). It
	# runs and stays up, and a stop takes no grace period.
	make_sc seedsh true '      command: ["/bin/sh"]' '  # the seed'"'"'s example'
	wait_phase seedsh Running
	[[ $(k get pod seedsh -o jsonpath='{.status.containerStatuses[0].restartCount}') == 0 ]] ||
		fail "the shell restarted"
	exec_in seedsh sh -c 'echo kept > /root/kept'
	k patch "$SC" seedsh --type=merge -p '{"spec":{"template":{"terminationGracePeriodSeconds":300}}}' >/dev/null
	set_running seedsh false
	# SIGTERM ends a shell that is not interactive: far within 300 s.
	wait_phase seedsh Stopped 60
	set_running seedsh true
	wait_phase seedsh Running
	[[ $(exec_in seedsh cat /root/kept) == kept ]] || fail "/root/kept did not survive"
	k delete "$SC" seedsh --wait=true --timeout=120s >/dev/null || fail "deleting seedsh timed out"
}

t_interactive_shell_stops_on_hangup() {
	# stdin and tty, as kubectl run -it: an interactive shell ignores
	# SIGTERM; sc-exec adds the hangup a closed terminal sends. With a
	# 300 s grace period, the stop must come from that, not from SIGKILL.
	make_sc itty true '      command: ["/bin/sh"]
      stdin: true
      tty: true' '  # interactive'
	k patch "$SC" itty --type=merge -p '{"spec":{"template":{"terminationGracePeriodSeconds":300}}}' >/dev/null
	wait_phase itty Running
	[[ $(exec_in itty sh -c 'grep SigIgn /proc/$(cut -d" " -f1 /proc/1/task/1/children)/status' | awk '{print $2}') =~ [0-9a-f]*[4-7c-f][0-9a-f]{3}$ ]] ||
		fail "the interactive shell does not ignore SIGTERM (the test would prove nothing)"
	set_running itty false
	wait_phase itty Stopped 60
	k delete "$SC" itty --wait=true --timeout=120s >/dev/null || fail "deleting itty timed out"
}

t_persistence_cycles() {
	make_sc persist true
	wait_phase persist Running
	write_tree persist
	local sum provider
	sum=$(tree_sum persist)
	provider=$(pod_uid persist-provider)
	for cycle in 1 2 3; do
		set_running persist false
		wait_phase persist Stopped
		pod_gone persist || fail "cycle $cycle: the consumer pod is still there when Stopped"
		[[ $(pod_uid persist-provider) == "$provider" ]] || fail "cycle $cycle: the provider pod was replaced"
		set_running persist true
		wait_phase persist Running
		[[ $(tree_sum persist) == "$sum" ]] || fail "cycle $cycle: the file tree changed across stop/start"
	done
	# A command installed after the first start runs through kubectl exec.
	exec_in persist mytool | grep -q installed-tool-runs ||
		fail "a command installed into the rootfs does not run"
	# A running StoppableContainer settles: four starts are a handful of
	# ConsumerStarting transitions, not a status loop's hundreds.
	local flips
	flips=$(k get events --field-selector involvedObject.name=persist,reason=ConsumerStarting -o json |
		jq '[.items[] | (.count // 1)] | add // 0')
	((flips <= 12)) || fail "$flips ConsumerStarting transitions for 4 starts: the status does not settle"
}

t_workload_isolation() {
	local procs devs
	# The workload sees its own container's /proc: sc-exec, its child, and us.
	procs=$(exec_in persist sh -c 'ls -d /proc/[0-9]* | wc -l')
	((procs <= 6)) || fail "/proc shows $procs processes, more than the container's own"
	[[ $(exec_in persist cat /proc/1/comm) == sc-exec ]] || fail "PID 1 in /proc is not sc-exec"
	# ... and its own /dev, not the host's disks.
	devs=$(exec_in persist sh -c 'ls /dev')
	grep -qE '^(vda|sda|nvme0n1)$' <<<"$devs" && fail "/dev shows host disks: $devs"
	grep -qx null <<<"$devs" || fail "/dev has no null: $devs"
	# ... and its own /sys: read-only, showing its own network namespace's
	# devices, not the host's bridge.
	exec_in persist sh -c 'grep " /sys " /proc/self/mountinfo' | grep -qE ' ro[, ]' ||
		fail "/sys in the workload is not the container's read-only sysfs"
	! exec_in persist ls /sys/class/net | grep -qx sc-br0 || fail "/sys shows the host's network devices"
	# Nothing of /proc or /dev was written into the persistent upper layer.
	local upper
	upper=/var/lib/stoppablecontainer/$ns/persist/$(instance_uid persist)/upper
	[[ -d $upper ]] || fail "no upper layer at $upper"
	[[ -z $(ls -A "$upper/proc" 2>/dev/null) && -z $(ls -A "$upper/dev" 2>/dev/null) ]] ||
		fail "the upper layer holds files under /proc or /dev"
	# CAP_SYS_CHROOT is gone from the workload's bounding set (bit 18): the
	# workload is sc-exec's child. (A kubectl exec session gets the
	# container's own set from the runtime, the defaults plus SYS_CHROOT.)
	local bnd
	bnd=$(exec_in persist sh -c 'c=$(cut -d" " -f1 /proc/1/task/1/children); grep CapBnd /proc/$c/status' | awk '{print $2}')
	[[ -n $bnd ]] || fail "could not read the workload's bounding set"
	(( (16#$bnd >> 18) & 1 )) && fail "the workload still has CAP_SYS_CHROOT in its bounding set ($bnd)"
	# The runtime's default seccomp profile, as the provider has: no user
	# namespaces or mounts from inside unless the template asks otherwise.
	[[ $(k get pod persist -o jsonpath='{.spec.securityContext.seccompProfile.type}') == RuntimeDefault ]] ||
		fail "the workload pod is not RuntimeDefault seccomp"
	exec_in persist unshare -Urm true 2>/dev/null && fail "unshare -Urm succeeded inside the workload"
	return 0
}

t_user_env_wins() {
	# The user's NODE_NAME is the user's; sc-exec learns the node otherwise.
	make_sc envy true '      command: ["sh", "-c", "trap '"'"'exit 0'"'"' TERM; while true; do sleep 1; done"]
      env: [{name: NODE_NAME, value: mine}]'
	wait_phase envy Running
	[[ $(exec_in envy sh -c 'c=$(cut -d" " -f1 /proc/1/task/1/children); tr "\0" "\n" < /proc/$c/environ | grep ^NODE_NAME=') == NODE_NAME=mine ]] ||
		fail "the workload's NODE_NAME is not the template's"
	k delete "$SC" envy --wait=true --timeout=120s >/dev/null || fail "deleting envy timed out"
}

t_stop_is_prompt() {
	# SIGTERM reaches a plain sh workload through sc-exec: its trap writes a
	# marker into the persistent rootfs and exits, long before a 600 s grace
	# period would have the kubelet SIGKILL it (no trap then, no marker).
	# The marker is the assertion; the time the stop took is a measurement.
	make_sc prompt false '      command: ["sh", "-c", "rm -f /term-seen; trap '"'"'echo TERM > /term-seen; exit 0'"'"' TERM; while true; do sleep 1; done"]'
	k patch "$SC" prompt --type=merge -p '{"spec":{"running":true,"template":{"terminationGracePeriodSeconds":600}}}' >/dev/null
	wait_phase prompt Running
	[[ $(k get pod prompt -o jsonpath='{.spec.terminationGracePeriodSeconds}') == 600 ]] ||
		fail "the workload pod's grace period is not the template's 600 s"
	exec_in prompt test ! -e /term-seen || fail "the marker is there before the stop"
	local start=$SECONDS
	set_running prompt false
	wait_until 300 "the consumer pod to go after stop" pod_gone prompt
	echo "# stopping took $((SECONDS - start))s (grace period 600s)"
	# The marker is read from the upper layer: starting again would run the
	# command's rm first.
	local f
	f=/var/lib/stoppablecontainer/$ns/prompt/$(instance_uid prompt)/upper/term-seen
	[[ $(cat "$f" 2>&1) == TERM ]] ||
		fail "the workload's TERM trap did not run (no $f): SIGTERM was not forwarded to it"
	k delete "$SC" prompt --wait=true --timeout=120s >/dev/null || fail "deleting prompt timed out"
}

t_provider_recreated() {
	local sum old before
	before=$(tree_sum persist)
	set_running persist false
	wait_phase persist Stopped
	old=$(pod_uid persist-provider)
	k delete pod persist-provider --wait=true >/dev/null
	wait_until 120 "a new provider pod" bash -c "u=\$(kubectl -n $ns get pod persist-provider -o jsonpath='{.metadata.uid}' 2>/dev/null); [[ -n \$u && \$u != $old ]]"
	# It requires the node that holds the rootfs.
	[[ $(k get pod persist-provider -o jsonpath='{.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]}') == \
		"$(k get "$SCI" persist -o jsonpath='{.status.rootfs.nodeName}')" ]] ||
		fail "the new provider is not pinned to the node that holds the rootfs"
	wait_phase persist Stopped
	set_running persist true
	wait_phase persist Running
	sum=$(tree_sum persist)
	set_running persist false
	wait_phase persist Stopped
	set_running persist true
	wait_phase persist Running
	[[ $(tree_sum persist) == "$sum" ]] || fail "files changed after the provider was recreated"
	[[ $sum == "$before" ]] || fail "the files written before the provider was deleted changed"
}

t_provider_deleted_while_running() {
	# The provider pod goes while the workload runs: the workload keeps
	# running on its rootfs, a new provider comes, and the files are the
	# ones checksummed before the deletion.
	wait_phase persist Running
	local sum old consumer started
	sum=$(tree_sum persist)
	old=$(pod_uid persist-provider)
	consumer=$(pod_uid persist)
	started=$(exec_in persist sh -c 'cut -d" " -f22 /proc/1/stat')
	k delete pod persist-provider --wait=true >/dev/null
	wait_until 120 "a new provider pod" bash -c "u=\$(kubectl -n $ns get pod persist-provider -o jsonpath='{.metadata.uid}' 2>/dev/null); [[ -n \$u && \$u != $old ]]"
	wait_until 240 "persist Running on a rootfs of the new provider" bash -c \
		"[[ \$(kubectl -n $ns get $SC persist -o jsonpath='{.status.phase}') == Running && -n \$(kubectl -n $ns get $SCI persist -o jsonpath='{.status.rootfs.providerPodUID}') && \$(kubectl -n $ns get $SCI persist -o jsonpath='{.status.rootfs.providerPodUID}') != $old ]]"
	[[ $(tree_sum persist) == "$sum" ]] || fail "the files changed when the provider was deleted while running"
	if [[ $(pod_uid persist) == "$consumer" ]]; then
		[[ $(exec_in persist sh -c 'cut -d" " -f22 /proc/1/stat') == "$started" ]] ||
			fail "the workload container restarted when the provider was deleted"
	else
		echo "# the consumer pod was replaced when the provider was deleted"
	fi
	stop_start_keeps persist "$sum" "the provider's deletion while running"
}

t_mount_helper_restart() {
	local before sum
	sum=$(tree_sum persist)
	before=$(exec_in persist sh -c 'cat /proc/1/stat | cut -d" " -f22')
	kubectl -n $SYS delete pod -l app.kubernetes.io/name=sc-mount-helper --wait=true >/dev/null
	kubectl -n $SYS rollout status daemonset/sc-mount-helper --timeout=120s >/dev/null
	[[ $(exec_in persist sh -c 'cat /proc/1/stat | cut -d" " -f22') == "$before" ]] ||
		fail "the workload restarted when the mount-helper did"
	[[ $(tree_sum persist) == "$sum" ]] || fail "the files changed when the mount-helper restarted"
	stop_start_keeps persist "$sum" "a mount-helper restart"
}

t_controller_restart() {
	kubectl -n $SYS delete pod -l app.kubernetes.io/name=sc-controller --wait=false >/dev/null
	set_running persist false
	kubectl -n $SYS rollout status deployment/sc-controller --timeout=120s >/dev/null
	wait_phase persist Stopped 180
	set_running persist true
	wait_phase persist Running 180
	local n
	n=$(k get pods -l stoppablecontainer.xtlsoft.top/instance=persist -o name | wc -l)
	((n == 2)) || fail "expected exactly 2 pods (provider, consumer), found $n"
}

t_runtime_restart() {
	# containerd and the kubelet die hard (kill -9) and come back: the
	# rootfs and the files in it are intact, and stop/start works after.
	local sum
	sum=$(tree_sum persist)
	local pids
	pids=$(pgrep -x kubelet; pgrep -x containerd)
	[[ -n $pids ]] || fail "no kubelet or containerd process found"
	kill -9 $pids
	wait_until 30 "kubelet and containerd to be gone" bash -c '! pgrep -x kubelet && ! pgrep -x containerd'
	hack/cluster/cluster.sh up >/dev/null || fail "cluster.sh up did not bring them back"
	kubectl wait --for=condition=Ready node --all --timeout=120s >/dev/null || fail "node not Ready"
	wait_phase persist Running 180
	[[ $(tree_sum persist) == "$sum" ]] || fail "files changed across the runtime restart"
	stop_start_keeps persist "$sum" "the runtime restart"
}

# Pids of the controller replicas on this node, and the one of pod $1.
controller_pids() { pgrep -x sc-controller || true; }
controller_pid_of() {
	local p
	for p in $(controller_pids); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "POD_NAME=$1" && echo "$p"
	done
	return 0
}
lease_holder() { kubectl -n $SYS get lease stoppablecontainer-controller -o jsonpath='{.spec.holderIdentity}'; }

# converged NAME RUNNING: the phase matches and the instance has exactly its
# pods (a provider, and a consumer when running), all owned by it.
converged() {
	local want=Stopped pods=1 uid n owners
	[[ $2 == true ]] && want=Running pods=2
	[[ $(phase "$1") == "$want" ]] || return 1
	uid=$(instance_uid "$1") || return 1
	n=$(k get pods -l "stoppablecontainer.xtlsoft.top/instance=$1" -o name | wc -l)
	owners=$(k get pods -l "stoppablecontainer.xtlsoft.top/instance=$1" \
		-o jsonpath='{range .items[*]}{.metadata.ownerReferences[0].uid}{"\n"}{end}' | sort -u)
	((n == pods)) && [[ $owners == "$uid" ]]
}

t_controller_killed_midway() {
	# Eight StoppableContainers at once, half of them running; every
	# controller process is killed (-9) as they start converging and again
	# once pods appear. Back up, the controllers converge all eight with
	# exactly their pods: none duplicated, none forgotten.
	local i running
	for i in 1 2 3 4 5 6 7 8; do
		running=false
		((i % 2 == 0)) && running=true
		make_sc "burst$i" "$running"
	done
	[[ -n $(controller_pids) ]] || fail "no sc-controller process on this node"
	# shellcheck disable=SC2046 # one pid per word
	kill -9 $(controller_pids)
	wait_until 120 "a provider pod of the burst" bash -c \
		"kubectl -n $ns get pods -o name | grep -q 'pod/burst.-provider'"
	wait_until 60 "a controller process back" bash -c '[[ -n $(pgrep -x sc-controller) ]]'
	# shellcheck disable=SC2046 # one pid per word
	kill -9 $(controller_pids)
	for i in 1 2 3 4 5 6 7 8; do
		running=false
		((i % 2 == 0)) && running=true
		wait_until 240 "burst$i to converge (running=$running)" converged "burst$i" "$running"
	done
	[[ $(k get "$SCI" -o name | grep -c '/burst') == 8 ]] || fail "expected 8 burst instances"
	k delete "$SC" burst1 burst2 burst3 burst4 burst5 burst6 burst7 burst8 --wait=true --timeout=180s >/dev/null ||
		fail "deleting the burst timed out"
}

t_leader_failover() {
	# The leader freezes (SIGSTOP: it neither renews nor releases its
	# Lease). The standby takes over within the lease duration and acts on
	# a change made meanwhile; the old leader, thawed, steps down (it exits
	# and comes back as a standby) rather than lead a second time.
	kubectl -n $SYS rollout status deployment/sc-controller --timeout=120s >/dev/null
	local holder pod pid restarts duration t0 took
	wait_until 60 "a Lease holder" bash -c "[[ -n \$(kubectl -n $SYS get lease stoppablecontainer-controller -o jsonpath='{.spec.holderIdentity}') ]]"
	holder=$(lease_holder)
	pod=${holder%_*}
	pid=$(controller_pid_of "$pod")
	[[ -n $pid ]] || fail "no process for the leader $holder"
	restarts=$(kubectl -n $SYS get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
	duration=$(kubectl -n $SYS get lease stoppablecontainer-controller -o jsonpath='{.spec.leaseDurationSeconds}')
	kill -STOP "$pid"
	t0=$SECONDS
	set_running persist false
	if ! wait_until $((duration + 30)) "another replica to take the Lease" \
		bash -c "h=\$(kubectl -n $SYS get lease stoppablecontainer-controller -o jsonpath='{.spec.holderIdentity}'); [[ -n \$h && \${h%_*} != $pod ]]"; then
		kill -CONT "$pid"
		return 1
	fi
	took=$((SECONDS - t0))
	kill -CONT "$pid"
	# A measurement, not an assertion (expected: about the lease duration
	# plus a retry period); the deadline above is only a generous bound.
	echo "# failover took ${took}s (lease duration ${duration}s)"
	wait_phase persist Stopped 60
	wait_until 60 "the thawed leader to step down and restart" bash -c \
		"(( \$(kubectl -n $SYS get pod $pod -o jsonpath='{.status.containerStatuses[0].restartCount}') > $restarts ))"
	[[ $(lease_holder) != "$pod"_* ]] || fail "the thawed leader took the Lease back"
	set_running persist true
	wait_phase persist Running 120
}

t_node_reboot() {
	# A power cut: every process of the node dies at once and every mount
	# is gone, the overlays of the mount-helper too. After the boot, the
	# mount-helper mounts the same upper layer over the new provider's
	# layers, and every file is there.
	local sum uid dir mp cid
	sum=$(tree_sum persist)
	uid=$(instance_uid persist)
	cid=$(k get "$SCI" persist -o jsonpath='{.status.rootfs.workloadContainerID}')
	[[ -n $cid ]] || fail "no workload container recorded before the crash"
	dir=/var/lib/stoppablecontainer/$ns/persist/$uid
	hack/cluster/cluster.sh crash >/dev/null 2>&1 || fail "cluster.sh crash failed"
	while read -r mp; do
		umount -l "$mp" || fail "could not unmount $mp"
	done < <(awk '$5 ~ "^/var/lib/stoppablecontainer/" {print $5}' /proc/self/mountinfo | sort -r)
	! grep -q " $dir/rootfs " /proc/self/mountinfo || fail "the overlay is still mounted"
	[[ -d $dir/upper/data/a/b ]] || fail "the upper layer lost files on the crash"
	hack/cluster/cluster.sh up >/dev/null 2>&1 || fail "cluster.sh up did not boot the node again"
	kubectl wait --for=condition=Ready node --all --timeout=120s >/dev/null || fail "node not Ready"
	# The status still says Running from before the crash: wait for the
	# rootfs to be stacked on the new workload container.
	wait_until 300 "the rootfs stacked on a new workload container" bash -c \
		"c=\$(kubectl -n $ns get $SCI persist -o jsonpath='{.status.rootfs.workloadContainerID}'); [[ -n \$c && \$c != $cid ]]"
	wait_phase persist Running 120
	grep " $dir/rootfs " /proc/self/mountinfo | grep -q "upperdir=$dir/upper," ||
		fail "the rootfs is not mounted again over the same upper layer"
	[[ $(tree_sum persist) == "$sum" ]] || fail "files changed across the reboot"
	stop_start_keeps persist "$sum" "the reboot"
}

t_image_defaults() {
	# No command: the image's CMD (/bin/sh) runs, kept up by stdin and tty,
	# with the image's ENV.
	make_sc imgdefault true '      stdin: true
      tty: true'
	wait_phase imgdefault Running
	[[ $(exec_in imgdefault sh -c 'tr "\0" " " < /proc/1/cmdline') == "/sc-exec --node $SC_NODE_NAME -- /bin/sh " ]] ||
		fail "the image's CMD did not run"
	[[ $(exec_in imgdefault sh -c 'echo $PATH') == /usr/sbin:/usr/bin:/sbin:/bin ]] ||
		fail "the image's PATH is not the workload's"
}

# build_app_image: an image with its own ENTRYPOINT, CMD, ENV, WORKDIR and
# USER, built as sc-test/busybox is (hack/cluster/cluster.sh: the machine's
# busybox-static in one layer written by hack/lib/image.sh), imported into
# the node's containerd with `cluster.sh import-image`. Its entrypoint
# records what it was started with in /tmp/seen, then waits for SIGTERM.
build_app_image() {
	local tree out rc
	tree=$(mktemp -d)
	out=$(mktemp -d)
	# shellcheck source=hack/lib/image.sh
	source hack/lib/image.sh
	busybox_tree "$tree"
	mkdir -p "$tree"/{usr/local/bin,srv/app,home/app}
	printf 'app:x:1234:2345:app:/home/app:/bin/sh\n' >>"$tree/etc/passwd"
	printf 'apps:x:2345:\n' >>"$tree/etc/group"
	cat >"$tree/usr/local/bin/entry" <<'SCRIPT'
#!/bin/sh
{
	printf 'args:'
	for a in "$@"; do printf ' [%s]' "$a"; done
	echo
	echo "pwd: $(pwd -P)"
	echo "cwd: $(readlink /proc/self/cwd)"
	echo "id: $(id -u):$(id -g)"
	echo "greeting: $GREETING"
} >/tmp/seen
trap 'exit 0' TERM
while true; do sleep 1; done
SCRIPT
	chmod 755 "$tree/usr/local/bin/entry"
	(
		write_docker_archive "$APP_IMAGE" "$tree" "$out/app.tar" \
			'{"Entrypoint":["/usr/local/bin/entry","from-entrypoint"],"Cmd":["from-cmd","two words"],
			  "Env":["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GREETING=hello from the image"],
			  "WorkingDir":"/srv/app","User":"app"}'
	) && hack/cluster/cluster.sh import-image "$out/app.tar" >/dev/null
	rc=$?
	rm -rf "$tree" "$out"
	return $rc
}

t_image_config() {
	# No command, no workingDir, no user, no env in the template: the
	# image's ENTRYPOINT + CMD run, as USER, in WORKDIR, with its ENV.
	build_app_image || fail "could not build and import $APP_IMAGE"
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: appcfg}
spec:
  running: true
  template:
    container: {image: $APP_IMAGE, imagePullPolicy: Never}
EOF
	wait_phase appcfg Running 180
	local pid seen
	pid=$(workload_pid appcfg) || fail "no workload process under sc-exec"
	wait_until 30 "the entrypoint to write /tmp/seen" exec_in appcfg test -s /tmp/seen
	seen=$(exec_in appcfg cat /tmp/seen)
	# What the process itself saw ...
	expect_contains "$seen" "args: [from-entrypoint] [from-cmd] [two words]" "the entrypoint's arguments (ENTRYPOINT + CMD)"
	expect_contains "$seen" "pwd: /srv/app" "the entrypoint's working directory (WORKDIR)"
	expect_contains "$seen" "cwd: /srv/app" "the entrypoint's working directory (WORKDIR)"
	expect_contains "$seen" "id: 1234:2345" "the entrypoint's user (USER app, from the rootfs's /etc/passwd)"
	expect_contains "$seen" "greeting: hello from the image" "the entrypoint's environment (ENV)"
	# ... and what /proc says of it (its command line is world-readable;
	# its status and environment are read from the node, as root there:
	# a kubectl exec session lacks CAP_SYS_PTRACE for another UID).
	[[ $(exec_in appcfg sh -c "tr '\0' ' ' </proc/$pid/cmdline") == "/bin/sh /usr/local/bin/entry from-entrypoint from-cmd two words " ]] ||
		fail "the workload's command line is not ENTRYPOINT + CMD: $(exec_in appcfg sh -c "tr '\0' ' ' </proc/$pid/cmdline")"
	local hpid env
	hpid=$(pgrep -f '^/bin/sh /usr/local/bin/entry from-entrypoint from-cmd two words$')
	[[ $hpid =~ ^[0-9]+$ ]] || fail "not exactly one workload process of appcfg on the node: '$hpid'"
	[[ $(awk '/^Uid:/ {print $2,$3,$4,$5}' "/proc/$hpid/status") == "1234 1234 1234 1234" ]] ||
		fail "the workload does not run as UID 1234: $(grep -E '^(Uid|Gid):' "/proc/$hpid/status")"
	[[ $(awk '/^Gid:/ {print $2,$3,$4,$5}' "/proc/$hpid/status") == "2345 2345 2345 2345" ]] ||
		fail "the workload does not run as GID 2345: $(grep -E '^(Uid|Gid):' "/proc/$hpid/status")"
	env=$(tr '\0' '\n' <"/proc/$hpid/environ")
	grep -qx 'GREETING=hello from the image' <<<"$env" || fail "GREETING is not in the workload's environment: $env"
	grep -qx 'PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$env" || fail "the image's PATH is not the workload's: $env"
	k delete "$SC" appcfg --wait=true --timeout=120s >/dev/null || fail "deleting appcfg timed out"
}

t_volumes() {
	# ConfigMap, Secret and emptyDir volumes and the service-account token,
	# each read by the workload itself (it copies them into the emptyDir),
	# and again after a stop/start (re-attached to the new workload).
	k create configmap vol-cm --from-literal=greeting=from-the-configmap >/dev/null
	k create secret generic vol-secret --from-literal=password=s3cret-value >/dev/null
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: vols}
spec:
  running: true
  template:
    container:
      image: $IMAGE
      imagePullPolicy: Never
      command:
      - sh
      - -c
      - |
        t=/var/run/secrets/kubernetes.io/serviceaccount
        cat /etc/cm/greeting >/scratch/cm; cat /etc/secret/password >/scratch/secret
        cat \$t/namespace >/scratch/ns; cat \$t/token >/scratch/token
        echo \$\$ >/scratch/done
        trap 'exit 0' TERM; while true; do sleep 1; done
      volumeMounts:
      - {name: cm, mountPath: /etc/cm, readOnly: true}
      - {name: secret, mountPath: /etc/secret, readOnly: true}
      - {name: scratch, mountPath: /scratch}
      - {name: nested, mountPath: /data/vol}
    volumes:
    - {name: cm, configMap: {name: vol-cm}}
    - {name: secret, secret: {secretName: vol-secret}}
    - {name: scratch, emptyDir: {}}
    - {name: nested, emptyDir: {}}
EOF
	wait_phase vols Running 180
	local round upper payload
	upper=/var/lib/stoppablecontainer/$ns/vols/$(instance_uid vols)/upper
	for round in first restarted; do
		wait_until 60 "the workload to read its volumes ($round)" exec_in vols test -s /scratch/done
		[[ $(exec_in vols cat /scratch/cm) == from-the-configmap ]] || fail "$round: the workload did not read the ConfigMap"
		[[ $(exec_in vols cat /scratch/secret) == s3cret-value ]] || fail "$round: the workload did not read the Secret"
		[[ $(exec_in vols cat /scratch/ns) == "$ns" ]] || fail "$round: the workload did not read the token's namespace"
		# The token is a JWT for the pod's service account.
		payload=$(exec_in vols cat /scratch/token | cut -d. -f2 | tr '_-' '/+')
		while ((${#payload} % 4)); do payload+='='; done
		[[ $(base64 -d <<<"$payload" | jq -r '.sub') == "system:serviceaccount:$ns:default" ]] ||
			fail "$round: the token the workload read is not the default service account's"
		# The volumes are not part of the persistent rootfs.
		[[ ! -e $upper/scratch/done && ! -e $upper/etc/cm/greeting && ! -e $upper/etc/secret/password ]] ||
			fail "$round: volume contents were written into the upper layer"
		if [[ $round == first ]]; then
			exec_in vols sh -c 'echo stays-in-pod >/scratch/marker'
			set_running vols false
			wait_phase vols Stopped
			set_running vols true
			wait_phase vols Running 180
			# A new pod has a new emptyDir.
			wait_until 60 "the restarted workload" exec_in vols test -s /scratch/done
			exec_in vols test ! -e /scratch/marker || fail "the emptyDir survived the stop, it is the pod's"
		fi
	done
	k delete "$SC" vols --wait=true --timeout=180s >/dev/null || fail "deleting vols timed out"
	k delete configmap vol-cm >/dev/null
	k delete secret vol-secret >/dev/null
}

t_mountpoint_symlinks() {
	# Symlinks to host paths where mounts are re-attached at the next start:
	# a volume's mount path, planted by the workload itself (root in its
	# rootfs) before the template gains the volume there, and /etc/hosts,
	# /etc/resolv.conf, the token directory, /dev, /proc and /sys, planted in the stopped
	# upper layer (a running workload cannot: they are mount points, busy
	# to unlink and, in a lower-layer directory, not renamable). The start
	# either refuses or resolves them inside the rootfs; the host's files at
	# those paths (canaries) stay untouched either way.
	local can sum upper rootfs tok=var/run/secrets/kubernetes.io/serviceaccount
	can=$(mktemp -d /tmp/sc-e2e-canary.XXXXXX)
	mkdir -p "$can/vol" "$can/token" "$can/dev" "$can/proc" "$can/sys"
	echo "canary dev" >"$can/dev/null"
	echo "canary proc" >"$can/proc/file"
	echo "canary sys" >"$can/sys/file"
	echo "canary hosts" >"$can/hosts"
	echo "canary resolv.conf" >"$can/resolv.conf"
	echo "canary volume" >"$can/vol/file"
	echo "canary token" >"$can/token/token"
	canary_sum() { (cd "$can" && find . -printf '%p %m %s %l\n' | sort && find . -type f -exec md5sum {} + | sort) | md5sum; }
	sum=$(canary_sum)
	make_sc links true
	wait_phase links Running
	exec_in links ln -s "$can/vol" /newvol || fail "the workload could not plant its symlink"
	set_running links false
	wait_phase links Stopped
	upper=/var/lib/stoppablecontainer/$ns/links/$(instance_uid links)/upper
	rootfs=${upper%/upper}/rootfs
	[[ -L $upper/newvol ]] || fail "the workload's symlink is not in the upper layer"
	mkdir -p "$upper/etc" "$upper/$(dirname $tok)"
	rm -rf "${upper:?}/etc/hosts" "${upper:?}/etc/resolv.conf" "${upper:?}/$tok"
	ln -s "$can/hosts" "$upper/etc/hosts"
	ln -s "$can/resolv.conf" "$upper/etc/resolv.conf"
	ln -s "$can/token" "$upper/$tok"
	local d
	for d in dev proc sys; do
		rm -rf "${upper:?}/$d"
		ln -s "$can/$d" "$upper/$d"
	done
	k patch "$SC" links --type=merge -p '{"spec":{"running":true,"template":{
		"container":{"volumeMounts":[{"name":"v","mountPath":"/newvol"}]},
		"volumes":[{"name":"v","emptyDir":{}}]}}}' >/dev/null
	# 1. The links resolve inside the rootfs, where nothing is at their
	# targets: the mount-helper refuses to stack (and retries), and the
	# StoppableContainer says so: phase Failed, RootfsReady False
	# (StackFailed) with the error naming the mount point, one Warning.
	wait_phase links Failed 180
	local planted='/(proc|dev|sys|newvol|etc/hosts|etc/resolv\.conf|var/run/secrets/kubernetes\.io/serviceaccount)'
	local msg reason
	msg=$(k get "$SC" links -o jsonpath='{.status.message}')
	grep -Eq "mountpoint for $planted: opening mountpoint $planted \(a dangling symlink" <<<"$msg" ||
		fail "the message does not name a refused mount point: $msg"
	echo "# refused, status: phase $(phase links), message '$msg'"
	reason=$(k get "$SC" links -o jsonpath='{.status.conditions[?(@.type=="RootfsReady")].status} {.status.conditions[?(@.type=="RootfsReady")].reason}')
	[[ $reason == "False StackFailed" ]] || fail "RootfsReady is not False/StackFailed: $reason"
	expect_contains "$(k get "$SC" links -o jsonpath='{.status.conditions[?(@.type=="RootfsReady")].message}')" \
		"mountpoint for /" "RootfsReady's message" || fail "RootfsReady does not name the mount point"
	[[ $(canary_sum) == "$sum" ]] || fail "the host's canaries changed: $(cd "$can" && find . -printf '%p %m %s\n')"
	! grep -q " $can" /proc/self/mountinfo || fail "something was mounted on a host canary"
	# Retried with backoff (a second failure in the mount-helper's log),
	# yet one Warning event, not one per retry.
	wait_until 120 "the mount-helper to retry the stack" bash -c \
		"(( \$(kubectl -n $SYS logs -l app.kubernetes.io/name=sc-mount-helper --tail=1000 | grep '\"key\":\"$ns/links\"' | grep -c 'mountpoint for') >= 2 ))" ||
		fail "the mount-helper did not retry the stack"
	local warnings
	warnings=$(k get events --field-selector involvedObject.name=links,type=Warning -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}')
	[[ $(grep -c 'mountpoint for' <<<"$warnings") == 1 ]] || fail "not exactly one Warning naming the mount point: $warnings"
	[[ $(phase links) == Failed ]] || fail "links left Failed while the stack still fails: $(phase links)"
	# 2. Something at the targets inside the rootfs (written through the
	# mounted rootfs): the mounts land there, in the rootfs.
	[[ -d $rootfs/etc ]] || fail "the rootfs is not mounted at $rootfs"
	mkdir -p "$rootfs$can/vol" "$rootfs$can/token" "$rootfs$can/dev" "$rootfs$can/proc" "$rootfs$can/sys"
	echo "decoy hosts" >"$rootfs$can/hosts"
	echo "decoy resolv.conf" >"$rootfs$can/resolv.conf"
	k delete pod links --wait=false >/dev/null # a new workload container, a new try at once
	wait_phase links Running 240
	# Once the stack works, the condition is cleared.
	[[ $(k get "$SC" links -o jsonpath='{.status.conditions[?(@.type=="RootfsReady")].reason}') == Mounted ]] ||
		fail "RootfsReady was not cleared: $(k get "$SC" links -o jsonpath='{.status.conditions[?(@.type=="RootfsReady")]}')"
	[[ $(exec_in links cat /etc/hosts) != "canary hosts" ]] || fail "/etc/hosts in the workload is the host's canary"
	[[ $(exec_in links cat /etc/resolv.conf) != "canary resolv.conf" ]] || fail "/etc/resolv.conf in the workload is the host's canary"
	exec_in links grep -q links /etc/hosts || fail "/etc/hosts in the workload is not the pod's: $(exec_in links cat /etc/hosts)"
	exec_in links test ! -e /newvol/file || fail "the volume path shows the host's canary directory"
	exec_in links sh -c 'echo from-workload > /newvol/w' || fail "the volume at /newvol is not writable"
	exec_in links test -s /$tok/token || fail "no token at the token path"
	exec_in links sh -c "! grep -q 'canary token' /$tok/token" || fail "the token path shows the host's canary"
	exec_in links test -c /dev/null || fail "/dev/null in the workload is not a device (the canary?)"
	[[ $(exec_in links cat /proc/1/comm) == sc-exec ]] || fail "/proc in the workload is not the container's"
	exec_in links test -d /sys/class || fail "/sys in the workload is not a sysfs"
	exec_in links test ! -e /proc/file -a ! -e /sys/file || fail "/proc or /sys in the workload shows the host's canary"
	[[ $(canary_sum) == "$sum" ]] || fail "the host's canaries changed: $(cd "$can" && find . -printf '%p %m %s\n')"
	! grep -q " $can" /proc/self/mountinfo || fail "something was mounted on a host canary"
	[[ ! -e $can/vol/w ]] || fail "the workload's write went to the host's canary directory"
	rm -rf "$can"
	k delete "$SC" links --wait=true --timeout=180s >/dev/null || fail "deleting links timed out"
}

t_failures_are_explained() {
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: noimage}
spec:
  running: true
  template:
    container: {image: "sc-test/does-not-exist:1", imagePullPolicy: Never, command: [sh]}
EOF
	wait_phase noimage Failed
	expect_contains "$(k get "$SC" noimage -o jsonpath='{.status.message}')" "sc-test/does-not-exist:1" "the message"
	make_sc badprefix true '' '  hostPathPrefix: /etc/not-allowed'
	wait_phase badprefix Failed
	expect_contains "$(k get "$SC" badprefix -o jsonpath='{.status.message}')" \
		'hostPathPrefix "/etc/not-allowed" is not allowed on this node' "the message"
	[[ ! -e /etc/not-allowed ]] || fail "the mount-helper created /etc/not-allowed"
	expect_contains "$(k get events --field-selector involvedObject.name=noimage -o jsonpath='{.items[*].reason}')" "Failed" "events"
}

t_squatted_pod_is_not_adopted() {
	# An attacker who can create pods makes sq-provider with the operator's
	# labels and their own image before the StoppableContainer sq exists.
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: sq-provider
  labels:
    stoppablecontainer.xtlsoft.top/instance: sq
    stoppablecontainer.xtlsoft.top/role: provider
    app.kubernetes.io/managed-by: sc-controller
spec:
  containers:
  - {name: rootfs, image: $IMAGE, imagePullPolicy: Never, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}
EOF
	k wait --for=condition=Ready pod/sq-provider --timeout=120s >/dev/null || fail "the squatter pod did not start"
	local squatter
	squatter=$(pod_uid sq-provider)
	make_sc sq true
	wait_phase sq Failed 120
	expect_contains "$(k get "$SC" sq -o jsonpath='{.status.message}')" \
		"pod sq-provider already exists and was not created for this StoppableContainer" "the message"
	[[ $(k get "$SCI" sq -o jsonpath='{.status.conditions[?(@.type=="ProviderReady")].reason}') == PodNameTaken ]] ||
		fail "ProviderReady does not say PodNameTaken"
	wait_until 60 "a PodNameTaken event" bash -c \
		"kubectl -n $ns get events --field-selector involvedObject.name=sq -o jsonpath='{.items[*].reason}' | grep -qw PodNameTaken"
	# Nothing was prepared from the squatter's layers, nothing stacked.
	[[ $(pod_uid sq-provider) == "$squatter" ]] || fail "the squatter's pod was replaced"
	[[ -z $(k get "$SCI" sq -o jsonpath='{.status.rootfs.providerPodUID}') ]] || fail "the instance reports a rootfs from the squatter's pod"
	[[ ! -e /var/lib/stoppablecontainer/$ns/sq ]] || fail "the mount-helper made state for sq"
	! grep -q "/var/lib/stoppablecontainer/$ns/sq/" /proc/self/mountinfo || fail "an overlay was mounted for sq"
	# Once the squatter is gone, sq starts on a provider of its own.
	k delete pod sq-provider --wait=true >/dev/null
	wait_phase sq Running 180
	[[ $(pod_uid sq-provider) != "$squatter" ]] || fail "sq-provider is still the squatter's"
	k delete "$SC" sq --wait=true --timeout=120s >/dev/null || fail "deleting sq timed out"
}

t_unlabelled_pod_in_the_way() {
	# A pod named ul-provider without any of our labels, made before the
	# StoppableContainer ul: no informer of ours sees it, the create of
	# our provider gets AlreadyExists, and ul says which pod is in the way.
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ul-provider}
spec:
  containers:
  - {name: c, image: $IMAGE, imagePullPolicy: Never, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}
EOF
	local squatter msg
	squatter=$(pod_uid ul-provider)
	[[ -n $squatter ]] || fail "the unlabelled pod was not created"
	make_sc ul true
	wait_phase ul Failed 120
	msg=$(k get "$SC" ul -o jsonpath='{.status.message}')
	expect_contains "$msg" "pod ul-provider already exists and was not created for this StoppableContainer" "the message"
	[[ $(k get "$SC" ul -o jsonpath='{.status.conditions[?(@.type=="ProviderReady")].reason}') == PodNameTaken ]] ||
		fail "ProviderReady does not say PodNameTaken"
	# The controller retries (a second failed reconcile in its log), and
	# the event is there once, not once per retry.
	wait_until 120 "the controller to retry ul" bash -c \
		"(( \$(kubectl -n $SYS logs -l app.kubernetes.io/name=sc-controller --tail=2000 | grep '\"key\":\"$ns/ul\"' | grep -c 'ul-provider already exists') >= 2 ))" ||
		fail "the controller did not retry ul"
	[[ $(k get events --field-selector involvedObject.name=ul,reason=PodNameTaken -o name | wc -l) == 1 ]] ||
		fail "not exactly one PodNameTaken event: $(k get events --field-selector involvedObject.name=ul -o jsonpath='{.items[*].reason}')"
	# (the reconcile that creates the provider says ProviderStarting, the
	# phase it expects; the container's phase is Pending)
	local normal
	normal=$(k get events --field-selector involvedObject.name=ul,type=Normal -o jsonpath='{.items[*].reason}')
	[[ $normal != *Pending* && $normal != *ProviderStarting* ]] ||
		fail "a Normal event of the phase it expected was recorded while the create failed: $normal"
	# The pod in the way is untouched, and no rootfs came from it.
	[[ $(pod_uid ul-provider) == "$squatter" ]] || fail "the unlabelled pod was replaced"
	[[ -z $(k get pod ul-provider -o jsonpath='{.metadata.labels}') ]] || fail "the unlabelled pod was labelled"
	[[ -z $(k get "$SCI" ul -o jsonpath='{.status.rootfs.providerPodUID}') ]] || fail "the instance reports a rootfs"
	[[ ! -e /var/lib/stoppablecontainer/$ns/ul ]] || fail "the mount-helper made state for ul"
	# Once it is gone, ul starts (the retry, or the resync within a minute).
	k delete pod ul-provider --wait=true >/dev/null
	wait_phase ul Running 240
	[[ $(pod_uid ul-provider) != "$squatter" ]] || fail "ul-provider is still the other pod"
	k delete "$SC" ul --wait=true --timeout=120s >/dev/null || fail "deleting ul timed out"
}

t_exec_starts_in_the_working_directory() {
	# kubectl exec starts where the workload runs: the template's
	# workingDir (missing from both the image and the exec image: the
	# runtime and sc-exec create it), else the image's WORKDIR.
	make_sc wd true '      workingDir: /work/not/in/any/image
      command: ["sh", "-c", "trap '"'exit 0'"' TERM; while true; do sleep 1; done"]'
	wait_phase wd Running 180
	[[ $(k get pod wd -o jsonpath='{.spec.containers[0].workingDir}') == /work/not/in/any/image ]] ||
		fail "the workload container's workingDir is not the template's"
	local out
	wait_until 30 "kubectl exec wd -- pwd to work" exec_in wd pwd || fail "kubectl exec wd -- pwd fails: $(exec_in wd pwd 2>&1)"
	out=$(exec_in wd pwd)
	[[ $out == /work/not/in/any/image ]] || fail "kubectl exec wd -- pwd printed '$out'"
	[[ $(exec_in wd sh -c 'readlink /proc/1/cwd') == /work/not/in/any/image ]] ||
		fail "sc-exec's workload does not run in the working directory"
	build_app_image || fail "could not build and import $APP_IMAGE"
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: wdimg}
spec:
  running: true
  template:
    container: {image: $APP_IMAGE, imagePullPolicy: Never}
EOF
	wait_phase wdimg Running 180
	out=$(exec_in wdimg pwd)
	[[ $out == /srv/app ]] || fail "kubectl exec wdimg -- pwd printed '$out', not the image's WORKDIR /srv/app"
	k delete "$SC" wd wdimg --wait=true --timeout=180s >/dev/null || fail "deleting wd and wdimg timed out"
}

t_refused_pod_is_explained() {
	# A namespace that enforces the restricted Pod Security level refuses
	# the workload pod (it runs sc-exec as root with SYS_CHROOT): the
	# StoppableContainer says so with the API server's own message, once.
	local rns=$ns-restricted msg
	kubectl create namespace "$rns" >/dev/null
	kubectl label namespace "$rns" pod-security.kubernetes.io/enforce=restricted >/dev/null
	kubectl -n "$rns" apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: refused}
spec:
  running: true
  template:
    container: {image: $IMAGE, imagePullPolicy: Never, command: ["sh", "-c", "sleep 1000"]}
EOF
	kubectl -n "$rns" wait --for=jsonpath='{.status.phase}'=Failed "$SC/refused" --timeout=180s >/dev/null ||
		fail "refused did not turn Failed: $(kubectl -n "$rns" get "$SC" refused -o jsonpath='{.status.message}')"
	msg=$(kubectl -n "$rns" get "$SC" refused -o jsonpath='{.status.message}')
	expect_contains "$msg" "the workload pod refused was refused by the API server" "the message"
	expect_contains "$msg" 'violates PodSecurity "restricted' "the message"
	[[ $(kubectl -n "$rns" get "$SC" refused -o jsonpath='{.status.conditions[?(@.type=="ConsumerReady")].reason}') == PodRefused ]] ||
		fail "ConsumerReady does not say PodRefused"
	wait_until 60 "a PodRefused event" bash -c \
		"kubectl -n $rns get events --field-selector involvedObject.name=refused,reason=PodRefused -o name | grep -q ."
	kubectl -n "$rns" delete "$SC" refused --wait=true --timeout=120s >/dev/null || fail "deleting refused timed out"
	kubectl delete namespace "$rns" --wait=false >/dev/null
}

t_consumer_recreated() {
	# Someone deletes the workload pod while it runs: the controller starts
	# a new one on the same rootfs.
	local old sum
	old=$(pod_uid persist)
	[[ -n $old ]] || fail "no consumer pod to delete"
	sum=$(tree_sum persist)
	k delete pod persist --wait=true >/dev/null
	wait_until 120 "a new consumer pod" bash -c "u=\$(kubectl -n $ns get pod persist -o jsonpath='{.metadata.uid}' 2>/dev/null); [[ -n \$u && \$u != $old ]]"
	wait_phase persist Running 120
	[[ $(tree_sum persist) == "$sum" ]] || fail "the new workload pod does not see the rootfs's files as they were"
}

t_crashloop_and_unschedulable_explained() {
	make_sc crashy true '      command: ["sh", "-c", "exit 3"]'
	wait_phase crashy Failed 180
	local msg
	msg=$(k get "$SC" crashy -o jsonpath='{.status.message}')
	expect_contains "$msg" "keeps exiting (last exit code 3" "the crash-loop message"
	expect_contains "$msg" "kubectl logs crashy --previous" "the crash-loop message"
	make_sc huge true '      command: ["sh"]
      resources: {requests: {cpu: "1000"}}'
	wait_until 120 "huge to say it cannot be scheduled" bash -c \
		"kubectl -n $ns get $SC huge -o jsonpath='{.status.message}' | grep -q 'cannot be scheduled'"
	[[ $(k get "$SCI" huge -o jsonpath='{.status.conditions[?(@.type=="ConsumerReady")].reason}') == Unschedulable ]] ||
		fail "ConsumerReady does not say Unschedulable"
	k delete "$SC" crashy huge --wait=true --timeout=120s >/dev/null || fail "deleting crashy and huge timed out"
}

t_delete_leaves_nothing() {
	local uid dir
	uid=$(instance_uid persist)
	dir=/var/lib/stoppablecontainer/$ns/persist/$uid
	[[ -d $dir ]] || fail "no state at $dir before deletion"
	k delete "$SC" persist --wait=true --timeout=180s >/dev/null || fail "deleting persist timed out"
	! k get "$SCI" persist >/dev/null 2>&1 || fail "the instance is still there"
	[[ -z $(k get pods -l stoppablecontainer.xtlsoft.top/instance=persist -o name) ]] || fail "pods are left"
	[[ ! -e $dir ]] || fail "state left at $dir"
	! grep -q " $dir" /proc/self/mountinfo || fail "mounts left under $dir"
}

t_pods_pass_baseline() {
	# The namespace enforces baseline: the pods exist, so they were admitted.
	[[ $(kubectl get ns "$ns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}') == baseline ]] ||
		fail "the test namespace does not enforce baseline"
	local n
	n=$(k get pods -l app.kubernetes.io/managed-by=sc-controller -o name | wc -l)
	((n >= 2)) || fail "expected our pods in the baseline namespace, found $n"
	k get pods -o json | jq -e '[.items[].spec | .hostPID, .hostNetwork, .hostIPC,
		(.volumes // [] | .[].hostPath), (.containers[].securityContext.privileged)] | map(select(. != null and . != false)) | length == 0' >/dev/null ||
		fail "a pod of ours uses host namespaces, hostPath or privileged"
	# The negative control: the namespace's policy does refuse what baseline
	# forbids, so the pods above were admitted by a policy that acts.
	local out
	out=$(k apply --dry-run=server -f - 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pss-control}
spec:
  hostPID: true
  containers:
  - {name: c, image: $IMAGE, imagePullPolicy: Never, command: [sh], securityContext: {privileged: true}}
EOF
	) && fail "a privileged hostPID pod was admitted in the baseline namespace: $out"
	expect_contains "$out" 'violates PodSecurity "baseline:latest"' "the refusal"
	expect_contains "$out" 'privileged' "the refusal"
	expect_contains "$out" 'hostPID' "the refusal"
	# ... and a StoppableContainer whose workload asks for what baseline
	# forbids (SYS_ADMIN) gets its workload pod refused, and says so.
	make_sc pss-admin true '      command: ["sh", "-c", "sleep 1000"]
      securityContext: {capabilities: {add: [SYS_ADMIN]}}'
	wait_phase pss-admin Failed 180
	expect_contains "$(k get "$SC" pss-admin -o jsonpath='{.status.message}')" 'violates PodSecurity "baseline' "the message"
	! k get pod pss-admin >/dev/null 2>&1 || fail "a workload pod with SYS_ADMIN exists in the baseline namespace"
	k delete "$SC" pss-admin --wait=true --timeout=120s >/dev/null || fail "deleting pss-admin timed out"
}

t_readme_main_command() {
	# The README's main command, as a user runs it on this (warm) machine:
	# it deploys again and runs the seed's example, kubectl sc included.
	local out
	out=$(hack/demo.sh --clean 2>&1) || { tail -n 20 <<<"$out" >&2; fail "hack/demo.sh failed"; }
	expect_contains "$out" "mytool says: still runs" "the demo's output"
	expect_contains "$out" "mytool says: runs after kubectl sc start" "the demo's output"
	! kubectl -n default get "$SC" my-app >/dev/null 2>&1 || fail "demo.sh --clean left my-app"
}

# The Service example of docs/networking.md, as written there, with the
# local image: its only endpoint is the workload pod, and requests through
# its ClusterIP are answered by the workload; a Service on the instance label
# alone also lists the provider pod (why the workload label exists).
eps() {
	k get endpointslices -l "kubernetes.io/service-name=$1" \
		-o jsonpath='{range .items[*].endpoints[*]}{.targetRef.name}={.conditions.ready}{"\n"}{end}' | sort
}
t_service_selects_the_workload() {
	local yaml ip out
	yaml=$(awk '/^## Example/{e=1} e&&/^```yaml/{y=1;next} y&&/^```/{exit} y' docs/networking.md)
	expect_contains "$yaml" "stoppablecontainer.xtlsoft.top/workload: web" "the docs' example"
	yaml=${yaml//"image: busybox:1.36"/"image: $IMAGE
      imagePullPolicy: Never"}
	k apply -f - >/dev/null <<<"$yaml"
	wait_phase web Running 180
	[[ $(k get pod web -o jsonpath='{.metadata.labels.stoppablecontainer\.xtlsoft\.top/workload}') == web ]] ||
		fail "the workload pod has no workload label"
	[[ -z $(k get pod web-provider -o jsonpath='{.metadata.labels.stoppablecontainer\.xtlsoft\.top/workload}') ]] ||
		fail "the provider pod has the workload label"
	wait_until 60 "the Service web to list a ready endpoint" bash -c \
		"kubectl -n $ns get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].conditions.ready}' | grep -q true"
	out=$(eps web)
	[[ $out == "web=true" ]] || fail "the Service's endpoints are not the workload pod only: $out"
	# The negative control: the instance label alone selects both pods.
	k create service clusterip web-instance --tcp=80:8080 >/dev/null
	k patch service web-instance --type=json \
		-p '[{"op":"replace","path":"/spec/selector","value":{"stoppablecontainer.xtlsoft.top/instance":"web"}}]' >/dev/null
	wait_until 60 "the Service web-instance to list two endpoints" bash -c \
		"[[ \$(kubectl -n $ns get endpointslices -l kubernetes.io/service-name=web-instance -o jsonpath='{.items[*].endpoints[*].targetRef.name}' | wc -w) == 2 ]]"
	[[ $(eps web-instance | cut -d= -f1 | sort | tr '\n' ' ') == "web web-provider " ]] ||
		fail "the instance label does not select both pods: $(eps web-instance)"
	ip=$(k get service web -o jsonpath='{.spec.clusterIP}')
	# Eleven requests through the ClusterIP, each answered by the workload
	# (the provider listens on nothing). Retries only for kube-proxy's sync.
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: web-client}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'for i in \$(seq 30); do timeout 3 wget -q -O- http://$ip/ && break; sleep 1; done; for i in \$(seq 10); do timeout 3 wget -q -O- http://$ip/ || echo FAILED; done']
EOF
	wait_until 120 "the client pod to finish" bash -c \
		"[[ \$(kubectl -n $ns get pod web-client -o jsonpath='{.status.phase}') == Succeeded ]]"
	out=$(k logs web-client)
	[[ $(grep -c '^hello from web$' <<<"$out") == 11 ]] || fail "not every request reached the workload: $out"
	! grep -q FAILED <<<"$out" || fail "a request failed: $out"
	k delete pod web-client --wait=false >/dev/null
	k delete service web web-instance >/dev/null
	k delete "$SC" web --wait=true --timeout=120s >/dev/null || fail "deleting web timed out"
}

# The reference's template shape, {metadata, spec: PodSpec}: one container,
# an init container that fills a volume, DNS settings and host aliases reach
# the pod; the rootfs persists as in the container shape; two containers and
# hostNetwork are refused at admission, saying why.
t_pod_shape_template() {
	local out
	k apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: podshape}
spec:
  running: true
  template:
    metadata: {labels: {app: podshape}}
    spec:
      initContainers:
      - name: prep
        image: $IMAGE
        imagePullPolicy: Never
        command: [sh, -c, 'echo prepared > /shared/init']
        volumeMounts: [{name: shared, mountPath: /shared}]
      containers:
      - name: main
        image: $IMAGE
        imagePullPolicy: Never
        command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
        volumeMounts: [{name: shared, mountPath: /shared}]
      volumes: [{name: shared, emptyDir: {}}]
      dnsPolicy: None
      dnsConfig: {nameservers: [192.0.2.53], searches: [podshape.example]}
      hostAliases: [{ip: 192.0.2.7, hostnames: [podshape-db]}]
      terminationGracePeriodSeconds: 5
      restartPolicy: Always
      hostNetwork: false
EOF
	wait_phase podshape Running 180
	[[ $(k get "$SCI" podshape -o jsonpath='{.spec.template.container.image}') == "$IMAGE" ]] ||
		fail "the instance does not have the container shape"
	out=$(k get pod podshape -o jsonpath='{.spec.initContainers[0].name} {.spec.containers[*].name} {.spec.terminationGracePeriodSeconds} {.metadata.labels.app}')
	[[ $out == "prep workload 5 podshape" ]] || fail "the pod is not what the template says: $out"
	[[ $(exec_in podshape cat /shared/init) == prepared ]] || fail "the init container did not run before the workload"
	exec_in podshape grep -q 192.0.2.53 /etc/resolv.conf || fail "dnsConfig not in the workload's resolv.conf"
	exec_in podshape grep -q podshape-db /etc/hosts || fail "hostAliases not in the workload's /etc/hosts"
	exec_in podshape sh -c 'echo kept > /root/kept'
	set_running podshape false
	wait_phase podshape Stopped 120
	set_running podshape true
	wait_phase podshape Running 180
	[[ $(exec_in podshape cat /root/kept) == kept ]] || fail "the rootfs did not persist in the Pod shape"
	k delete "$SC" podshape --wait=true --timeout=120s >/dev/null || fail "deleting podshape timed out"
	out=$(k apply -f - 2>&1 <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: twocontainers}
spec:
  template:
    spec:
      containers: [{name: a, image: $IMAGE}, {name: b, image: $IMAGE}]
EOF
	) && fail "two containers were admitted"
	expect_contains "$out" "exactly one container, the workload" "the refusal"
	out=$(k apply -f - 2>&1 <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: hostnet}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: a, image: $IMAGE}]
EOF
	) && fail "hostNetwork: true was admitted"
	expect_contains "$out" "hostNetwork is not available" "the refusal"
}

# What kubectl get -w prints through a stop and a start: the phases a user
# understands, Ready only while running, and never the same row twice in a
# row (AGE aside); a template edit under a running workload shows in the
# RESTART-REQUIRED column and in one event.
t_status_rows() {
	local watch rows prev row n wpid
	make_sc rows true
	wait_phase rows Running 180
	watch=$(mktemp)
	# kubectl itself in the background, not through the k function: $! is
	# then kubectl's PID, and the kill below ends the watch (killing a
	# function's subshell left kubectl running, holding every descriptor it
	# inherited, the cluster lock among them).
	kubectl -n "$ns" get "$SC" rows -w --no-headers >"$watch" 2>&1 &
	wpid=$!
	# The test runs in a subshell of its own: a failure below must not leave
	# the watcher running (it would hold every descriptor it inherited).
	# shellcheck disable=SC2064 # the PID now: wpid is gone when the trap runs
	trap "kill $wpid 2>/dev/null || true" EXIT
	set_running rows false
	wait_phase rows Stopped 120
	[[ $(k get "$SC" rows -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == False ]] ||
		fail "Ready is not False while stopped"
	set_running rows true
	wait_phase rows Running 180
	wait_until 30 "kubectl get -w to print the Running row" bash -c \
		"tail -n1 '$watch' | awk '{print \$2, \$3, \$4}' | grep -qx 'true Running True'"
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	# Columns: NAME RUNNING PHASE READY RESTART-REQUIRED NODE AGE MESSAGE.
	rows=$(awk '{$7=""; print}' "$watch")
	rm -f "$watch"
	echo "# rows seen (AGE dropped):"
	sed 's/^/# /' <<<"$rows"
	prev=""
	n=0
	while IFS= read -r row; do
		[[ $row != "$prev" ]] || fail "the same row twice in a row: $row"
		prev=$row
		n=$((n + 1))
	done <<<"$rows"
	((n >= 5)) || fail "too few rows for a stop and a start ($n)"
	grep -q '^rows false Stopping False ' <<<"$rows" || fail "no Stopping row while stopping"
	grep -q '^rows false Stopped False ' <<<"$rows" || fail "no Stopped row with READY False"
	grep -q '^rows true Starting False ' <<<"$rows" || fail "no Starting row while starting"
	[[ $(tail -n1 <<<"$rows") == "rows true Running True False "* ]] || fail "the last row is not Running with READY True"
	! grep -q ProviderReady <<<"$rows" || fail "ProviderReady shown as a phase"
	# A template edit while running: RESTART-REQUIRED True, one event.
	k patch "$SC" rows --type=merge -p '{"spec":{"template":{"container":{"env":[{"name":"A","value":"b"}]}}}}' >/dev/null
	wait_until 60 "RESTART-REQUIRED to read True" bash -c \
		"kubectl -n $ns get $SC rows --no-headers | awk '{print \$5}' | grep -qx True"
	wait_until 30 "a RestartRequired event" bash -c \
		"kubectl -n $ns get events --field-selector involvedObject.name=rows,reason=RestartRequired -o name | grep -q ."
	[[ $(k get events --field-selector involvedObject.name=rows,reason=RestartRequired -o name | wc -l) == 1 ]] ||
		fail "not one RestartRequired event"
	k delete "$SC" rows --wait=true --timeout=120s >/dev/null || fail "deleting rows timed out"
}

run_test "deploy the operator" t_deploy
run_test "the seed's quick example" t_seed_example
run_test "a shell without stdin (as the seed writes it) runs and stops at once" t_seed_shell_without_stdin
run_test "an interactive shell stops on the hangup, not after the grace period" t_interactive_shell_stops_on_hangup
run_test "files survive three stop/start cycles (checksum)" t_persistence_cycles
run_test "the workload sees only its own /proc, /dev and /sys" t_workload_isolation
run_test "our pods pass the baseline Pod Security Standard, which refuses a privileged pod" t_pods_pass_baseline
run_test "the template's NODE_NAME wins over ours" t_user_env_wins
run_test "stopping a sh workload forwards SIGTERM to it (time measured)" t_stop_is_prompt
run_test "persistence across provider pod deletion" t_provider_recreated
run_test "provider pod deleted while Running: same files (checksum), workload kept" t_provider_deleted_while_running
run_test "a mount-helper restart leaves the workload alone" t_mount_helper_restart
run_test "the controller converges after a restart" t_controller_restart
run_test "controllers killed (-9) mid-way converge, no duplicate pods" t_controller_killed_midway
run_test "leader failover: a standby takes the Lease and acts (time measured)" t_leader_failover
run_test "containerd and kubelet killed and restarted: data intact" t_runtime_restart
run_test "node reboot (power cut): same upper remounted, data intact" t_node_reboot
run_test "no command runs the image's CMD with its ENV" t_image_defaults
run_test "an image's ENTRYPOINT, CMD, ENV, WORKDIR and USER all apply" t_image_config
run_test "ConfigMap, Secret, emptyDir and the token, read by the workload" t_volumes
run_test "symlinks planted at re-attached mount points never reach host files" t_mountpoint_symlinks
run_test "failures say why" t_failures_are_explained
run_test "a crash loop and an unschedulable workload say why" t_crashloop_and_unschedulable_explained
run_test "a workload pod refused by Pod Security says why, with the API's message" t_refused_pod_is_explained
run_test "an unlabelled pod with the provider's name is reported, once, and never adopted" t_unlabelled_pod_in_the_way
run_test "kubectl exec starts in the template's workingDir, else the image's WORKDIR" t_exec_starts_in_the_working_directory
run_test "a deleted workload pod is recreated on the same rootfs" t_consumer_recreated
run_test "a squatted provider pod is never adopted nor stacked onto" t_squatted_pod_is_not_adopted
run_test "a Service on the workload label reaches the workload only (docs/networking.md)" t_service_selects_the_workload
run_test "the Pod shape template (one container, init containers, DNS, host aliases); two containers and hostNetwork refused" t_pod_shape_template
run_test "kubectl get -w: phases Stopping and Starting, Ready only while running, no repeated rows; RestartRequired column and event" t_status_rows
run_test "deletion leaves no object, mount or directory" t_delete_leaves_nothing
run_test "the README's main command (hack/demo.sh) runs the seed's example" t_readme_main_command

kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=180s >/dev/null 2>&1 ||
	echo "warning: namespace $ns not deleted in time"
finish
