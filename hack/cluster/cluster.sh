#!/usr/bin/env bash
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

# --------------------------------------------------------------- processes ---

pidfile() { echo "$RUN_DIR/$1.pid"; }

# Is $1 a live (not zombie) process whose argv[0] is binary $2?
pid_is() {
	local pid=$1 name=$2 state argv0
	[[ -r /proc/$pid/stat ]] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[[ $state != Z && $state != X ]] || return 1
	argv0=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | head -n1) || return 1
	[[ ${argv0##*/} == "$name" ]]
}

# Processes named $1 whose command line mentions our state dir: ours even
# when the pidfile was lost (a killed 'up', a wiped /run).
scan_ours() {
	local name=$1 p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		pid_is "$p" "$name" || continue
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$STATE_DIR/" && echo "$p"
	done
	return 0
}

# Prints the pid of our running component $1 (refreshing a stale pidfile);
# fails when it does not run.
running_pid() {
	local name=$1 f pid
	f=$(pidfile "$name")
	if [[ -f $f ]]; then
		pid=$(<"$f")
		if [[ $pid =~ ^[0-9]+$ ]] && pid_is "$pid" "$name"; then
			echo "$pid"
			return 0
		fi
		rm -f "$f"
	fi
	pid=$(scan_ours "$name" | head -n1)
	[[ -n $pid ]] || return 1
	mkdir -p "$RUN_DIR"
	echo "$pid" >"$f"
	echo "$pid"
}

# start_component NAME BINARY ARGS...: starts it detached (own session, stdin
# from /dev/null, output appended to its log) and records its pid.
start_component() {
	local name=$1
	shift
	mkdir -p "$RUN_DIR" "$LOG_DIR"
	printf '\n==== %s starting %s\n' "$(date -Is)" "$name" >>"$LOG_DIR/$name.log"
	# The daemons outlive us: they must not inherit (and so hold for their
	# whole life) any descriptor of ours beyond stdio: our lock on fd 9, a
	# caller's `flock FILE cluster.sh up` lock, a CI pipe.
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-"
		done
		exec setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1
	) &
	echo $! >"$(pidfile "$name")"
	log "started $name (pid $!, log $LOG_DIR/$name.log)"
}

# stop_component NAME [TIMEOUT]: SIGTERM, wait, then SIGKILL.
stop_component() {
	local name=$1 timeout=${2:-30} pid deadline
	while pid=$(running_pid "$name"); do
		kill -TERM "$pid" 2>/dev/null || true
		deadline=$((SECONDS + timeout))
		while pid_is "$pid" "$name" && ((SECONDS < deadline)); do sleep 0.2; done
		if pid_is "$pid" "$name"; then
			log "$name (pid $pid) still runs ${timeout}s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			deadline=$((SECONDS + 10))
			while pid_is "$pid" "$name" && ((SECONDS < deadline)); do sleep 0.2; done
			pid_is "$pid" "$name" && die "could not kill $name (pid $pid)"
		fi
		log "stopped $name (pid $pid)"
		rm -f "$(pidfile "$name")"
	done
	rm -f "$(pidfile "$name")"
}

# wait_until COMPONENT WHAT CMD...: polls CMD until it succeeds, for at most
# $TIMEOUT seconds; fails early when the component's process died.
wait_until() {
	local name=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if [[ $name != - ]] && ! running_pid "$name" >/dev/null; then
			tail -n 25 "$LOG_DIR/$name.log" >&2 || true
			die "$name exited while waiting for $what; see $LOG_DIR/$name.log (tail above)"
		fi
		if ((SECONDS >= deadline)); then
			if [[ $name == - ]]; then die "timed out after ${TIMEOUT}s waiting for $what"; fi
			tail -n 25 "$LOG_DIR/$name.log" >&2 || true
			die "timed out after ${TIMEOUT}s waiting for $what ($name); see $LOG_DIR/$name.log (tail above)"
		fi
		sleep 0.5
	done
}

# ----------------------------------------------------------- health checks ---

curl_admin() {
	curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"
}
health_containerd() {
	ctr --address "$CONTAINERD_SOCK" plugins ls 2>/dev/null | grep -E '^io\.containerd\.grpc\.v1\s+cri\s.*\sok\s*$' >/dev/null
}
health_etcd() { [[ $(curl -fsS --max-time 5 http://127.0.0.1:2381/health) == *'"health":"true"'* ]]; }
health_kube-apiserver() { [[ $(curl_admin "https://127.0.0.1:$APISERVER_PORT/readyz") == ok ]]; }
health_kube-controller-manager() { [[ $(curl -fsSk --max-time 5 https://127.0.0.1:10257/healthz) == ok ]]; }
health_kube-scheduler() { [[ $(curl -fsSk --max-time 5 https://127.0.0.1:10259/healthz) == ok ]]; }
health_kubelet() { [[ $(curl -fsS --max-time 5 http://127.0.0.1:10248/healthz) == ok ]]; }
health_kube-proxy() { curl -fsS --max-time 5 http://127.0.0.1:10256/healthz >/dev/null; }
# node_ready [SINCE]: the node's Ready condition is True (and, with SINCE, an
# RFC 3339 UTC time, was reported at or after it: after a 'down' the node
# object still says Ready until the node controller notices).
node_ready() {
	local since=${1:-} out
	out=$(kc get node "$NODE_NAME" -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.status} {.lastHeartbeatTime}{end}' 2>/dev/null) || return 1
	[[ $out == "True "* ]] || return 1
	[[ -z $since || ! ${out#True } < $since ]]
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

# --------------------------------------------------------------------- PKI ---

# mkcert NAME CN O(or -) KIND(client|server|serving-client) [SAN]
mkcert() {
	local name=$1 cn=$2 o=$3 kind=$4 san=${5:-} subj ext
	[[ -s $PKI/$name.crt && -s $PKI/$name.key ]] && return 0
	subj="/CN=$cn"
	[[ $o != - ]] && subj="/O=$o$subj"
	ext=$PKI/$name.ext
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		case $kind in
		client) echo "extendedKeyUsage=clientAuth" ;;
		server) echo "extendedKeyUsage=serverAuth" ;;
		both) echo "extendedKeyUsage=serverAuth,clientAuth" ;;
		esac
		[[ -n $san ]] && echo "subjectAltName=$san"
	} >"$ext"
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key.tmp" 2>/dev/null
	openssl req -new -key "$PKI/$name.key.tmp" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
	openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
		-days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
	rm -f "$PKI/$name.csr" "$ext"
	mv "$PKI/$name.key.tmp" "$PKI/$name.key"
}

make_pki() {
	local ip=$1 params
	mkdir -p "$PKI"
	chmod 700 "$PKI"
	if [[ ! -s $PKI/ca.crt || ! -s $PKI/ca.key ]]; then
		log "making the cluster CA"
		openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
		openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=sc-cluster-ca" -days 3650 -sha256 \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
			-out "$PKI/ca.crt" 2>/dev/null
	fi
	# Serving certificates name the node IP: remake them when it changed.
	params="node=$NODE_NAME ip=$ip svc=$SERVICE_IP"
	if [[ $(cat "$PKI/params" 2>/dev/null) != "$params" ]]; then
		rm -f "$PKI"/apiserver.{crt,key} "$PKI"/kubelet-serving.{crt,key}
		echo "$params" >"$PKI/params"
	fi
	mkcert apiserver kube-apiserver - server \
		"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$SERVICE_IP,IP:$ip"
	mkcert apiserver-kubelet-client kube-apiserver-kubelet-client - client
	mkcert apiserver-etcd-client kube-apiserver-etcd-client - client
	mkcert etcd-server etcd - both "DNS:localhost,IP:127.0.0.1"
	mkcert admin kubernetes-admin system:masters client
	mkcert controller-manager system:kube-controller-manager - client
	mkcert scheduler system:kube-scheduler - client
	mkcert kubelet "system:node:$NODE_NAME" system:nodes client
	mkcert kubelet-serving "system:node:$NODE_NAME" system:nodes server "DNS:$NODE_NAME,DNS:localhost,IP:$ip,IP:127.0.0.1"
	mkcert kube-proxy system:kube-proxy - client
	if [[ ! -s $PKI/sa.key ]]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key.tmp" 2>/dev/null
		openssl pkey -in "$PKI/sa.key.tmp" -pubout -out "$PKI/sa.pub" 2>/dev/null
		mv "$PKI/sa.key.tmp" "$PKI/sa.key"
	fi
	chmod 600 "$PKI"/*.key
}

# mkkubeconfig FILE CERTNAME: a kubeconfig with the certificates embedded.
mkkubeconfig() {
	local file=$1 cert=$2 user=$2
	cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sc-cluster
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$cert.crt")
    client-key-data: $(base64 -w0 <"$PKI/$cert.key")
contexts:
- name: sc-cluster
  context:
    cluster: sc-cluster
    user: $user
current-context: sc-cluster
EOF
	chmod 600 "$file.tmp"
	mv "$file.tmp" "$file"
}

# ----------------------------------------------------------------- configs ---

# Can this process lower an oom_score_adj (CAP_SYS_RESOURCE, bit 24)? Some
# VMs and containers drop it from root's bounding set; then runc cannot give
# the sandbox its oom_score_adj of -998 and every pod fails with "can't get
# final child's PID from pipe: EOF".
have_cap_sys_resource() {
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((16#$eff >> 24) & 1))
}

# The kubelet's configuration file ($STATE_DIR/config/kubelet.yaml).
kubelet_config() {
	cat <<EOF
# Written by hack/cluster/cluster.sh; rewritten on every 'up'.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: Webhook
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $STATE_DIR/config/resolv.conf
# Imported images cannot be pulled again: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  nodefs.inodesFree: 2%
  imagefs.available: 2%
serializeImagePulls: false
# Room for 200 StoppableContainers (a provider pod each) and then some; the
# /24 pod CIDR holds 253 pod addresses (.0, the bridge's .1 and .255 aside).
maxPods: 250
EOF
}

# containerd 1.6 (Debian's): config version 2.
write_containerd16_config() {
	local restrict_oom=$1
	cat >"$STATE_DIR/config/containerd.toml" <<EOF
# Written by hack/cluster/cluster.sh; rewritten on every 'up'.
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    # true when root lacks CAP_SYS_RESOURCE: no container gets an
    # oom_score_adj below containerd's own.
    restrict_oom_score_adj = $restrict_oom
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$CNI_BIN_DIR"
      conf_dir = "$CNI_CONF_DIR"
  [plugins."io.containerd.internal.v1.opt"]
    path = "$CONTAINERD_ROOT/opt"
EOF
}

write_configs() {
	local ip=$1 restrict_oom=false
	have_cap_sys_resource || restrict_oom=true
	mkdir -p "$STATE_DIR/kubeconfigs" "$STATE_DIR/config" "$CNI_CONF_DIR" "$CNI_IPAM_DIR" "$CONTAINERD_ROOT" "$ETCD_DIR"
	chmod 700 "$ETCD_DIR"
	mkkubeconfig "$ADMIN_KUBECONFIG" admin
	mkkubeconfig "$STATE_DIR/kubeconfigs/controller-manager.kubeconfig" controller-manager
	mkkubeconfig "$STATE_DIR/kubeconfigs/scheduler.kubeconfig" scheduler
	mkkubeconfig "$STATE_DIR/kubeconfigs/kubelet.kubeconfig" kubelet
	mkkubeconfig "$STATE_DIR/kubeconfigs/kube-proxy.kubeconfig" kube-proxy

	if [[ $CONTAINERD_FLAVOUR == 2 ]]; then
		sed -e "s|@CONTAINERD_ROOT@|$CONTAINERD_ROOT|g" -e "s|@CONTAINERD_STATE@|$CONTAINERD_STATE|g" \
			-e "s|@CONTAINERD_SOCK@|$CONTAINERD_SOCK|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" \
			-e "s|@RESTRICT_OOM@|$restrict_oom|g" -e "s|@CNI_BIN_DIR@|$CNI_BIN_DIR|g" \
			-e "s|@CNI_CONF_DIR@|$CNI_CONF_DIR|g" "$here/containerd2/config.toml.in" \
			>"$STATE_DIR/config/containerd.toml"
	else
		write_containerd16_config "$restrict_oom"
	fi
	cat >"$STATE_DIR/config/crictl.yaml" <<EOF
runtime-endpoint: unix://$CONTAINERD_SOCK
image-endpoint: unix://$CONTAINERD_SOCK
timeout: 30
EOF

	cat >"$CNI_CONF_DIR/10-sc-bridge.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "sc-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
	cat >"$CNI_CONF_DIR/99-loopback.conf" <<EOF
{ "cniVersion": "0.4.0", "name": "lo", "type": "loopback" }
EOF

	# Pods get this resolv.conf (no cluster DNS runs): the host's nameservers
	# without loopback ones, which a pod cannot reach.
	{
		echo "# Written by hack/cluster/cluster.sh"
		grep -E '^\s*nameserver\s' /etc/resolv.conf 2>/dev/null | grep -vE '\s(127\.|::1)' || true
		grep -E '^\s*(search|options)\s' /etc/resolv.conf 2>/dev/null || true
	} >"$STATE_DIR/config/resolv.conf"

	# Only a changed configuration is written, so 'up' can tell the kubelet
	# must be restarted to read it.
	KUBELET_CONFIG_CHANGED=0
	if [[ $(kubelet_config) != "$(cat "$STATE_DIR/config/kubelet.yaml" 2>/dev/null)" ]]; then
		kubelet_config >"$STATE_DIR/config/kubelet.yaml.tmp"
		mv "$STATE_DIR/config/kubelet.yaml.tmp" "$STATE_DIR/config/kubelet.yaml"
		KUBELET_CONFIG_CHANGED=1
	fi

	cat >"$STATE_DIR/config/kube-proxy.yaml" <<EOF
# Written by hack/cluster/cluster.sh; rewritten on every 'up'.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE_DIR/kubeconfigs/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: 0.0.0.0
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave the host's conntrack sysctls alone.
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
nodePortAddresses: [primary]
iptables:
  localhostNodePorts: false
EOF
}

# ------------------------------------------------------------------ images ---

# write_docker_archive comes from hack/lib/image.sh (sourced above).

build_pause_archive() {
	local out=$1 tree cc
	tree=$(mktemp -d)
	if command -v musl-gcc >/dev/null; then cc=musl-gcc; else cc=gcc; fi
	"$cc" -static -Os -s -o "$tree/sc-pause" "$repo_root/src/pause/sc-pause.c" \
		|| die "compiling src/pause/sc-pause.c with $cc failed"
	write_docker_archive "$PAUSE_IMAGE" "$tree" "$out" '{"Entrypoint":["/sc-pause"],"User":"65535:65535"}'
	rm -rf "$tree"
}

build_busybox_archive() {
	local out=$1 tree applet
	tree=$(mktemp -d)
	mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/tmp}
	chmod 1777 "$tree/tmp" "$tree/var/tmp"
	cp /bin/busybox "$tree/bin/busybox"
	while read -r applet; do
		[[ $applet == bin/busybox || -e $tree/$applet ]] && continue
		ln -s /bin/busybox "$tree/$applet"
	done < <("$tree/bin/busybox" --list-full)
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tree/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$tree/etc/group"
	write_docker_archive "$BUSYBOX_IMAGE" "$tree" "$out" \
		'{"Cmd":["/bin/sh"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
	rm -rf "$tree"
}

crictl_cmd() {
	local cfg=$STATE_DIR/config/crictl.yaml
	[[ -f $cfg ]] || cfg=/dev/null
	"$BIN_DIR/crictl" --config "$cfg" --runtime-endpoint "unix://$CONTAINERD_SOCK" "$@"
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# Is an image with short name $1 (as in a pod spec) in containerd?
have_image() {
	ctr_k8s images ls -q 2>/dev/null | grep -qE "(^|/)${1//./\\.}\$"
}

# archive_transport FILE: skopeo's transport name for an OCI or docker archive.
archive_transport() {
	local members
	members=$(tar -tf "$1" 2>/dev/null) || die "import-image: $1 is not a tar archive"
	if grep -qxE '(\./)?oci-layout' <<<"$members"; then
		echo oci-archive
	elif grep -qxE '(\./)?manifest\.json' <<<"$members"; then
		echo docker-archive
	else
		die "import-image: $1 is neither an OCI archive (oci-layout) nor a docker archive (manifest.json)"
	fi
}

oci_index() { tar -xOf "$1" index.json 2>/dev/null || tar -xOf "$1" ./index.json 2>/dev/null || true; }

# import_image ARCHIVE [NAME]: prints the names it imported.
# With NAME, skopeo first rewrites the archive as a docker archive tagged NAME,
# so ctr names the image the way the kubelet spells it. (Tagging after the
# import is not enough: for an OCI archive holding only a tag, ctr invents
# "import-<date>:<tag>", and containerd 1.6's CRI then keeps a normalised
# copy of that name which it fails to resolve when starting containers.)
# The image names an archive carries: a docker-archive's RepoTags, an OCI
# archive's full image-name annotations (a bare tag is no name).
archive_names() {
	if [[ $(archive_transport "$1") == oci-archive ]]; then
		oci_index "$1" | jq -r '.manifests[].annotations // {}
			| (."io.containerd.image.name" // ."org.opencontainers.image.ref.name" // "")
			| select(contains("/"))'
	else
		tar -xOf "$1" manifest.json 2>/dev/null | jq -r '.[].RepoTags // [] | .[]'
	fi
}

import_image() {
	local archive=$1 name=${2:-} out imported=() names=() listed n full tmp=""
	[[ -f $archive ]] || die "import-image: no such file: $archive"
	health_containerd || die "import-image: containerd is not running (run 'up' first)"
	if [[ -n $name ]]; then
		tmp=$(mktemp -d)
		skopeo copy -q "$(archive_transport "$archive"):$archive" "docker-archive:$tmp/image.tar:$name" >&2 \
			|| { rm -rf "$tmp"; die "import-image: skopeo could not convert $archive to a docker archive named $name"; }
		archive=$tmp/image.tar
	fi
	# Checked before importing: a name ctr invents stays in the CRI's image
	# list until containerd restarts, even once removed.
	mapfile -t names < <(archive_names "$archive")
	if ((${#names[@]} == 0)); then
		[[ -z $tmp ]] || rm -rf "$tmp"
		die "import-image: $1 names no full image reference (only a tag, or none); give NAME:TAG"
	fi
	out=$(ctr_k8s images import "$archive" 2>&1) || { [[ -z $tmp ]] || rm -rf "$tmp"; die "ctr images import failed: $out"; }
	[[ -z $tmp ]] || rm -rf "$tmp"
	# The names as containerd lists them: 1.6 and 2.x both put the default
	# registry's domain in front of a short name; their progress output
	# differs, so the list is read back rather than parsed from it.
	listed=$(ctr_k8s images ls -q 2>/dev/null)
	for n in "${names[@]}"; do
		full=$(grep -E "(^|/)${n//./\\.}\$" <<<"$listed" | head -n1)
		[[ -n $full ]] || die "import-image: containerd lists no image $n after importing $1 (ctr said: $out)"
		imported+=("$full")
	done
	printf '%s\n' "${imported[@]}"
}

# Builds our two images and imports them when their archive changed or the
# image is missing from containerd.
ensure_images() {
	local dir=$STATE_DIR/images img archive sum
	mkdir -p "$dir"
	build_pause_archive "$dir/pause.tar"
	build_busybox_archive "$dir/busybox.tar"
	for img in pause:"$PAUSE_IMAGE" busybox:"$BUSYBOX_IMAGE"; do
		archive=$dir/${img%%:*}.tar
		sum=$(sha256sum "$archive" | cut -d' ' -f1)
		if [[ $(cat "$archive.imported" 2>/dev/null) == "$sum" ]] && have_image "${img#*:}"; then
			continue
		fi
		import_image "$archive" >/dev/null
		echo "$sum" >"$archive.imported"
		log "imported image ${img#*:}"
	done
}

# ------------------------------------------------------------------ starts ---

ensure_containerd() {
	if ! running_pid containerd >/dev/null; then
		if [[ -S $CONTAINERD_SOCK ]] && ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
			die "a containerd not started by this script serves $CONTAINERD_SOCK; stop it first"
		fi
		start_component containerd containerd --config "$STATE_DIR/config/containerd.toml"
	fi
	wait_until containerd "containerd's CRI plugin on $CONTAINERD_SOCK" health_containerd
}

ensure_etcd() {
	if ! running_pid etcd >/dev/null; then
		start_component etcd "$BIN_DIR/etcd" --name "$NODE_NAME" --data-dir "$ETCD_DIR" \
			--listen-client-urls https://127.0.0.1:2379 --advertise-client-urls https://127.0.0.1:2379 \
			--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
			--initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --initial-cluster-state new \
			--listen-metrics-urls http://127.0.0.1:2381 \
			--cert-file "$PKI/etcd-server.crt" --key-file "$PKI/etcd-server.key" \
			--trusted-ca-file "$PKI/ca.crt" --client-cert-auth \
			--auto-compaction-retention 1 --snapshot-count 10000
	fi
	wait_until etcd "etcd /health on 127.0.0.1:2381" health_etcd
}

ensure_apiserver() {
	local ip=$1
	if ! running_pid kube-apiserver >/dev/null; then
		start_component kube-apiserver "$BIN_DIR/kube-apiserver" \
			--advertise-address "$ip" --bind-address 0.0.0.0 --secure-port "$APISERVER_PORT" \
			--etcd-servers https://127.0.0.1:2379 --etcd-cafile "$PKI/ca.crt" \
			--etcd-certfile "$PKI/apiserver-etcd-client.crt" --etcd-keyfile "$PKI/apiserver-etcd-client.key" \
			--client-ca-file "$PKI/ca.crt" \
			--tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
			--kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
			--kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
			--kubelet-certificate-authority "$PKI/ca.crt" \
			--kubelet-preferred-address-types InternalIP,Hostname \
			--authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
			--allow-privileged=true \
			--service-cluster-ip-range "$SERVICE_CIDR" \
			--service-account-issuer https://kubernetes.default.svc \
			--service-account-key-file "$PKI/sa.pub" \
			--service-account-signing-key-file "$PKI/sa.key" \
			--profiling=false
	fi
	wait_until kube-apiserver "kube-apiserver /readyz" health_kube-apiserver
	# The apiserver's client certificate for kubelet calls (logs, exec).
	if ! kc get clusterrolebinding sc-apiserver-kubelet-api-admin >/dev/null 2>&1; then
		kc create clusterrolebinding sc-apiserver-kubelet-api-admin \
			--clusterrole system:kubelet-api-admin --user kube-apiserver-kubelet-client >/dev/null
	fi
}

ensure_controller_manager() {
	local kcfg=$STATE_DIR/kubeconfigs/controller-manager.kubeconfig
	if ! running_pid kube-controller-manager >/dev/null; then
		start_component kube-controller-manager "$BIN_DIR/kube-controller-manager" \
			--kubeconfig "$kcfg" --authentication-kubeconfig "$kcfg" --authorization-kubeconfig "$kcfg" \
			--bind-address 127.0.0.1 --leader-elect=false \
			--use-service-account-credentials \
			--root-ca-file "$PKI/ca.crt" \
			--service-account-private-key-file "$PKI/sa.key" \
			--cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
			--service-cluster-ip-range "$SERVICE_CIDR" \
			--cluster-name sc-cluster --profiling=false
	fi
}

ensure_scheduler() {
	local kcfg=$STATE_DIR/kubeconfigs/scheduler.kubeconfig
	if ! running_pid kube-scheduler >/dev/null; then
		start_component kube-scheduler "$BIN_DIR/kube-scheduler" \
			--kubeconfig "$kcfg" --authentication-kubeconfig "$kcfg" --authorization-kubeconfig "$kcfg" \
			--bind-address 127.0.0.1 --leader-elect=false --profiling=false
	fi
}

ensure_kubelet() {
	local ip=$1
	if ! running_pid kubelet >/dev/null; then
		mkdir -p "$KUBELET_DIR"
		start_component kubelet "$BIN_DIR/kubelet" \
			--config "$STATE_DIR/config/kubelet.yaml" \
			--kubeconfig "$STATE_DIR/kubeconfigs/kubelet.kubeconfig" \
			--root-dir "$KUBELET_DIR" \
			--hostname-override "$NODE_NAME" --node-ip "$ip"
	fi
	wait_until kubelet "kubelet /healthz on 127.0.0.1:10248" health_kubelet
}

ensure_kube_proxy() {
	if ! running_pid kube-proxy >/dev/null; then
		start_component kube-proxy "$BIN_DIR/kube-proxy" --config "$STATE_DIR/config/kube-proxy.yaml"
	fi
	wait_until kube-proxy "kube-proxy /healthz on 127.0.0.1:10256" health_kube-proxy
}

all_healthy() {
	local c
	for c in "${COMPONENTS[@]}"; do
		running_pid "$c" >/dev/null && "health_$c" || return 1
	done
	node_ready ""
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

# ------------------------------------------------------------------- down ---

# Mount points at or below the given directories, deepest first. An argument
# ending in '-' is a plain name prefix (/run/netns/cni-).
mounts_under() {
	local d
	for d in "$@"; do
		# mountinfo escapes blanks as octal; field 5 is the mount point.
		awk -v d="$d" '{ mp = $5; gsub(/\\040/, " ", mp)
			if (d ~ /-$/) { if (index(mp, d) == 1) print mp }
			else if (mp == d || index(mp, d "/") == 1) print mp }' /proc/self/mountinfo
	done | sort -ru
}

unmount_under() {
	local mp n=0
	while read -r mp; do
		[[ -n $mp ]] || continue
		umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || log "WARNING: could not unmount $mp"
		n=$((n + 1))
		SWEPT=$((SWEPT + 1))
	done < <(mounts_under "$@")
	((n == 0)) || log "unmounted $n mount(s)"
}

# Removes the chains whose names start with one of the given prefixes (and the
# rules that jump to them) from a table, in one iptables-restore.
purge_chains() {
	local cmd=$1 table=$2 dump
	shift 2
	local re
	re=$(printf '%s|' "$@")
	re="(${re%|})"
	dump=$("$cmd-save" -t "$table" 2>/dev/null) || return 0
	grep -qE "^:$re|-j $re" <<<"$dump" || return 0
	grep -vE "^:$re|^-A $re|-j $re" <<<"$dump" | "$cmd-restore" -T "$table" 2>/dev/null \
		|| log "WARNING: could not remove the ${*} chains from $cmd table $table"
}

# Sandboxes and containers that outlived the kubelet: stop and remove them
# through the CRI (tears down their network and mounts), then anything left
# in any containerd namespace (someone's 'ctr run' too: containerd stops next).
remove_runtime_leftovers() {
	local crictl=${BIN_DIR:+$BIN_DIR/crictl} ids id ns
	[[ -n $crictl && -x $crictl ]] || crictl=""
	health_containerd || return 0
	if [[ -n $crictl ]]; then
		ids=$(crictl_cmd pods -q 2>/dev/null || true)
		if [[ -n $ids ]]; then
			log "removing $(wc -w <<<"$ids") pod sandbox(es) left in containerd"
			# shellcheck disable=SC2086
			crictl_cmd --timeout 60s rmp -f $ids >/dev/null 2>&1 || true
		fi
	fi
	for ns in $(ctr --address "$CONTAINERD_SOCK" namespaces ls -q 2>/dev/null); do
		for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
			ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
			ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
			ctr --address "$CONTAINERD_SOCK" -n "$ns" containers delete "$id" >/dev/null 2>&1 || true
		done
	done
}

# Containers that outlived containerd (a killed run): runc kills all
# processes in their cgroup. Then the shims, which outlive containerd too; then
# every mount of the runtime and the kubelet, containerd's state under /run
# and the CNI bridge.
sweep_runtime() {
	local id rroot pid
	for rroot in "$CONTAINERD_STATE"/runc/*; do
		[[ -d $rroot ]] || continue
		for id in $(runc --root "$rroot" list -q 2>/dev/null); do
			if runc --root "$rroot" delete --force "$id" >/dev/null 2>&1; then
				log "force-deleted leftover container $id (${rroot##*/})"
				SWEPT=$((SWEPT + 1))
			fi
		done
	done
	for pid in $(scan_shims); do
		kill -KILL "$pid" 2>/dev/null || true
		log "killed leftover containerd shim $pid"
		SWEPT=$((SWEPT + 1))
	done
	unmount_under "$KUBELET_DIR" "$CONTAINERD_STATE" "$CONTAINERD_ROOT" "$STATE_DIR" /run/netns/cni-
	rm -f /run/netns/cni-* 2>/dev/null || true
	# containerd's state dir (sockets, fifos, empty bundle dirs), now unused.
	if ! running_pid containerd >/dev/null && [[ -z $(mounts_under "$CONTAINERD_STATE") ]]; then
		rm -rf "$CONTAINERD_STATE"
	fi
	if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
		ip link delete "$CNI_BRIDGE" && log "deleted bridge $CNI_BRIDGE"
		SWEPT=$((SWEPT + 1))
	fi
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

# containerd-shim processes that belong to our containerd (by its socket).
scan_shims() {
	local p argv
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		argv=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		[[ $argv == *containerd-shim* && $argv == *"$CONTAINERD_SOCK"* ]] && echo "$p"
	done
	return 0
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
