#!/usr/bin/env bash
# Tests of the local single-node cluster (hack/cluster/cluster.sh): brings it up
# (a no-op when it already runs), then checks that real pods, Services, volumes,
# mount propagation and our CRDs work. Leaves the cluster running for the e2e
# suite unless --with-down (or SC_TEST_DOWN=1) is given, which adds a last test
# that 'down' leaves no process, mount or container behind.
#
# Usage: test/cluster/run.sh [--with-down]
# SC_CRD_DIR overrides the CRD directory (default: config/crd of this tree).
# Prints one line per test and, last, exactly "N passed, N failed"; exits
# non-zero when any test failed. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
cluster=$repo_root/hack/cluster/cluster.sh

with_down=${SC_TEST_DOWN:-0}
for arg in "$@"; do
	case $arg in
	--with-down) with_down=1 ;;
	-h | --help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
	esac
done

IMAGE=sc-test/busybox:1
RUN_ID=$(date +%H%M%S)-$$
NS=sc-ctest-$RUN_ID
HOST_DIR=/var/lib/sc-cluster-test/$RUN_ID
POD_TIMEOUT=${SC_TEST_POD_TIMEOUT:-120}

passed=0 failed=0 skipped=0
failed_names=()

say() { printf '%s\n' "$*"; }
# Inside a test: print why and end the test (each test runs in a subshell).
fail() { say "    FAILED: $*"; exit 1; }
skip() { say "    SKIPPED: $*"; exit 77; }

run_test() {
	local name=$1 fn=$2 rc t0=$SECONDS
	say "=== RUN   $name"
	set +e
	(
		set -e
		"$fn"
	)
	rc=$?
	set -e
	case $rc in
	0) passed=$((passed + 1)); say "--- PASS  $name ($((SECONDS - t0))s)" ;;
	77) skipped=$((skipped + 1)); say "--- SKIP  $name" ;;
	*) failed=$((failed + 1)); failed_names+=("$name"); say "--- FAIL  $name ($((SECONDS - t0))s)" ;;
	esac
}

# ---------------------------------------------------------------- helpers ---

# Everything a failing pod test should show.
diag() {
	local pod=$1
	say "    ---- kubectl describe pod $pod"
	kubectl -n "$NS" describe pod "$pod" 2>&1 | sed 's/^/    /' || true
	say "    ---- logs of $pod (all containers)"
	kubectl -n "$NS" logs "$pod" --all-containers --prefix 2>&1 | sed 's/^/    /' || true
	say "    ---- events in $NS"
	kubectl -n "$NS" get events --sort-by=.lastTimestamp 2>&1 | tail -n 20 | sed 's/^/    /' || true
}

# wait_phase POD PHASE...: until the pod is in one of the phases (any final
# phase ends the wait too). Prints the phase reached.
wait_phase() {
	local pod=$1 phase deadline=$((SECONDS + POD_TIMEOUT)) want
	shift
	while :; do
		phase=$(kubectl -n "$NS" get pod "$pod" -o jsonpath='{.status.phase}' 2>/dev/null || true)
		for want in "$@"; do [[ $phase == "$want" ]] && { echo "$phase"; return 0; }; done
		if [[ $phase == Succeeded || $phase == Failed ]]; then echo "$phase"; return 0; fi
		if ((SECONDS >= deadline)); then echo "${phase:-none}"; return 0; fi
		sleep 0.5
	done
}

# expect_phase POD PHASE: waits and fails the test (with diagnostics) when the
# pod does not get there.
expect_phase() {
	local pod=$1 want=$2 got
	got=$(wait_phase "$pod" "$want")
	if [[ $got != "$want" ]]; then
		diag "$pod"
		fail "pod $pod: phase $got, want $want (waited up to ${POD_TIMEOUT}s)"
	fi
}

# expect_logs POD WANT: the logs of the pod's container "main" are exactly WANT.
expect_logs() {
	local pod=$1 want=$2 got
	got=$(kubectl -n "$NS" logs "$pod" -c main)
	if [[ $got != "$want" ]]; then
		diag "$pod"
		fail "pod $pod logs: got $(printf '%q' "$got"), want $(printf '%q' "$want")"
	fi
}

