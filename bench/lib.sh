# shellcheck shell=bash disable=SC2034
# Helpers shared by the scripts in bench/ (sourced; they set -euo pipefail).
# Needs the cluster and the operator: hack/cluster/cluster.sh up && hack/deploy.sh.

eval "$(hack/cluster/cluster.sh env)"
S=stoppablecontainers.stoppablecontainer.xtlsoft.top
SCI=stoppablecontainerinstances.stoppablecontainer.xtlsoft.top
OPERATOR_NS=stoppablecontainer-system

# The workload's start marker: the time the command started, in microseconds
# since the epoch, written to /tmp/started. busybox's date has no %N, its
# adjtimex (read-only, no privilege needed) gives the clock: tv_usec holds
# microseconds, or nanoseconds when the kernel's NTP status has STA_NANO
# (8192) set, as it has once a time daemon asked for it.
# shellcheck disable=SC2016 # $2 is awk's
MARKER_SH='adjtimex | awk '\''/status:/ {st = $2} /tv_sec/ {s = $2} /tv_usec/ {u = $2} END {if (int(st / 8192) % 2) u = int(u / 1000); printf "%d%06d\n", s, u}'\'' >/tmp/started'

now_us() { date +%s%6N; }
ms() { date +%s%3N; }

# bench_namespace PREFIX: makes a fresh namespace, deleted on exit.
bench_namespace() {
	ns=$1-$$
	kubectl create namespace "$ns" >/dev/null
	trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
}
k() { kubectl -n "$ns" "$@"; }

# read_marker POD AFTER_US: polls the workload's marker until it holds a time
# after AFTER_US (the rootfs persists, so an old start's marker may be
# there); prints it.
read_marker() {
	local pod=$1 after=$2 v deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		v=$(k exec "$pod" -- cat /tmp/started 2>/dev/null) || v=""
		if [[ $v =~ ^[0-9]+$ ]] && ((v > after)); then
			echo "$v"
			return 0
		fi
		sleep 0.1
	done
	echo "read_marker: no marker after $after in $pod within 60s" >&2
	return 1
}

crictl_() { crictl --config "$SC_STATE_DIR/config/crictl.yaml" "$@"; }
# rfc3339_us TIME: an RFC 3339 time (with nanoseconds) in microseconds.
rfc3339_us() { date -d "$1" +%s%6N; }

# container_started_us POD: when containerd started the pod's first
# container (crictl inspect .status.startedAt, nanoseconds), in microseconds.
container_started_us() {
	local id
	id=$(k get pod "$1" -o jsonpath='{.status.containerStatuses[0].containerID}')
	rfc3339_us "$(crictl_ inspect -o json "${id#*://}" | jq -r .status.startedAt)"
}

# sandbox_created_us POD: when the kubelet had the pod's sandbox created.
sandbox_created_us() {
	local id
	id=$(crictl_ pods --namespace "$ns" --name "^$1\$" -q | head -n1)
	rfc3339_us "$(crictl_ inspectp -o json "$id" | jq -r .status.createdAt)"
}

# median VALUES...
median() {
	printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END { printf "%.0f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2 }'
}

# stats NAME UNIT VALUES...: median, p95 (nearest rank), min and max.
stats() {
	local name=$1 unit=$2
	shift 2
	printf '%s\n' "$@" | sort -n | awk -v n="$name" -v u="$unit" '{a[NR]=$1} END {
		m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
		p = a[int(0.95 * NR + 0.999)];
		printf "%-46s median %6.0f %s  p95 %6.0f %s  min %6.0f  max %6.0f  (n=%d)\n", n, m, u, p, u, a[1], a[NR], NR }'
}

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# The machine's state, printed with every result.
print_context() {
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load:$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); controller image $(kubectl -n "$OPERATOR_NS" get deploy sc-controller -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null)"
}

# wait_phase NAME PHASE [TIMEOUT]
wait_phase() { k wait --for=jsonpath='{.status.phase}'="$2" "$S/$1" --timeout="${3:-180}s" >/dev/null; }

