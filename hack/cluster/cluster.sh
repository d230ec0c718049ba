#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A real single-node Kubernetes cluster for StoppableContainer's tests and demo:
# containerd + runc + CNI bridge, etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kube-proxy v1.34.4, built from the Go module in
# hack/cluster/k8s. See docs/cluster.md.
set -euo pipefail

usage() {
	cat <<EOF
Usage: hack/cluster/cluster.sh COMMAND [ARGS]

Brings up a real single-node Kubernetes v1.34 cluster on this machine (root
needed). Everything it starts runs in the background and survives this script.

Commands:
  up                 Install missing Debian packages, build (or reuse the cached)
                     Kubernetes binaries, make the PKI and configs, build and
                     import the pause and busybox images, start containerd, etcd,
                     kube-apiserver, kube-controller-manager, kube-scheduler,
                     kubelet and kube-proxy, and wait until the node is Ready and
                     the default ServiceAccount exists. When the cluster already
                     runs, only checks its health (a fast no-op) - unless this
                     script's kubelet configuration changed: then it rewrites
                     it and restarts the kubelet (pods keep running).
  down [--purge]     Delete all StoppableContainers (so the operator unmounts
                     their root filesystems) and all pods, and wait for them to
                     be gone; stop every
                     process started by 'up', remove the pod sandboxes and
                     containers, unmount what the cluster mounted, delete the CNI
                     bridge and the KUBE-/CNI- iptables chains and restore the
                     host settings 'up' changed. When nothing runs it only
                     sweeps what a killed run left (a no-op on a clean host).
                     --purge also deletes the state directory (PKI, etcd data,
                     images), the kubelet directory and the pod logs under
                     /var/log/pods; the binary cache and $LOG_DIR stay.
  crash              Simulate a power cut (for tests of what survives a node
                     reboot): SIGKILL every component and container, unmount
                     the runtime's and the kubelet's mounts, wipe their state
                     under /run. etcd's data, the images and the kubelet's
                     directory stay; 'up' boots the node again.
  status             Print which components run and whether they are healthy.
                     Exit 0 when all are, 3 when none runs, 1 otherwise.
  kubeconfig         Print the path of the admin kubeconfig, for
                       export KUBECONFIG=\$(hack/cluster/cluster.sh kubeconfig)
  env                Print 'export KUBECONFIG=...', 'export PATH=<bin>:...' and
                     the cluster's paths and node name as SC_* variables (eval
                     them to use the cluster's kubectl and crictl).
  kubectl ARGS...    Run the cluster's kubectl v1.34 with the admin kubeconfig.
  crictl ARGS...     Run crictl against the cluster's containerd.
  import-image ARCHIVE [NAME:TAG]
                     Import a local OCI or docker archive into containerd's
                     k8s.io namespace, where the kubelet finds it, under the
                     name(s) the archive carries, or, with NAME:TAG, under that
                     name (spelled as in a pod spec: 'foo:1', 'org/foo:1' or
                     'host.example/org/foo:1'). Prints the full names. Pods
                     must use imagePullPolicy IfNotPresent or Never.
  build              Only build (or find cached) the binaries; print their dir.
  -h, --help         This help.

Images imported by 'up': $PAUSE_IMAGE (the pod sandbox, from
src/pause/sc-pause.c) and $BUSYBOX_IMAGE (Debian's busybox-static).

Paths (override with the environment variables named):
  state       \$SC_STATE_DIR   = $STATE_DIR
  logs        \$SC_LOG_DIR     = $LOG_DIR  (one <component>.log each)
  kubelet     \$SC_KUBELET_DIR = $KUBELET_DIR
  pidfiles    \$SC_RUN_DIR     = $RUN_DIR
  containerd  socket $CONTAINERD_SOCK, root $CONTAINERD_ROOT
  binaries    \${SC_CACHE_DIR:-\$HOME/.cache/stoppablecontainer}/k8s/<key>/bin
  admin kubeconfig  $ADMIN_KUBECONFIG
Other knobs: SC_NODE_IP (default: the source address of the default route),
SC_TIMEOUT (seconds to wait for each component, default $TIMEOUT),
SC_DOWN_GRACE (pod termination grace period used by down, default $DOWN_GRACE),
SC_GOSUMDB_OFF=1 (build without the Go checksum database),
SC_CONTAINERD=2 at 'up' (containerd 2.x built from hack/cluster/containerd2
instead of Debian's 1.6; switching flavours empties containerd's root).
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/image.sh
source "$repo_root/hack/lib/image.sh"
# The phases, one file each (functions only): components (processes, health,
# starts), PKI, configs, images, sweep (what down and crash remove).
# shellcheck source=lib/components.sh
source "$here/lib/components.sh"
# shellcheck source=lib/pki.sh
source "$here/lib/pki.sh"
# shellcheck source=lib/configs.sh
source "$here/lib/configs.sh"
# shellcheck source=lib/images.sh
source "$here/lib/images.sh"
# shellcheck source=lib/sweep.sh
source "$here/lib/sweep.sh"

STATE_DIR=${SC_STATE_DIR:-/var/lib/sc-cluster}
LOG_DIR=${SC_LOG_DIR:-/var/log/sc-cluster}
RUN_DIR=${SC_RUN_DIR:-/run/sc-cluster}
KUBELET_DIR=${SC_KUBELET_DIR:-/var/lib/kubelet}
TIMEOUT=${SC_TIMEOUT:-180}
DOWN_GRACE=${SC_DOWN_GRACE:-5}

PKI=$STATE_DIR/pki
ADMIN_KUBECONFIG=$STATE_DIR/admin.kubeconfig
CONTAINERD_ROOT=$STATE_DIR/containerd
CONTAINERD_STATE=/run/containerd
CONTAINERD_SOCK=$CONTAINERD_STATE/containerd.sock
CNI_CONF_DIR=$STATE_DIR/cni/net.d
CNI_IPAM_DIR=$STATE_DIR/cni/ipam
CNI_BIN_DIR=/usr/lib/cni
CNI_BRIDGE=sc-br0
# Named after the etcd minor: etcd 3.6 cannot read a data dir written by the
# Debian etcd 3.4 that earlier versions of this script ran (it panics with
# "detected disallowed v2 WAL"), nor can 3.4 read 3.6's. Such a dir
# ($STATE_DIR/etcd) is left alone; 'down --purge' removes it.
ETCD_DIR=$STATE_DIR/etcd-3.6

NODE_NAME=sc-node
CLUSTER_DOMAIN=cluster.local
SERVICE_CIDR=10.96.0.0/12
SERVICE_IP=10.96.0.1
POD_CIDR=10.244.0.0/24
APISERVER_PORT=6443

PAUSE_IMAGE=sc-test/pause:1
BUSYBOX_IMAGE=sc-test/busybox:1

# containerd: Debian's 1.6 (the default) or 2.x built from the Go module in
# hack/cluster/containerd2 (SC_CONTAINERD=2 at 'up'). Both use the same root;
# the flavour that wrote it is recorded, and 'up' with another flavour starts
# from an empty containerd root (2.x migrates 1.6's metadata, 1.6 cannot read
# 2.x's). Other commands use the recorded flavour's binaries.
CONTAINERD_FLAVOUR_FILE=$STATE_DIR/containerd.flavour
CONTAINERD_FLAVOUR=1.6

# In start order; down stops them in reverse.
COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

KUBELET_CONFIG_CHANGED=0 # set by write_configs
SWEPT=0 # leftovers 'down' removed (mounts, containers, shims, links)

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() { [[ $(id -u) == 0 ]] || die "must run as root (it starts containerd, the kubelet and mounts)"; }

# One up/down/import at a time (CI jobs or several shells may call us).
take_lock() {
	mkdir -p "$RUN_DIR"
	exec 9>"$RUN_DIR/lock"
	if ! flock -n 9; then
		log "waiting for another cluster.sh (up/down/import-image) to finish"
		flock -w 900 9 || die "another cluster.sh still holds $RUN_DIR/lock after 900s"
	fi
}

# ---------------------------------------------------------------- binaries ---

BIN_DIR=""
find_bins() {
	[[ -n $BIN_DIR ]] && return 0
	BIN_DIR=$("$here/build-k8s.sh")
}
# The binary dir of the current key, without building; empty when not built.
cached_bin_dir() {
	local d
	d=$("$here/build-k8s.sh" --print-dir 2>/dev/null) || return 0
	[[ -x $d/kubectl ]] && echo "$d"
	return 0
}
kubectl_bin() {
	if [[ -z $BIN_DIR ]]; then BIN_DIR=$(cached_bin_dir); fi
	[[ -n $BIN_DIR ]] || die "kubectl not built yet: run 'hack/cluster/cluster.sh up' (or 'build')"
	echo "$BIN_DIR/kubectl"
}
kc() { "$(kubectl_bin)" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ---------------------------------------------------------------- packages ---

# command or file -> Debian package that provides it
PACKAGES=(
	/usr/bin/containerd:containerd
	/usr/sbin/runc:runc
	/usr/lib/cni/bridge:containernetworking-plugins
	/usr/sbin/iptables:iptables
	/usr/sbin/conntrack:conntrack
	/usr/bin/openssl:openssl
	/usr/bin/curl:curl
	/bin/busybox:busybox-static
	/usr/bin/gcc:gcc
	/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev
	/usr/bin/musl-gcc:musl-tools
	/usr/bin/jq:jq
	/usr/sbin/ip:iproute2
	/usr/bin/socat:socat
	/usr/bin/setsid:util-linux
	/usr/bin/tar:tar
	/usr/bin/skopeo:skopeo
)

ensure_packages() {
	local missing=() entry path pkg
	for entry in "${PACKAGES[@]}"; do
		path=${entry%%:*} pkg=${entry#*:}
		[[ -e $path ]] || missing+=("$pkg")
	done
	if ((${#missing[@]})); then
		log "installing Debian packages: ${missing[*]}"
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
			log "apt-get install failed; running apt-get update and trying once more"
			apt-get update >&2 || die "apt-get update failed"
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
				|| die "apt-get install ${missing[*]} failed"
		fi
	fi
	command -v go >/dev/null || die "'go' (>= 1.24) is not in PATH; it builds the Kubernetes binaries"
}

# ---------------------------------------------------------- containerd 2.x ---

recorded_flavour() { cat "$CONTAINERD_FLAVOUR_FILE" 2>/dev/null || echo 1.6; }

# The flavour 'up' starts: $SC_CONTAINERD, default 1.6.
wanted_flavour() {
	local f=${SC_CONTAINERD:-1.6}
	case $f in
	1.6 | 2) echo "$f" ;;
	*) die "SC_CONTAINERD: want 1.6 (Debian's containerd) or 2 (built from hack/cluster/containerd2), got '$f'" ;;
	esac
}

# use_flavour FLAVOUR [--build]: put that flavour's containerd, ctr and runc
# shim first in PATH (containerd finds the shim there). Without --build a
# flavour 2 that is not built yet leaves PATH alone.
use_flavour() {
	CONTAINERD_FLAVOUR=$1
	[[ $1 == 2 ]] || return 0
	local d
	if [[ ${2:-} == --build ]]; then
		d=$("$here/build-containerd2.sh") || die "building containerd 2.x failed"
	else
		d=$("$here/build-containerd2.sh" --print-dir 2>/dev/null) || return 0
		[[ -x $d/containerd ]] || return 0
	fi
	PATH=$d:$PATH
	export PATH
}

# Before containerd starts: a root written by the other flavour is emptied.
switch_flavour() {
	local was
	was=$(recorded_flavour)
	if [[ $was != "$CONTAINERD_FLAVOUR" && -d $CONTAINERD_ROOT ]]; then
		running_pid containerd >/dev/null &&
			die "containerd $was runs; 'down' first, then 'SC_CONTAINERD=$CONTAINERD_FLAVOUR up'"
		log "switching containerd $was -> $CONTAINERD_FLAVOUR: emptying $CONTAINERD_ROOT (images are imported again)"
		unmount_under "$CONTAINERD_ROOT"
		rm -rf "$CONTAINERD_ROOT"
	fi
	mkdir -p "$STATE_DIR"
	echo "$CONTAINERD_FLAVOUR" >"$CONTAINERD_FLAVOUR_FILE"
}

# ------------------------------------------------------------- host setup ---

# The node IP: SC_NODE_IP, else the source address of the default route. It
# must not be loopback: the kubelet and the Endpoints controller refuse it.
node_ip() {
	local ip=${SC_NODE_IP:-}
	if [[ -z $ip ]]; then
		ip=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
	fi
	if [[ -z $ip ]]; then
		ip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)
	fi
	[[ -n $ip ]] || die "no non-loopback IPv4 address found for the node; set SC_NODE_IP to an address of this machine"
	[[ $ip != 127.* ]] || die "node IP $ip is loopback; set SC_NODE_IP to a non-loopback address"
	echo "$ip"
}

# Host settings the cluster needs. The previous values are saved once, so
# 'down' can put them back.
host_setup() {
	mkdir -p "$RUN_DIR"
	local saved=$RUN_DIR/host-settings
	if [[ ! -f $saved ]]; then
		{
			echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
			echo "root_propagation=$(findmnt -no PROPAGATION /)"
			if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
				echo "bridge_nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables)"
			fi
		} >"$saved.tmp"
		mv "$saved.tmp" "$saved"
	fi
	echo 1 >/proc/sys/net/ipv4/ip_forward
	# Volume mounts with HostToContainer or Bidirectional propagation need the
	# host side shared.
	[[ $(findmnt -no PROPAGATION /) == shared ]] || mount --make-rshared /
	# Bridged pod traffic must pass iptables for ClusterIP DNAT to apply to
	# pod -> Service -> pod on the same bridge. Built into some kernels (no
	# /lib/modules here); a module elsewhere.
	if [[ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
		modprobe br_netfilter 2>/dev/null || true
	fi
	if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
		echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
	else
		log "WARNING: no br_netfilter (bridge-nf-call-iptables): pod -> Service traffic to a pod on the same node may fail"
	fi
	modprobe overlay 2>/dev/null || true
	grep -qw overlay /proc/filesystems || die "the kernel has no overlay filesystem (containerd's snapshotter needs it)"
}

host_restore() {
	local saved=$RUN_DIR/host-settings key val
	[[ -f $saved ]] || return 0
	while IFS='=' read -r key val; do
		case $key in
		ip_forward) echo "$val" >/proc/sys/net/ipv4/ip_forward ;;
		bridge_nf) echo "$val" >/proc/sys/net/bridge/bridge-nf-call-iptables ;;
		root_propagation)
			case $val in
			private) mount --make-rprivate / ;;
			slave) mount --make-rslave / ;;
			esac
			;;
		esac
	done <"$saved"
	rm -f "$saved"
}

cmd_up() {
	need_root
	local t0=$SECONDS ip since
	since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	local want
	want=$(wanted_flavour)
	use_flavour "$want" --build
	if [[ -f $ADMIN_KUBECONFIG ]] && BIN_DIR=$(cached_bin_dir) && [[ -n $BIN_DIR ]] && all_healthy \
		&& kc get serviceaccount default -n default >/dev/null 2>&1; then
		[[ $(recorded_flavour) == "$want" ]] ||
			die "the cluster runs containerd $(recorded_flavour); run 'down' first to start it with containerd $want (SC_CONTAINERD=$want)"
		if [[ $(kubelet_config) == "$(cat "$STATE_DIR/config/kubelet.yaml" 2>/dev/null)" ]]; then
			log "cluster already up and healthy (KUBECONFIG=$ADMIN_KUBECONFIG)"
			return 0
		fi
		log "the kubelet's configuration changed: rewriting it and restarting the kubelet (pods keep running)"
	fi
	BIN_DIR=""
	ensure_packages
	find_bins
	ip=$(node_ip)
	log "node $NODE_NAME, IP $ip; binaries in $BIN_DIR; containerd $CONTAINERD_FLAVOUR ($(containerd --version | awk '{print $3}'))"
	host_setup
	make_pki "$ip"
	switch_flavour
	write_configs "$ip"
	ensure_containerd
	ensure_images
	ensure_etcd
	ensure_apiserver "$ip"
	ensure_controller_manager
	ensure_scheduler
	wait_until kube-controller-manager "kube-controller-manager /healthz on 127.0.0.1:10257" health_kube-controller-manager
	wait_until kube-scheduler "kube-scheduler /healthz on 127.0.0.1:10259" health_kube-scheduler
	if ((KUBELET_CONFIG_CHANGED)) && running_pid kubelet >/dev/null; then
		# The kubelet reads its file only at start; its pods keep running.
		stop_component kubelet
	fi
	# A kubelet started now must report Ready anew (a status from before a
	# reboot says nothing); one that kept running reports its status only
	# when it changes (or every 5 min), so its current Ready is the answer.
	local fresh=$since
	running_pid kubelet >/dev/null && fresh=""
	ensure_kubelet "$ip"
	ensure_kube_proxy
	wait_until kubelet "node $NODE_NAME to report Ready" node_ready "$fresh"
	wait_until kube-controller-manager "the default ServiceAccount in namespace default" \
		kc get serviceaccount default -n default
	log "cluster up in $((SECONDS - t0))s; export KUBECONFIG=$ADMIN_KUBECONFIG"
}

# A power cut, as near as one machine can fake it: SIGKILL every component
# and every container at once, drop every mount of the runtime and the
# kubelet, and wipe what lives under /run. What a reboot keeps stays: etcd's
# data, containerd's images and metadata (it still lists the dead
# containers), the kubelet's pod directories. 'up' then boots the node as
# after a reboot. Mounts of others (the mount-helper's overlays) are theirs
# to drop: a test unmounts them itself.
cmd_crash() {
	local c pid pids=() t0=$SECONDS deadline
	for c in "${COMPONENTS[@]}"; do
		pid=$(running_pid "$c") && pids+=("$pid")
	done
	((${#pids[@]})) || die "nothing runs: 'crash' needs a running cluster"
	kill -KILL "${pids[@]}" 2>/dev/null || true
	deadline=$((SECONDS + 10))
	for c in "${COMPONENTS[@]}"; do
		while running_pid "$c" >/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
		running_pid "$c" >/dev/null && die "$c survived SIGKILL"
		rm -f "$(pidfile "$c")"
	done
	sweep_runtime
	find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$RUN_DIR"
	log "crashed: ${#pids[@]} component(s) and every container killed in $((SECONDS - t0))s; 'up' boots it again"
}

cmd_down() {
	need_root
	local purge=0 t0=$SECONDS c any=0 pid
	[[ ${1:-} == --purge ]] && purge=1
	for c in "${COMPONENTS[@]}"; do running_pid "$c" >/dev/null && any=1; done
	BIN_DIR=$(cached_bin_dir)

	if ((any)); then
		if running_pid kube-apiserver >/dev/null && running_pid kubelet >/dev/null && [[ -n $BIN_DIR ]] \
			&& health_kube-apiserver; then
			# StoppableContainers first, while their operator still runs:
			# its mount-helper unmounts their overlays from the host and
			# removes their state, which deleting the pods would not.
			if kc get crd stoppablecontainers.stoppablecontainer.xtlsoft.top >/dev/null 2>&1 &&
				[[ -n $(kc get stoppablecontainers.stoppablecontainer.xtlsoft.top -A -o name 2>/dev/null) ]]; then
				log "deleting all StoppableContainers"
				kc delete stoppablecontainers.stoppablecontainer.xtlsoft.top --all -A --wait=true --timeout 120s >/dev/null 2>&1 \
					|| log "WARNING: not all StoppableContainers were deleted in 120s; their overlays stay mounted"
			fi
			# Without the controllers, deleted pods of Deployments or
			# DaemonSets are not recreated behind our back.
			stop_component kube-controller-manager
			stop_component kube-scheduler
			if [[ -n $(kc get pods -A -o name 2>/dev/null) ]]; then
				log "deleting all pods (grace period ${DOWN_GRACE}s)"
				kc delete pods --all -A --grace-period "$DOWN_GRACE" --wait=true --timeout 120s >/dev/null 2>&1 \
					|| log "WARNING: not all pods were deleted in 120s; removing them through the runtime"
				# The kubelet removes a deleted pod's directory once its
				# volumes are unmounted, a little after the API object.
				local deadline=$((SECONDS + 30))
				while [[ -n $(ls -A "$KUBELET_DIR/pods" 2>/dev/null) ]] && ((SECONDS < deadline)); do sleep 0.5; done
			fi
		fi
		stop_component kube-proxy
		stop_component kubelet
		stop_component kube-controller-manager
		stop_component kube-scheduler
		remove_runtime_leftovers
		# The apiserver waits for open watches of outside clients up to its
		# request timeout (60s) before it exits; its state is all in etcd.
		stop_component kube-apiserver 10
		stop_component etcd
		stop_component containerd
	fi
	sweep_runtime
	if [[ -n $BIN_DIR && -x $BIN_DIR/kube-proxy ]] && iptables-save 2>/dev/null | grep -q '^:KUBE-'; then
		"$BIN_DIR/kube-proxy" --cleanup >>"$LOG_DIR/kube-proxy.log" 2>&1 || true
	fi
	for c in iptables ip6tables; do
		command -v "$c" >/dev/null || continue
		for t in filter nat mangle; do purge_chains "$c" "$t" KUBE- CNI-; done
	done
	rm -rf "${CNI_IPAM_DIR:?}"/*
	# The kubelet's (now empty) pod cgroups.
	find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
	host_restore
	if ((purge)); then
		rm -rf "$STATE_DIR" "$KUBELET_DIR" "$RUN_DIR" /var/log/pods /var/log/containers
		log "purged $STATE_DIR, $KUBELET_DIR and the pod logs in /var/log/pods"
	fi
	if ((any)); then
		log "cluster down in $((SECONDS - t0))s"
	elif ((SWEPT)); then
		log "no cluster process was running; removed $SWEPT leftover(s) of an earlier run"
	else
		log "nothing was running"
	fi
}

# ----------------------------------------------------------------- status ---

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

cmd_status() {
	local c pid n=0 ok=0 health rss total=0 shims=0
	BIN_DIR=$(cached_bin_dir)
	for c in "${COMPONENTS[@]}"; do
		if pid=$(running_pid "$c"); then
			n=$((n + 1))
			if "health_$c" 2>/dev/null; then health=healthy; ok=$((ok + 1)); else health=UNHEALTHY; fi
			rss=$(rss_kb "$pid")
			total=$((total + rss))
			printf '%-24s running  pid %-8s %-9s RSS %5d MiB\n' "$c" "$pid" "$health" $((rss / 1024))
		else
			printf '%-24s stopped\n' "$c"
		fi
	done
	for pid in $(scan_shims); do
		shims=$((shims + 1))
		total=$((total + $(rss_kb "$pid")))
	done
	((n == 0)) || printf '%-24s %d running; RSS of all the above and the shims: %d MiB\n' \
		containerd-shims "$shims" $((total / 1024))
	if ((n)) && [[ -n $BIN_DIR ]] && health_kube-apiserver 2>/dev/null; then
		kc get nodes -o wide 2>/dev/null || true
	fi
	printf 'kubeconfig: %s\nlogs: %s\nbinaries: %s\n' "$ADMIN_KUBECONFIG" "$LOG_DIR" "${BIN_DIR:-(not built)}"
	((n == 0)) && return 3
	((ok == ${#COMPONENTS[@]})) && node_ready "" && return 0
	return 1
}

# ------------------------------------------------------------------- main ---

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	# every command but up acts on the containerd that runs (or ran)
	[[ $cmd == up ]] || use_flavour "$(recorded_flavour)"
	case $cmd in
	up) need_root; take_lock; cmd_up "$@" ;;
	down) need_root; take_lock; cmd_down "$@" ;;
	crash) need_root; take_lock; cmd_crash "$@" ;;
	status) cmd_status "$@" ;;
	kubeconfig) echo "$ADMIN_KUBECONFIG" ;;
	env)
		BIN_DIR=$(cached_bin_dir)
		echo "export KUBECONFIG=$ADMIN_KUBECONFIG"
		[[ -n $BIN_DIR ]] && echo "export PATH=$BIN_DIR:\$PATH"
		echo "export CONTAINER_RUNTIME_ENDPOINT=unix://$CONTAINERD_SOCK"
		echo "export SC_STATE_DIR=$STATE_DIR SC_LOG_DIR=$LOG_DIR SC_KUBELET_DIR=$KUBELET_DIR SC_NODE_NAME=$NODE_NAME"
		;;
	kubectl) kc "$@" ;;
	crictl)
		BIN_DIR=$(cached_bin_dir)
		[[ -n $BIN_DIR ]] || die "crictl not built yet: run 'up' or 'build'"
		crictl_cmd "$@"
		;;
	import-image)
		need_root
		take_lock
		[[ $# -ge 1 && $# -le 2 ]] || die "usage: cluster.sh import-image ARCHIVE [NAME:TAG]"
		import_image "$@"
		;;
	build) find_bins && echo "$BIN_DIR" ;;
	-h | --help | help) usage ;;
	"") usage >&2; exit 2 ;;
	*) die "unknown command: $cmd (see --help)" ;;
	esac
}

main "$@"