# A pod spec header every test pod shares.
pod_head() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: $NS
  labels: {app: $1}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
EOF
}

# ------------------------------------------------------------------ tests ---

test_cluster_up() {
	"$cluster" up || fail "'hack/cluster/cluster.sh up' failed (logs under /var/log/sc-cluster)"
	eval "$("$cluster" env)"
	command -v kubectl | grep -q '/k8s/' || fail "cluster.sh env did not put the cluster's kubectl first in PATH"
	kubectl create namespace "$NS" >/dev/null
	# The default ServiceAccount must exist before pods are admitted.
	local deadline=$((SECONDS + 60))
	until kubectl -n "$NS" get serviceaccount default >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail "no default ServiceAccount in $NS after 60s (controller-manager?)"
		sleep 0.5
	done
}

test_node_ready() {
	local ready version
	ready=$(kubectl get node "$SC_NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
	[[ $ready == True ]] || { kubectl describe node "$SC_NODE_NAME" | tail -n 40; fail "node $SC_NODE_NAME Ready=$ready"; }
	version=$(kubectl get node "$SC_NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}')
	[[ $version == v1.34.4 ]] || fail "kubelet version $version, want v1.34.4"
	version=$(kubectl version -o json | jq -r .serverVersion.gitVersion)
	[[ $version == v1.34.4 ]] || fail "apiserver version $version, want v1.34.4"
}

test_watch_list() {
	# A streaming list (sendInitialEvents) needs etcd's progress notifications
	# (etcd >= 3.4.31); Debian's etcd 3.4.23 could not serve it.
	local out
	out=$(timeout 20 kubectl get --raw \
		"/api/v1/namespaces/$NS/serviceaccounts?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2" \
		2>&1 || true)
	if ! grep -q '"name":"default"' <<<"$out" || ! grep -q '"k8s.io/initial-events-end":"true"' <<<"$out"; then
		fail "watch-list stream did not return the ServiceAccount and the initial-events-end bookmark: $out"
	fi
}

test_pod_logs() {
	{
		pod_head echo
		cat <<EOF
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'printf "hello from %s\nsecond line\n" "\$RUN_ID"']
    env: [{name: RUN_ID, value: "$RUN_ID"}]
EOF
	} | kubectl apply -f - >/dev/null
	expect_phase echo Succeeded
	expect_logs echo "hello from $RUN_ID"$'\n'"second line"
}

test_service() {
	local ip deadline
	{
		pod_head web
		cat <<EOF
  containers:
  - name: httpd
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'mkdir -p /www && echo "served by web $RUN_ID" > /www/index.html && exec httpd -f -p 8080 -h /www']
    env: [{name: RUN_ID, value: "$RUN_ID"}]
    ports: [{containerPort: 8080}]
    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: $NS
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
EOF
	} | kubectl apply -f - >/dev/null
	if ! kubectl -n "$NS" wait --for=condition=Ready pod/web --timeout="${POD_TIMEOUT}s" >/dev/null; then
		diag web
		fail "server pod web not Ready"
	fi
	ip=$(kubectl -n "$NS" get service web -o jsonpath='{.spec.clusterIP}')
	[[ $ip == 10.* ]] || fail "service web has no ClusterIP ($ip)"
	# kube-proxy programs the rules once the EndpointSlice lists the pod.
	deadline=$((SECONDS + 60))
	until [[ $(kubectl -n "$NS" get endpointslices -l kubernetes.io/service-name=web \
		-o jsonpath='{.items[*].endpoints[*].conditions.ready}') == *true* ]]; do
		((SECONDS < deadline)) || fail "no ready endpoint for service web after 60s"
		sleep 0.5
	done
	{
		pod_head client
		cat <<EOF
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    # Retries only to give kube-proxy time to sync its rules.
    command: [sh, -c, 'for i in \$(seq 30); do timeout 3 wget -q -O- http://$ip/ && exit 0; sleep 1; done; exit 1']
EOF
	} | kubectl apply -f - >/dev/null
	expect_phase client Succeeded
	expect_logs client "served by web $RUN_ID"
}