# requests URL OUT: "verb resource code count" lines.
requests() {
	curl -fsS --max-time 10 "$1" | sed -n 's/^sc_kube_requests_total{verb="\([^"]*\)",resource="\([^"]*\)",code="\([^"]*\)"} \([0-9]*\)$/\1 \2 \3 \4/p' >"$2"
}
# requests_delta BEFORE AFTER: the difference, one line per series, and the total.
requests_delta() {
	awk 'NR == FNR { b[$1 " " ($2 == "" ? "-" : $2) " " $3] = $4; next }
	     { k = $1 " " ($2 == "" ? "-" : $2) " " $3; d = $4 - b[k]; if (d > 0) { printf "    %-8s %-36s %-5s %6d\n", $1, $2 == "" ? "-" : $2, $3, d; t += d } }
	     END { printf "    total %d\n", t }' "$1" "$2" | sort -k4 -nr
}

# pid_of NAMESPACE POD: the host pid of the pod's (first running) container.
pid_of() {
	local sandbox cid
	sandbox=$(crictl --config "$SC_STATE_DIR/config/crictl.yaml" pods --namespace "$1" --name "^$2\$" --state ready -q | head -n1)
	cid=$(crictl --config "$SC_STATE_DIR/config/crictl.yaml" ps --pod "$sandbox" --state running -q | head -n1)
	crictl --config "$SC_STATE_DIR/config/crictl.yaml" inspect -o json "$cid" | jq -r .info.pid
}
# rss_kib PID, hwm_kib PID: a process's resident memory now and its peak.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# metric_sum URL NAME: the sum of every series of metric NAME on /metrics.
metric_sum() {
	curl -fsS --max-time 10 "$1" | awk -v m="$2" '$1 ~ "^" m "({|$)" { t += $NF } END { printf "%d\n", t }'
}

# operator_endpoints: sets leader and helper (the controller replica holding
# the lease, a mount-helper pod) and ctl_url and helper_url (their /metrics).
operator_endpoints() {
	local t0 holder
	# Right after a rollout the lease may still name a replica on its way out:
	# wait (up to 3 min) for a holder that is Ready and not terminating.
	t0=$(ms)
	while :; do
		holder=$(kubectl -n "$OPERATOR_NS" get lease stoppablecontainer-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
		holder=${holder%_*}
		[[ -n $holder ]] && kubectl -n "$OPERATOR_NS" get pod "$holder" -o json 2>/dev/null |
			jq -e '(.metadata.deletionTimestamp == null) and any(.status.conditions[]?; .type == "Ready" and .status == "True")' >/dev/null && break
		if (($(ms) - t0 > 180000)); then echo "no ready controller leader after 3 min (lease holder: '$holder')" >&2; return 1; fi
		sleep 1
	done
	leader=$(kubectl -n "$OPERATOR_NS" get lease stoppablecontainer-controller -o jsonpath='{.spec.holderIdentity}')
	leader=${leader%_*}
	helper=$(kubectl -n "$OPERATOR_NS" get pods -l app.kubernetes.io/name=sc-mount-helper -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
	[[ -n $helper ]] || helper=$(kubectl -n "$OPERATOR_NS" get pods -o name | sed -n 's|^pod/\(sc-mount-helper-.*\)|\1|p' | head -n1)
	ctl_url=http://$(kubectl -n "$OPERATOR_NS" get pod "$leader" -o jsonpath='{.status.podIP}'):8080/metrics
	helper_url=http://$(kubectl -n "$OPERATOR_NS" get pod "$helper" -o jsonpath='{.status.podIP}'):8081/metrics
}

# stopped_scs_yaml N PREFIX: N StoppableContainers PREFIX1..PREFIXN, running:
# false, $IMAGE sleeping, as one YAML stream for one kubectl create.
stopped_scs_yaml() {
	local i
	for i in $(seq 1 "$1"); do
		cat <<-EOT
		---
		apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
		kind: StoppableContainer
		metadata: {name: $2$i}
		spec:
		  running: false
		  template:
		    container: {image: $IMAGE, imagePullPolicy: Never, command: [sh, -c, "sleep infinity"]}
		EOT
	done
}
