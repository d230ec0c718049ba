# shellcheck shell=bash disable=SC2153
# The cluster's components: processes (start, stop, find), health checks,
# and the ensure_* steps of 'up' that start each one.
# Sourced by hack/cluster/cluster.sh, which defines the variables and the
# helpers (log, die, ...) these functions use; it only defines functions.
# Lint it with cluster.sh: shellcheck -x hack/cluster/cluster.sh. On its own,
# TIMEOUT (cluster.sh's) looks unassigned.

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