test_api_service() {
	# What an in-cluster operator needs: the kubernetes Service (ClusterIP ->
	# the apiserver on the node IP) from a pod, over TLS.
	{
		pod_head api
		cat <<EOF
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'timeout 10 wget -q --no-check-certificate -O- https://\$KUBERNETES_SERVICE_HOST:\$KUBERNETES_SERVICE_PORT/version']
EOF
	} | kubectl apply -f - >/dev/null
	expect_phase api Succeeded
	local version
	version=$(kubectl -n "$NS" logs api | jq -r .gitVersion) || { diag api; fail "pod api: /version is not JSON"; }
	[[ $version == v1.34.4 ]] || { diag api; fail "pod api: /version gitVersion $version, want v1.34.4"; }
}

test_volumes() {
	mkdir -p "$HOST_DIR/vol"
	{
		pod_head volumes
		cat <<EOF
  initContainers:
  - name: writer
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'echo "emptydir $RUN_ID" > /cache/f']
    volumeMounts: [{name: cache, mountPath: /cache}]
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'cat /cache/f && cat /cache/f > /host/out && echo "hostpath $RUN_ID" >> /host/out']
    volumeMounts:
    - {name: cache, mountPath: /cache}
    - {name: host, mountPath: /host}
  volumes:
  - name: cache
    emptyDir: {}
  - name: host
    hostPath: {path: $HOST_DIR/vol, type: Directory}
EOF
	} | kubectl apply -f - >/dev/null
	expect_phase volumes Succeeded
	expect_logs volumes "emptydir $RUN_ID"
	local got
	got=$(cat "$HOST_DIR/vol/out" 2>/dev/null || true)
	[[ $got == "emptydir $RUN_ID"$'\n'"hostpath $RUN_ID" ]] \
		|| { diag volumes; fail "host file $HOST_DIR/vol/out: $(printf '%q' "$got")"; }
}

test_mount_propagation() {
	mkdir -p "$HOST_DIR/prop/sub"
	{
		pod_head propagation
		cat <<EOF
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    # Waits (at most 60s) for a file that only exists on a tmpfs the host
    # mounts on /prop/sub after this container started.
    command: [sh, -c, 'touch /tmp/started; for i in \$(seq 300); do if [ -f /prop/sub/hello ]; then cat /prop/sub/hello; grep " /prop/sub " /proc/mounts | cut -d" " -f3; exit 0; fi; sleep 0.2; done; echo never saw /prop/sub/hello; exit 1']
    volumeMounts: [{name: prop, mountPath: /prop, mountPropagation: HostToContainer}]
  volumes:
  - name: prop
    hostPath: {path: $HOST_DIR/prop, type: Directory}
EOF
	} | kubectl apply -f - >/dev/null
	expect_phase propagation Running
	# Running is set once the container started; make sure its command has.
	local deadline=$((SECONDS + 30))
	until kubectl -n "$NS" exec propagation -- test -f /tmp/started 2>/dev/null; do
		((SECONDS < deadline)) || { diag propagation; fail "container of pod propagation did not start its command"; }
		sleep 0.2
	done
	mount -t tmpfs -o size=1m sc-cluster-test "$HOST_DIR/prop/sub"
	echo "propagated $RUN_ID" >"$HOST_DIR/prop/sub/hello"
	expect_phase propagation Succeeded
	expect_logs propagation "propagated $RUN_ID"$'\n'"tmpfs"
}

test_crds() {
	local crd_dir=${SC_CRD_DIR:-$repo_root/config/crd} names name how=-f
	[[ -d $crd_dir ]] || skip "$crd_dir does not exist yet (it comes with the CRDs)"
	# A kustomization (config/crd/kustomization.yaml) is applied as one.
	[[ -f $crd_dir/kustomization.yaml ]] && how=-k
	names=$(kubectl apply "$how" "$crd_dir" -o name) || fail "kubectl apply $how $crd_dir failed"
	names=$(grep '^customresourcedefinition' <<<"$names" || true)
	[[ -n $names ]] || fail "$crd_dir holds no CustomResourceDefinition"
	for name in $names; do
		kubectl wait --for condition=Established --timeout=60s "$name" >/dev/null \
			|| { kubectl get "$name" -o yaml | tail -n 30; fail "$name not Established in 60s"; }
	done
	local out
	out=$(kubectl explain stoppablecontainer.spec 2>&1) || fail "kubectl explain stoppablecontainer.spec: $out"
	grep -q 'FIELD' <<<"$out" || fail "kubectl explain stoppablecontainer.spec answered without fields: $out"
}

# Processes, mounts, containers and network left after 'down'.
test_down_leaves_nothing() {
	"$cluster" down || fail "'hack/cluster/cluster.sh down' failed"
	local p argv0 argv left=() mp
	for p in /proc/[0-9]*; do
		argv=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		argv0=${argv%% *}
		argv0=${argv0##*/}
		case $argv0 in
		kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | etcd | containerd-shim*)
			left+=("${p#/proc/} $argv0") ;;
		containerd) [[ $argv == *"$SC_STATE_DIR/"* ]] && left+=("${p#/proc/} $argv0") ;;
		esac
	done
	((${#left[@]} == 0)) || fail "processes left after down: ${left[*]}"
	mp=$(awk '{print $5}' /proc/self/mountinfo | grep -E "^($SC_KUBELET_DIR|$SC_STATE_DIR|/run/containerd|/run/netns/cni-|/var/lib/sc-cluster-test)(/|$)" || true)
	[[ -z $mp ]] || fail "mounts left after down: $mp"
	local ctrs="" r
	for r in /run/containerd/runc/*; do
		if [[ -d $r ]]; then ctrs+=$(runc --root "$r" list -q 2>/dev/null || true); fi
	done
	[[ -z $ctrs ]] || fail "runc containers left after down: $ctrs"
	! ip link show sc-br0 >/dev/null 2>&1 || fail "CNI bridge sc-br0 left after down"
	[[ -z $(ip -o link show type veth 2>/dev/null) ]] || fail "veth interfaces left after down: $(ip -o link show type veth)"
	local chains
	chains=$( { iptables-save; ip6tables-save; } 2>/dev/null | grep -E '^:(KUBE-|CNI-)' || true)
	[[ -z $chains ]] || fail "iptables chains left after down: $chains"
}

cleanup() {
	if [[ -n ${KUBECONFIG:-} ]] && command -v kubectl >/dev/null && kubectl get namespace "$NS" >/dev/null 2>&1; then
		kubectl delete namespace "$NS" --wait=true --timeout=120s >/dev/null 2>&1 \
			|| say "warning: namespace $NS not deleted within 120s"
	fi
	if mountpoint -q "$HOST_DIR/prop/sub" 2>/dev/null; then umount "$HOST_DIR/prop/sub" || true; fi
	rm -rf "$HOST_DIR"
	rmdir /var/lib/sc-cluster-test 2>/dev/null || true
}

main() {
	[[ $(id -u) == 0 ]] || { echo "test/cluster/run.sh needs root" >&2; exit 2; }
	eval "$("$cluster" env)"
	trap cleanup EXIT
	run_test cluster-up test_cluster_up
	eval "$("$cluster" env)"
	if ((failed)); then
		say "cluster did not come up; skipping the other tests"
	else
		run_test node-ready test_node_ready
		run_test apiserver-watch-list test_watch_list
		run_test pod-runs-and-logs test_pod_logs
		run_test service-clusterip test_service
		run_test pod-reaches-apiserver-service test_api_service
		run_test emptydir-and-hostpath test_volumes
		run_test mount-propagation-host-to-container test_mount_propagation
		run_test crds-apply-and-explain test_crds
	fi
	cleanup
	trap - EXIT
	if ((with_down)); then
		run_test down-leaves-nothing test_down_leaves_nothing
	fi
	((failed == 0)) || say "failed: ${failed_names[*]}"
	if ((skipped > 0)); then
		say "$passed passed, $failed failed, $skipped skipped"
	else
		say "$passed passed, $failed failed"
	fi
	((failed == 0))
}

main
