#!/usr/bin/env bash
# End-to-end tests of kubectl-sc (src/kubectl-sc/) on the real local cluster.
#
#   test/plugin/run.sh            every test that can run; the ones that need the
#                                 operator (controller + node agent) are SKIPPED
#                                 unless it is deployed
#   test/plugin/run.sh --without-operator
#                                 every test but the operator tests, which are
#                                 not part of this run (hack/test.sh runs them
#                                 later, with "operator", once it is deployed)
#   test/plugin/run.sh REGEX      only the tests whose names match; the operator
#                                 tests stand alone ("operator"), most others use
#                                 what the create-* tests made ("create|status")
#
# Environment:
#   KUBECONFIG    the cluster (default /var/lib/sc-cluster/admin.kubeconfig)
#   KUBECTL       kubectl to use (default: the project's v1.34 build, else PATH)
#   KUBECTL_SC    the plugin binary (default build/src/kubectl-sc/kubectl-sc,
#                 built first if missing; point it at build-asan's to run the
#                 tests under the sanitizers)
#   SC_TEST_IMAGE an image present on the node (default sc-test/busybox:1)
#   SC_E2E_OPERATOR=1  run the operator tests even without the sc-controller
#                 Deployment (e.g. a controller started by hand)
#
# Every test runs in its own namespace-scoped world (one namespace for the
# run, deleted at the end). Prints "N passed, N failed, N skipped"; exits
# non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

export KUBECONFIG=${KUBECONFIG:-/var/lib/sc-cluster/admin.kubeconfig}
if [[ -z ${KUBECTL:-} ]]; then
	KUBECTL=$(ls -d "$HOME"/.cache/stoppablecontainer/k8s/*/bin 2>/dev/null | head -1)/kubectl
	[[ -x $KUBECTL ]] || KUBECTL=kubectl
fi
export KUBECTL # exec/logs hand over to it
SC=${KUBECTL_SC:-$root/build/src/kubectl-sc/kubectl-sc}
# A relative KUBECTL_SC is relative to where the script was started (the
# tests symlink it from elsewhere).
[[ $SC == /* ]] || SC=$OLDPWD/$SC
IMAGE=${SC_TEST_IMAGE:-sc-test/busybox:1}
GROUP=stoppablecontainer.xtlsoft.top
RES=stoppablecontainers.$GROUP
ns=sc-plugin-e2e-$$-$RANDOM
ns2=$ns-b # a second namespace, for -A with a NAME in two of them
tmp=$(mktemp -d)

# ---- the harness (like test/lib.sh, plus skips) ----

t_passed=0
t_failed=0
t_skipped=0
t_failed_names=()

without_operator=0
if [[ ${1:-} == --without-operator ]]; then
	without_operator=1
	shift
fi
only=${1:-}

# run_test NAME FUNC: FUNC runs in a subshell with -e; a non-zero exit is a
# failure whose reason is whatever it printed.
run_test() {
	local name=$1 out rc
	shift
	[[ -z $only || $name =~ $only ]] || return 0
	out=$( (set -e; "$@") 2>&1)
	rc=$?
	if ((rc == 0)); then
		t_passed=$((t_passed + 1))
		echo "ok - $name"
	else
		t_failed=$((t_failed + 1))
		t_failed_names+=("$name")
		echo "not ok - $name"
		sed 's/^/    /' <<<"$out"
	fi
}

skip_test() {
	[[ -z $only || $1 =~ $only ]] || return 0
	t_skipped=$((t_skipped + 1))
	echo "ok - $1 # SKIP $2"
}

finish() {
	echo
	if ((t_failed > 0)); then
		echo "failed: ${t_failed_names[*]}"
		# The cluster is shared; say so when it went away under us.
		k get --raw /readyz >/dev/null 2>&1 ||
			echo "note: the cluster no longer answers; failures after it went away are not the plugin's"
	fi
	echo "$t_passed passed, $t_failed failed, $t_skipped skipped"
	((t_failed == 0))
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

expect_contains() { # HAYSTACK NEEDLE [WHAT]
	if [[ $1 != *"$2"* ]]; then
		echo "expected ${3:-output} to contain: $2" >&2
		echo "got: $1" >&2
		return 1
	fi
}

expect_not_contains() { # HAYSTACK NEEDLE [WHAT]
	if [[ $1 == *"$2"* ]]; then
		echo "expected ${3:-output} not to contain: $2" >&2
		echo "got: $1" >&2
		return 1
	fi
}

k() { "$KUBECTL" "$@"; }
kn() { "$KUBECTL" -n "$ns" "$@"; }

# sc ARGS...: run the plugin in the test namespace; sets out, err, rc.
sc() { sc_raw -n "$ns" "$@"; }
sc_raw() {
	rc=0
	"$SC" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
}

expect_rc() { # WANT
	if [[ $rc != "$1" ]]; then
		echo "expected exit status $1, got $rc" >&2
		echo "stdout: $out" >&2
		echo "stderr: $err" >&2
		return 1
	fi
}

field() { # NAME JSONPATH
	kn get "$RES" "$1" -o jsonpath="{$2}"
}

gone() { # NAME: true when the object does not exist
	! kn get "$RES" "$1" >/dev/null 2>&1
}

# wait_until SECONDS WHAT COMMAND...
wait_until() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			echo "timed out waiting for: $what" >&2
			return 1
		fi
		sleep 0.2
	done
}

# spec_is NAME VALUE: spec.running is VALUE (the plugin's own patch landed).
spec_is() {
	[[ $(field "$1" .spec.running) == "$2" ]]
}

# file_has FILE TEXT: FILE contains TEXT (a background command printed it).
file_has() {
	grep -qF -- "$2" "$1"
}

# A kubeconfig like the admin one with another server, namespace or context.
kubeconfig_copy() { # FILE
	cp "$KUBECONFIG" "$1"
	chmod 600 "$1"
}

cleanup() {
	# Our objects may carry finalizers of a controller that is not (or no
	# longer) there; these namespaces are ours, so let them go.
	local n
	for n in "$ns" "$ns2"; do
		k get namespace "$n" >/dev/null 2>&1 || continue
		k -n "$n" delete "$RES" --all --wait=false >/dev/null 2>&1
		for r in "$RES" "stoppablecontainerinstances.$GROUP"; do
			for o in $(k -n "$n" get "$r" -o name 2>/dev/null); do
				k -n "$n" patch "$o" --type=merge -p '{"metadata":{"finalizers":null}}' \
					>/dev/null 2>&1
			done
		done
		k delete namespace "$n" --wait=false >/dev/null 2>&1
	done
	rm -rf "$tmp"
}

# ---- preconditions ----

if [[ ! -x $SC ]]; then
	echo "== building kubectl-sc"
	if ! { [[ -d build ]] || meson setup build >/dev/null; } ||
		! ninja -C build src/kubectl-sc/kubectl-sc >/dev/null; then
		echo "cannot build kubectl-sc" >&2
		exit 1
	fi
fi
if ! k get --raw /readyz >/dev/null 2>&1; then
	echo "the cluster at $KUBECONFIG is not reachable: every test SKIPPED"
	skip_test "all plugin tests" "no cluster"
	finish
	exit 0
fi
if ! k get crd "$RES" >/dev/null 2>&1; then
	echo "== installing the CRDs"
	if [[ -d config/crd ]]; then
		k apply -k config/crd >/dev/null
	else
		mkdir -p "$tmp/crd"
		for f in $(git ls-tree --name-only main config/crd/); do
			git show "main:$f" >"$tmp/crd/$(basename "$f")"
		done
		k apply -k "$tmp/crd" >/dev/null
	fi
	k wait --for=condition=Established --timeout=60s "crd/$RES" >/dev/null
fi
# --without-operator: these tests need no controller acting (some write a
# status by hand). An operator left deployed on this cluster (by an earlier
# run: 'down' keeps etcd) is scaled to 0 for the run and back at the end.
restore_replicas=""
if ((without_operator)) && k -n stoppablecontainer-system get deployment sc-controller >/dev/null 2>&1; then
	restore_replicas=$(k -n stoppablecontainer-system get deployment sc-controller -o jsonpath='{.spec.replicas}')
	if ((restore_replicas > 0)); then
		echo "# scaling the deployed sc-controller to 0 for this run (back to $restore_replicas at the end)"
		k -n stoppablecontainer-system scale deployment sc-controller --replicas=0 >/dev/null
		wait_until 120 "the sc-controller pods to be gone" bash -c \
			"[[ -z \$('$KUBECTL' -n stoppablecontainer-system get pods -l app.kubernetes.io/name=sc-controller -o name) ]]" ||
			{ echo "the sc-controller pods did not go away" >&2; exit 1; }
	else
		restore_replicas=""
	fi
fi
restore_operator() {
	[[ -n $restore_replicas ]] &&
		k -n stoppablecontainer-system scale deployment sc-controller --replicas="$restore_replicas" >/dev/null
	return 0
}
trap 'cleanup; restore_operator' EXIT
k create namespace "$ns" >/dev/null

# The operator is there when its controller Deployment has a replica
# available (a Deployment scaled to 0 or crash-looping would only time out).
operator=0
available=$(k -n stoppablecontainer-system get deployment sc-controller \
	-o jsonpath='{.status.availableReplicas}' 2>/dev/null)
if [[ ${SC_E2E_OPERATOR:-} == 1 || ${available:-0} -ge 1 ]]; then
	operator=1
fi
echo "# plugin $SC, kubectl $KUBECTL, namespace $ns, image $IMAGE, operator tests: $([[ $operator == 1 ]] && echo yes || echo no)"

# ---- version, help ----

t_version() {
	sc_raw version
	expect_rc 0
	expect_contains "$out" "Plugin version: "
	expect_contains "$out" "Server version: v1."
	sc_raw version --client
	expect_rc 0
	expect_not_contains "$out" "Server version"
	sc_raw version -o json
	expect_rc 0
	[[ $(jq -r .serverVersion.major <<<"$out") == 1 ]] || fail "no serverVersion: $out"
	[[ $(jq -r .pluginVersion <<<"$out") == "$(sed -n 's/^Plugin version: //p' <<<"$(
		"$SC" version --client
	)")" ]] || fail "pluginVersion: $out"
	# cobra's root --version, as the reference's users type it
	sc_raw --version
	expect_rc 0
	[[ $out =~ ^Plugin\ version:\ [0-9]+\.[0-9]+ ]] || fail "--version: $out"
	expect_not_contains "$out" "Server version"
	[[ -z $err ]] || fail "--version wrote to stderr: $err"
}

t_help_everywhere() {
	local c
	for c in create list ls get status start stop restart exec logs delete rm remove version completion; do
		sc_raw "$c" --help
		expect_rc 0
		expect_contains "$out" "Usage:" "$c --help"
		expect_contains "$out" "Global flags:" "$c --help"
		[[ -z $err ]] || fail "$c --help wrote to stderr: $err"
	done
	sc_raw --help
	expect_rc 0
	expect_contains "$out" "Commands:"
	sc_raw help stop
	expect_rc 0
	expect_contains "$out" "kubectl sc stop NAME"
	local h
	for h in --help -h; do
		sc_raw help "$h"
		expect_rc 0
		expect_contains "$out" "kubectl sc help [COMMAND]" "help $h"
		[[ -z $err ]] || fail "help $h wrote to stderr: $err"
	done
}

t_kubectl_finds_the_plugin() {
	mkdir -p "$tmp/bin"
	ln -sf "$SC" "$tmp/bin/kubectl-sc"
	local o
	o=$(PATH="$tmp/bin:$PATH" k sc version --client)
	expect_contains "$o" "Plugin version: "
}

# ---- create ----

t_create_quick_example() {
	# The seed's example, verbatim but for the image (no registry here).
	sc create my-app --image="$IMAGE" -- /bin/sh
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/my-app created"
	[[ $(field my-app .spec.running) == true ]] || fail "spec.running is not true"
	[[ $(field my-app .spec.template.container.command) == '["/bin/sh"]' ]] ||
		fail "command: $(field my-app .spec.template.container.command)"
	[[ $(field my-app .spec.template.container.stdin) == true ]] || fail "stdin not set"
	[[ $(field my-app .spec.template.container.tty) == true ]] || fail "tty not set"
	[[ $(field my-app .spec.template.container.image) == "$IMAGE" ]] || fail "image"
}

t_create_every_flag() {
	sc create web --image="$IMAGE" -e MODE=dev -e 'GREETING=hello world' -p 8080:http -p 9090 \
		-w /srv --cpu=10m --memory=16Mi --memory-limit=64Mi --image-pull-policy=IfNotPresent \
		-- sleep 3600
	expect_rc 0
	local o
	o=$(kn get "$RES" web -o json)
	[[ $(jq -c .spec.template.container.env <<<"$o") == '[{"name":"MODE","value":"dev"},{"name":"GREETING","value":"hello world"}]' ]] ||
		fail "env: $(jq -c .spec.template.container.env <<<"$o")"
	[[ $(jq -c '[.spec.template.container.ports[] | [.containerPort, .name]]' <<<"$o") == '[[8080,"http"],[9090,null]]' ]] ||
		fail "ports: $(jq -c .spec.template.container.ports <<<"$o")"
	[[ $(jq -r .spec.template.container.workingDir <<<"$o") == /srv ]] || fail "workingDir"
	[[ $(jq -c .spec.template.container.resources <<<"$o") == '{"limits":{"memory":"64Mi"},"requests":{"cpu":"10m","memory":"16Mi"}}' ]] ||
		fail "resources: $(jq -c .spec.template.container.resources <<<"$o")"
	[[ $(jq -r .spec.template.container.imagePullPolicy <<<"$o") == IfNotPresent ]] || fail "pull policy"
	[[ $(jq -c .spec.template.container.command <<<"$o") == '["sleep","3600"]' ]] || fail "command"
	# a non-shell command gets no stdin/tty
	[[ $(jq -r .spec.template.container.stdin <<<"$o") == null ]] || fail "stdin set for sleep"
	[[ $(jq -r .spec.template.container.tty <<<"$o") == null ]] || fail "tty set for sleep"
}

t_create_stopped_and_output() {
	sc create idle --image="$IMAGE" --running=false -o json
	expect_rc 0
	[[ $(jq -r .metadata.name <<<"$out") == idle ]] || fail "-o json: $out"
	[[ $(field idle .spec.running) == false ]] || fail "spec.running is not false"
	# no command: the image's CMD (a shell for busybox) keeps stdin and a tty
	[[ $(field idle .spec.template.container.stdin) == true ]] || fail "stdin not set"
	sc create named --image="$IMAGE" --running=false -o name
	expect_rc 0
	[[ $out == "stoppablecontainer.$GROUP/named" ]] || fail "-o name: $out"
}

t_create_dry_run_changes_nothing() {
	local f
	for f in --dry-run --dry-run=client; do
		sc create dry --image="$IMAGE" "$f" --labels=app=dry -- /bin/bash
		expect_rc 0
		expect_contains "$out" "kind: StoppableContainer" "$f"
		expect_contains "$out" "namespace: $ns" "$f"
		expect_contains "$out" "tty: true" "$f"
		expect_contains "$out" "app: dry" "$f"
		gone dry || fail "$f created the object"
	done
	# server: the API server checks and defaults it, and stores nothing
	sc create dry --image="$IMAGE" --dry-run=server -o json
	expect_rc 0
	[[ $(jq -r .spec.hostPathPrefix <<<"$out") == /* ]] || fail "no server defaults: $out"
	gone dry || fail "--dry-run=server created the object"
	# on an existing object: nothing changes either
	sc create my-app --image=other:1 --dry-run=server
	expect_rc 0
	[[ $(field my-app .spec.template.container.image) == "$IMAGE" ]] || fail "dry run changed my-app"
	sc create dry --image="$IMAGE" --dry-run=maybe
	expect_rc 2
	expect_contains "$err" "invalid --dry-run \"maybe\": expected none, client or server"
}

t_create_applies() {
	# An existing NAME is updated to the spec given, as the reference's
	# kubectl apply did; what the first create set and the second leaves
	# out is gone.
	sc create applied --image="$IMAGE" --running=false -e A=1 -p 8080 -- sleep 3600
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/applied created"
	sc create applied --image="$IMAGE" --running=false -e B=2 -- sleep 60
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/applied configured"
	local o
	o=$(kn get "$RES" applied -o json)
	[[ $(jq -c .spec.template.container.env <<<"$o") == '[{"name":"B","value":"2"}]' ]] ||
		fail "env after apply: $(jq -c .spec.template.container.env <<<"$o")"
	[[ $(jq -c .spec.template.container.command <<<"$o") == '["sleep","60"]' ]] ||
		fail "command after apply: $(jq -c .spec.template.container.command <<<"$o")"
	[[ $(jq -r .spec.template.container.ports <<<"$o") == null ]] ||
		fail "ports left from the first create: $(jq -c .spec.template.container.ports <<<"$o")"
	sc create applied --image="$IMAGE" --running=false -e B=2 -- sleep 60
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/applied unchanged"
	# the field manager is ours, as kubectl apply's is kubectl's
	o=$(kn get "$RES" applied -o json --show-managed-fields)
	[[ $(jq -r '[.metadata.managedFields[] | select(.manager == "kubectl-sc" and .operation == "Apply")] | length' <<<"$o") == 1 ]] ||
		fail "managedFields: $(jq -c '[.metadata.managedFields[] | [.manager, .operation]]' <<<"$o")"
}

t_create_labels() {
	sc create lab --image="$IMAGE" --running=false --labels=app=web,tier=front -l example.com/team=a
	expect_rc 0
	local o
	o=$(kn get "$RES" lab -o json)
	[[ $(jq -c .metadata.labels <<<"$o") == '{"app":"web","example.com/team":"a","tier":"front"}' ]] ||
		fail "object labels: $(jq -c .metadata.labels <<<"$o")"
	[[ $(jq -c .spec.template.metadata.labels <<<"$o") == '{"app":"web","example.com/team":"a","tier":"front"}' ]] ||
		fail "workload pod labels: $(jq -c .spec.template.metadata <<<"$o")"
	sc list -l app=web -o name
	expect_rc 0
	[[ $out == "stoppablecontainer.$GROUP/lab" ]] || fail "list -l app=web: $out"
	sc create lab2 --image="$IMAGE" --labels=app=web!
	expect_rc 2
	expect_contains "$err" 'invalid --labels value "web!" for app'
	sc create lab2 --image="$IMAGE" --labels="$GROUP/instance=x"
	expect_rc 2
	expect_contains "$err" "is the operator's own"
	gone lab2 || fail "a bad --labels created lab2"
}

t_create_bad_input_changes_nothing() {
	local args msg
	while IFS='|' read -r msg args; do
		# shellcheck disable=SC2086
		sc create $args
		expect_rc 2
		expect_contains "$err" "$msg" "create $args"
		expect_contains "$err" "See 'kubectl sc create --help' for usage."
		[[ -z $out ]] || fail "create $args printed on stdout: $out"
	done <<'EOF'
invalid name "Bad_Name"|Bad_Name --image=x
--image is required|bad1
a NAME is required|--image=x
expected KEY=VALUE|bad2 --image=x -e NOEQUALS
PORT in 1-65535|bad3 --image=x -p 0
PORT in 1-65535|bad4 --image=x -p 65536
expected a quantity|bad5 --image=x --cpu=lots
must be an absolute path|bad6 --image=x -w relative
unknown flag: --replicas|bad7 --image=x --replicas=3
invalid duration|bad8 --image=x --wait --timeout=soon
EOF
	local n
	n=$(kn get "$RES" -o name | grep -c '/bad' || true)
	[[ $n == 0 ]] || fail "bad input created $n objects"
}

# ---- list ----

t_list_table() {
	local a
	for a in list ls get; do
		sc "$a"
		expect_rc 0
		expect_contains "$out" "NAME" "$a"
		[[ $(head -1 <<<"$out") =~ ^NAME\ +RUNNING\ +PHASE\ +NODE\ +AGE$ ]] ||
			fail "$a header: $(head -1 <<<"$out")"
		[[ $out =~ (^|$'\n')my-app\ +true\  ]] || fail "$a: no my-app row: $out"
		[[ $out =~ (^|$'\n')idle\ +false\  ]] || fail "$a: no idle row: $out"
	done
}

t_list_all_namespaces() {
	sc_raw list -A
	expect_rc 0
	[[ $(head -1 <<<"$out") =~ ^NAMESPACE\ +NAME\ +RUNNING\ +PHASE\ +NODE\ +AGE$ ]] ||
		fail "header: $(head -1 <<<"$out")"
	[[ $out =~ $ns\ +my-app\ +true ]] || fail "no $ns/my-app row: $out"
}

t_list_wide_and_formats() {
	sc list -o wide
	expect_rc 0
	[[ $(head -1 <<<"$out") =~ AGE\ +IMAGE\ +POD\ +PROVIDER\ +HOST\ PATH$ ]] ||
		fail "wide header: $(head -1 <<<"$out")"
	expect_contains "$out" "$IMAGE"
	sc list -o name
	expect_rc 0
	expect_contains "$out" "stoppablecontainer.$GROUP/my-app"
	sc list -o json
	expect_rc 0
	jq -e '.items | map(.metadata.name) | index("my-app")' <<<"$out" >/dev/null ||
		fail "-o json: $out"
	[[ $(jq '[.items[].metadata.managedFields] | map(select(. != null)) | length' <<<"$out") == 0 ]] ||
		fail "managedFields printed"
	sc get my-app -o yaml
	expect_rc 0
	expect_contains "$out" "kind: StoppableContainer"
	expect_contains "$out" "name: my-app"
	sc list --no-headers
	expect_rc 0
	expect_not_contains "$out" "NAME"
}

t_list_empty_namespace() {
	sc_raw -n "$ns-empty" list
	expect_rc 0
	[[ -z $out ]] || fail "stdout: $out"
	expect_contains "$err" "No resources found in $ns-empty namespace."
}

t_namespace_from_kubeconfig_context() {
	local kc=$tmp/ctx.kubeconfig
	kubeconfig_copy "$kc"
	k --kubeconfig "$kc" config set-context --current --namespace="$ns" >/dev/null
	sc_raw --kubeconfig "$kc" list
	expect_rc 0
	expect_contains "$out" "my-app"
	sc_raw --kubeconfig "$kc" status my-app
	expect_rc 0
	expect_contains "$out" "Namespace:      $ns"
	# -n still wins over the context's namespace
	sc_raw --kubeconfig "$kc" -n "$ns-empty" list
	expect_contains "$err" "No resources found in $ns-empty namespace."
}

# ---- status ----

t_status() {
	sc status my-app
	expect_rc 0
	expect_contains "$out" "Name:           my-app"
	expect_contains "$out" "Namespace:      $ns"
	expect_contains "$out" "Image:          $IMAGE"
	expect_contains "$out" "Command:        /bin/sh"
	expect_contains "$out" "Running:        true"
	expect_contains "$out" "Phase:"
	expect_contains "$out" "Conditions:"
	sc status web -o wide
	expect_rc 0
	expect_contains "$out" "Environment:"
	expect_contains "$out" "GREETING=hello world"
	expect_contains "$out" "Ports:          8080/TCP http, 9090/TCP"
	sc status my-app -o json
	expect_rc 0
	[[ $(jq -r .metadata.name <<<"$out") == my-app ]] || fail "-o json: $out"
	sc status my-app -o yaml
	expect_rc 0
	expect_contains "$out" "kind: StoppableContainer"
	expect_contains "$out" "running: true"
}

t_pod_shape_image() {
	# A template in the Pod shape (spec.template.spec.containers): its one
	# container is the workload (docs/templates.md), whose image and command
	# status and list -o wide show.
	kn apply -f - >/dev/null <<EOF
apiVersion: $GROUP/v1alpha1
kind: StoppableContainer
metadata: {name: pod-shape}
spec:
  running: false
  template:
    spec:
      containers:
      - name: app
        image: $IMAGE
        imagePullPolicy: Never
        command: [/bin/sh, -c]
        args: [sleep 1000]
EOF
	sc status pod-shape
	expect_rc 0
	expect_contains "$out" "Image:          $IMAGE"
	expect_contains "$out" "Command:        /bin/sh -c"
	expect_contains "$out" "Args:           'sleep 1000'"
	sc status pod-shape -o wide
	expect_rc 0
	expect_contains "$out" "Pull policy:    Never"
	sc list -o wide
	expect_rc 0
	local row
	row=$(grep '^pod-shape ' <<<"$out") || fail "no pod-shape row: $out"
	[[ $row == *" $IMAGE "* ]] || fail "no image in the wide row: $row"
	kn delete "$RES" pod-shape --wait=false >/dev/null
}

t_all_namespaces_with_a_name() {
	# -A with a NAME: found in whichever namespace has it
	sc_raw status my-app -A
	expect_rc 0
	expect_contains "$out" "Namespace:      $ns"
	sc_raw status nope -A
	expect_rc 1
	expect_contains "$err" 'stoppablecontainer "nope" not found in any namespace'
	# in two namespaces: which one is not guessed
	k create namespace "$ns2" >/dev/null
	sc_raw -n "$ns2" create my-app --image="$IMAGE" --running=false
	expect_rc 0
	sc_raw status my-app -A
	expect_rc 1
	expect_contains "$err" "stoppablecontainer \"my-app\" exists in 2 namespaces"
	expect_contains "$err" "pick one with -n NAMESPACE"
	sc_raw -n "$ns2" delete my-app
	expect_rc 0
	# where it makes no sense it is refused, saying why; nothing changes
	local c
	for c in "stop my-app -A" "delete my-app -A" "exec my-app -A -- ls" "create x --image=y -A"; do
		# shellcheck disable=SC2086
		sc_raw $c
		expect_rc 2
		expect_contains "$err" "does not apply to ${c%% *}, which acts in one namespace" "$c"
	done
	sc status my-app -A
	expect_rc 2
	expect_contains "$err" "not both"
	[[ $(field my-app .spec.running) == true ]] || fail "my-app changed"
}

# ---- start/stop ----

t_stop_start_patch_spec() {
	sc stop my-app
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/my-app stopping"
	[[ $(field my-app .spec.running) == false ]] || fail "stop did not set running=false"
	sc start my-app
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/my-app starting"
	[[ $(field my-app .spec.running) == true ]] || fail "start did not set running=true"
	sc start idle
	expect_rc 0
	[[ $(field idle .spec.running) == true ]] || fail "start idle"
	sc stop idle
	expect_rc 0
	[[ $(field idle .spec.running) == false ]] || fail "stop idle"
}

t_wait_timeout_says_so() {
	# Without a controller reaching the phase, --wait ends at the timeout
	# with the phase it saw. (With one, Stopped may come in time: skip.)
	if [[ $operator == 1 ]]; then
		echo "operator deployed: covered by the operator tests" >&2
		return 0
	fi
	sc start idle --wait --timeout=2s
	expect_rc 1
	expect_contains "$err" "timed out after 2s waiting for stoppablecontainer \"idle\" to be Running"
	sc stop idle
}

t_wait_follows_the_status() {
	# The watch, without a controller: we play the controller and write the
	# status ourselves, and --wait (-w) must follow it as it changes.
	if [[ $controller_active == 1 ]]; then
		echo "a controller is acting on this namespace; it would overwrite the status" >&2
		return 0
	fi
	sc create follow --image="$IMAGE" --running=false
	expect_rc 0
	"$SC" -n "$ns" start follow -w --timeout=60s >"$tmp/follow.out" 2>"$tmp/follow.err" &
	local pid=$! gen
	# The generation to answer is the one of the plugin's own patch: wait
	# until it has landed, then read it.
	wait_until 30 "start to set spec.running" spec_is follow true
	gen=$(field follow .metadata.generation)
	kn patch "$RES" follow --subresource=status --type=merge \
		-p "{\"status\":{\"phase\":\"Pending\",\"message\":\"pulling\",\"observedGeneration\":$gen}}" >/dev/null
	wait_until 30 "the wait to print Pending" file_has "$tmp/follow.out" "phase: Pending (pulling)"
	kill -0 $pid 2>/dev/null || fail "--wait ended on Pending: $(cat "$tmp/follow.out" "$tmp/follow.err")"
	kn patch "$RES" follow --subresource=status --type=merge \
		-p "{\"status\":{\"phase\":\"Running\",\"message\":\"\",\"observedGeneration\":$gen}}" >/dev/null
	local rc=0
	wait $pid || rc=$?
	local o
	o=$(cat "$tmp/follow.out")
	((rc == 0)) || fail "start -w exited $rc: $o $(cat "$tmp/follow.err")"
	expect_contains "$o" "phase: Pending (pulling)"
	expect_contains "$o" "phase: Running"
	expect_contains "$o" "stoppablecontainer/follow is running"
	# Failed ends the wait with the message, exit 1
	"$SC" -n "$ns" stop follow --wait --timeout=60s >"$tmp/follow.out" 2>"$tmp/follow.err" &
	pid=$!
	wait_until 30 "stop to set spec.running" spec_is follow false
	gen=$(field follow .metadata.generation)
	kn patch "$RES" follow --subresource=status --type=merge \
		-p "{\"status\":{\"phase\":\"Failed\",\"message\":\"disk on fire\",\"observedGeneration\":$gen}}" >/dev/null
	rc=0
	wait $pid || rc=$?
	((rc == 1)) || fail "stop --wait on Failed exited $rc"
	expect_contains "$(cat "$tmp/follow.err")" "failed: disk on fire"
}

t_create_wait_says_the_state() {
	# create --wait ends with a line naming the state reached (we play the
	# controller again).
	if [[ $controller_active == 1 ]]; then
		echo "a controller is acting on this namespace; it would overwrite the status" >&2
		return 0
	fi
	"$SC" -n "$ns" create waited --image="$IMAGE" --running=false --wait --timeout=60s \
		>"$tmp/waited.out" 2>"$tmp/waited.err" &
	local pid=$! gen rc=0
	wait_until 30 "create to make waited" bash -c "'$KUBECTL' -n '$ns' get '$RES' waited"
	gen=$(field waited .metadata.generation)
	kn patch "$RES" waited --subresource=status --type=merge \
		-p "{\"status\":{\"phase\":\"Stopped\",\"observedGeneration\":$gen}}" >/dev/null
	wait $pid || rc=$?
	((rc == 0)) || fail "create --wait exited $rc: $(cat "$tmp/waited.out" "$tmp/waited.err")"
	[[ $(tail -n1 "$tmp/waited.out") == "stoppablecontainer/waited is stopped" ]] ||
		fail "last line: $(cat "$tmp/waited.out")"
	sc delete waited
	expect_rc 0
}

t_exec_hands_over_to_kubectl() {
	if [[ $controller_active == 1 ]]; then
		echo "a controller is acting on this namespace; it would overwrite the status" >&2
		return 0
	fi
	# A stand-in kubectl that prints what it was given.
	cat >"$tmp/fake-kubectl" <<'EOF'
#!/bin/sh
echo "fake-kubectl $*"
EOF
	chmod +x "$tmp/fake-kubectl"
	local gen
	gen=$(field follow .metadata.generation)
	kn patch "$RES" follow --type=merge -p '{"spec":{"running":true}}' >/dev/null
	gen=$(field follow .metadata.generation)
	kn patch "$RES" follow --subresource=status --type=merge \
		-p "{\"status\":{\"phase\":\"Running\",\"consumerPodName\":\"follow\",\"observedGeneration\":$gen}}" >/dev/null
	KUBECTL=$tmp/fake-kubectl sc exec -it follow -- ls -la /
	expect_rc 0
	[[ $out == "fake-kubectl --kubeconfig=$KUBECONFIG --namespace=$ns exec --stdin --tty follow --container=workload -- ls -la /" ]] ||
		[[ $out == "fake-kubectl --namespace=$ns exec --stdin --tty follow --container=workload -- ls -la /" ]] ||
		fail "kubectl got: $out"
	KUBECTL=$tmp/fake-kubectl sc logs follow --tail=3 -f
	expect_rc 0
	expect_contains "$out" "logs --follow --tail=3 follow --container=workload"
	# the command without --: its own flags stay its own
	KUBECTL=$tmp/fake-kubectl sc exec follow ls -la / -n x
	expect_rc 0
	expect_contains "$out" "exec follow --container=workload -- ls -la / -n x"
	# -c: the workload's container is accepted, any other refused
	KUBECTL=$tmp/fake-kubectl sc exec -c workload follow -- true
	expect_rc 0
	expect_contains "$out" "exec follow --container=workload -- true"
	KUBECTL=$tmp/fake-kubectl sc logs follow -c workload
	expect_rc 0
	expect_contains "$out" "logs follow --container=workload"
	KUBECTL=$tmp/fake-kubectl sc exec follow -c sidecar -- true
	expect_rc 2
	expect_contains "$err" 'container "sidecar" is not in stoppablecontainer "follow": its one container is "workload"'
	[[ -z $out ]] || fail "exec -c sidecar ran kubectl: $out"
	KUBECTL=$tmp/fake-kubectl sc logs follow -c sidecar
	expect_rc 2
	expect_contains "$err" 'container "sidecar" is not in stoppablecontainer'
	# logs -A finds the namespace
	KUBECTL=$tmp/fake-kubectl sc_raw logs follow -A
	expect_rc 0
	expect_contains "$out" "--namespace=$ns logs follow --container=workload"
	KUBECTL=$tmp/no-such-kubectl sc exec follow -- true
	expect_rc 1
	expect_contains "$err" "set KUBECTL to the path of kubectl"
	# The real kubectl, on a stand-in for the consumer pod: a pod of that
	# name with a container "workload".
	kn apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: follow}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: workload
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo workload started; exec sleep 3600"]
EOF
	kn wait --for=condition=Ready pod/follow --timeout=60s >/dev/null
	# shellcheck disable=SC2016 # expanded in the pod
	sc exec follow -- sh -c 'echo hello from $(hostname); exit 3'
	expect_rc 3
	expect_contains "$out" "hello from follow"
	sc exec follow sh -c 'echo without dashes'
	expect_rc 0
	[[ $out == "without dashes" ]] || fail "exec without --: $out"
	echo piped | "$SC" -n "$ns" exec -i follow -- cat >"$tmp/piped" 2>&1
	[[ $(cat "$tmp/piped") == piped ]] || fail "exec -i: $(cat "$tmp/piped")"
	sc logs follow --tail=1
	expect_rc 0
	[[ $out == "workload started" ]] || fail "logs: $out"
	kn delete pod follow --grace-period=0 --wait=false >/dev/null
}

# ---- exec/logs on a stopped container ----

t_exec_logs_on_stopped() {
	sc exec idle -- ls
	expect_rc 1
	expect_contains "$err" "stoppablecontainer \"idle\" is stopped; start it with: kubectl sc start idle"
	[[ -z $out ]] || fail "stdout: $out"
	sc logs idle
	expect_rc 1
	expect_contains "$err" "stoppablecontainer \"idle\" is stopped; start it with: kubectl sc start idle"
}

# ---- errors ----

t_not_found_everywhere() {
	local c
	for c in "status nope" "start nope" "stop nope" "restart nope" "exec nope -- ls" "logs nope" \
		"delete nope" "get nope" "exec nope ls" "stop nope -w" "delete nope -w"; do
		# shellcheck disable=SC2086
		sc $c
		expect_rc 1
		expect_contains "$err" "stoppablecontainer \"nope\" not found in namespace \"$ns\"" "$c"
	done
	sc delete nope --ignore-not-found
	expect_rc 0
}

t_bad_flags_exit_2() {
	local c
	while IFS='|' read -r msg c; do
		# shellcheck disable=SC2086
		sc $c
		expect_rc 2
		expect_contains "$err" "$msg" "$c"
		expect_contains "$err" "--help' for usage."
	done <<'EOF'
unknown flag: --bogus|list --bogus
unknown shorthand flag: 'z'|status my-app -z
a NAME is required|start
a NAME is required|stop --wait
invalid duration "abc"|stop my-app --wait --timeout=abc
unknown output format "xml"|status my-app -o xml
unknown command "frobnicate"|frobnicate
does not apply to stop|stop my-app -A
a command is required|exec my-app
flag needs an argument: --image|create x --image
unsupported shell "tcsh"|completion tcsh
EOF
	# nothing changed by any of it
	[[ $(field my-app .spec.running) == true ]] || fail "my-app changed"
}

t_unreachable_server_one_line() {
	local kc=$tmp/closed.kubeconfig
	kubeconfig_copy "$kc"
	k --kubeconfig "$kc" config set-cluster "$(k --kubeconfig "$kc" config view --minify -o jsonpath='{.clusters[0].name}')" \
		--server=https://127.0.0.1:1 >/dev/null
	local c
	for c in "list" "status my-app" "stop my-app" "delete my-app" "exec my-app -- ls" "version"; do
		# shellcheck disable=SC2086
		sc_raw --kubeconfig "$kc" $c
		expect_rc 1
		[[ $(wc -l <<<"$err") == 1 ]] || fail "$c: more than one line on stderr: $err"
		expect_contains "$err" "error: cannot reach the Kubernetes API server at https://127.0.0.1:1" "$c"
	done
	sc_raw --kubeconfig "$tmp/does-not-exist" list
	expect_rc 1
	expect_contains "$err" "does-not-exist"
}

t_verbose_is_plain_text() {
	sc list -v
	expect_rc 0
	expect_contains "$err" "debug: kubeconfig $KUBECONFIG"
	expect_not_contains "$err" '{"ts"'
}

# ---- delete ----

t_delete() {
	sc delete web
	expect_rc 0
	expect_contains "$out" "stoppablecontainer \"web\" deleted"
	sc create del-a --image="$IMAGE" --running=false
	sc create del-b --image="$IMAGE" --running=false
	sc rm del-a nope del-b
	expect_rc 1
	expect_contains "$out" "stoppablecontainer \"del-a\" deleted"
	expect_contains "$out" "stoppablecontainer \"del-b\" deleted"
	expect_contains "$err" "stoppablecontainer \"nope\" not found"
}

t_delete_wait_follows_finalizers() {
	# A finalizer of our own holds the object; delete waits (by default)
	# exactly until the object is gone, and times out with the finalizers
	# named otherwise.
	sc create held --image="$IMAGE" --running=false
	expect_rc 0
	kn patch "$RES" held --type=merge -p '{"metadata":{"finalizers":["test.example/hold"]}}' >/dev/null
	sc delete held --timeout=2s
	expect_rc 1
	expect_contains "$err" "timed out after 2s waiting for stoppablecontainer \"held\" to be deleted"
	expect_contains "$err" "test.example/hold"
	# create on a name being deleted says so
	sc create held --image="$IMAGE" --running=false
	expect_rc 1
	expect_contains "$err" "stoppablecontainer \"held\" in namespace \"$ns\" is being deleted"
	"$SC" -n "$ns" remove held -w --timeout=60s --ignore-not-found >"$tmp/del.out" 2>"$tmp/del.err" &
	local pid=$!
	wait_until 30 "delete to say deleted" file_has "$tmp/del.out" 'stoppablecontainer "held" deleted'
	kill -0 $pid 2>/dev/null || fail "delete ended while a finalizer held it: $(cat "$tmp/del.err")"
	kn patch "$RES" held --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
	local rc=0
	wait $pid || rc=$?
	((rc == 0)) || fail "delete -w exited $rc: $(cat "$tmp/del.err")"
	gone held || fail "held still exists"
	# --wait=false returns with the finalizer still holding it
	sc create held2 --image="$IMAGE" --running=false
	kn patch "$RES" held2 --type=merge -p '{"metadata":{"finalizers":["test.example/hold"]}}' >/dev/null
	sc delete held2 --wait=false
	expect_rc 0
	expect_contains "$out" 'stoppablecontainer "held2" deleted'
	[[ -n $(field held2 .metadata.deletionTimestamp) ]] || fail "held2 is not being deleted"
	kn patch "$RES" held2 --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
}

t_delete_then_create() {
	# delete returns once the object is gone, so the same name can be
	# created right after.
	sc create again --image="$IMAGE" --running=false -e V=1
	expect_rc 0
	sc delete again
	expect_rc 0
	gone again || fail "delete returned before the object was gone"
	sc create again --image="$IMAGE" --running=false -e V=2
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/again created"
	[[ $(field again '.spec.template.container.env[0].value') == 2 ]] || fail "not the new object"
}

t_delete_force_kills_pods() {
	sc create forced --image="$IMAGE" --running=false
	expect_rc 0
	# A pod labelled as this container's (as the controller labels them).
	kn run forced-pod --image="$IMAGE" --image-pull-policy=IfNotPresent \
		--labels="$GROUP/instance=forced" --restart=Never -- sleep 3600 >/dev/null
	kn run bystander --image="$IMAGE" --image-pull-policy=IfNotPresent \
		--restart=Never -- sleep 3600 >/dev/null
	sc delete forced --force
	expect_rc 0
	expect_contains "$out" "stoppablecontainer \"forced\" deleted"
	wait_until 20 "forced-pod to go" bash -c "! '$KUBECTL' -n '$ns' get pod forced-pod"
	kn get pod bystander >/dev/null || fail "--force deleted a pod that was not its own"
	kn delete pod bystander --grace-period=0 --wait=false >/dev/null
}

# ---- completion ----

t_completion() {
	sc_raw completion bash
	expect_rc 0
	expect_contains "$out" "complete -F _kubectl_sc kubectl-sc"
	bash -n <<<"$out" || fail "the bash script does not parse"
	sc_raw completion zsh
	expect_rc 0
	expect_contains "$out" "#compdef kubectl-sc"
	# zsh and fish come with hack/deps.sh: their absence is a failure, not a skip
	zsh -n <<<"$out" || fail "the zsh script does not parse (or no zsh: run hack/deps.sh)"
	local shell
	sc_raw completion fish
	expect_rc 0
	expect_contains "$out" "complete -c kubectl-sc"
	fish -n <<<"$out" || fail "the fish script does not parse (or no fish: run hack/deps.sh)"
	sc_raw completion powershell
	expect_rc 0
	expect_contains "$out" "Register-ArgumentCompleter -Native -CommandName 'kubectl-sc'"
	if command -v pwsh >/dev/null; then
		# shellcheck disable=SC2016 # PowerShell's own variables
		pwsh -NoProfile -Command '[System.Management.Automation.Language.Parser]::ParseInput([Console]::In.ReadToEnd(), [ref]$null, [ref]$e) | Out-Null; if ($e.Count) { $e; exit 1 }' <<<"$out" ||
			fail "the powershell script does not parse"
	else
		# not a Debian package: checked by its fixed text above only
		echo "note: no pwsh here (not packaged for Debian); the powershell script was not parsed" >&2
	fi
	sc_raw __complete completion ""
	for shell in bash zsh fish powershell; do
		expect_contains "$out" "$shell" "completion candidates"
	done
	sc_raw __complete st
	expect_contains "$out" "start"
	expect_contains "$out" "status"
	expect_contains "$out" "stop"
	expect_contains "$out" ":4"
	sc_raw __complete -n "$ns" status ""
	expect_contains "$out" "my-app"
	sc_raw __complete -n "$ns" create x --
	expect_contains "$out" "--image"
	# the words kubectl hands over for `kubectl sc <TAB>`
	mkdir -p "$tmp/bin"
	ln -sf "$SC" "$tmp/bin/kubectl-sc"
	ln -sf "$SC" "$tmp/bin/kubectl_complete-sc"
	local o
	o=$(PATH="$tmp/bin:$PATH" k __complete sc -n "$ns" stop "" 2>/dev/null)
	expect_contains "$o" "my-app" "kubectl __complete sc"
	# the build directory has kubectl_complete-sc beside kubectl-sc, so the
	# README's "build/src/kubectl-sc on PATH" completes too
	[[ -L $(dirname "$SC")/kubectl_complete-sc ]] || fail "no kubectl_complete-sc beside $SC"
	o=$(PATH="$(dirname "$SC"):$PATH" k __complete sc -n "$ns" stop "" 2>/dev/null)
	expect_contains "$o" "my-app" "kubectl __complete sc from the build directory"
	o=$(PATH="$tmp/bin:$PATH" fish -c 'kubectl-sc completion fish | source; complete -C "kubectl-sc re"')
	[[ $o == restart* ]] || fail "fish completion of 're': $o"
	# and through bash itself
	o=$(PATH="$tmp/bin:$PATH" bash -c '
		source <(kubectl-sc completion bash)
		COMP_WORDS=(kubectl-sc re); COMP_CWORD=1; _kubectl_sc; echo "${COMPREPLY[*]}"')
	[[ $o == "restart" ]] || fail "bash completion of 're': $o"
}

# ---- the operator tests: need the controller and the node agent ----

op_quick_example() {
	# The seed's quick example end to end: create, install something, stop,
	# start, and it is still there.
	sc create quick --image="$IMAGE" --wait --timeout=3m -- /bin/sh
	expect_rc 0
	expect_contains "$out" "phase: Running"
	[[ $(tail -n1 <<<"$out") == "stoppablecontainer/quick is running" ]] || fail "last line: $out"
	sc exec quick -- sh -c 'mkdir -p /opt/tool && echo "#!/bin/sh" >/opt/tool/hello && echo "echo installed" >>/opt/tool/hello && chmod +x /opt/tool/hello'
	expect_rc 0
	sc exec quick -- /opt/tool/hello
	expect_rc 0
	expect_contains "$out" "installed"
	sc stop quick -w --timeout=3m
	expect_rc 0
	expect_contains "$out" "phase: Stopped"
	sc exec quick -- /opt/tool/hello
	expect_rc 1
	expect_contains "$err" "is stopped; start it with: kubectl sc start quick"
	sc start quick --wait --timeout=3m
	expect_rc 0
	expect_contains "$out" "phase: Running"
	sc exec quick -- /opt/tool/hello
	expect_rc 0
	expect_contains "$out" "installed"
	# the shell created by the quick example is still the one running
	sc logs quick --tail=5
	expect_rc 0
}

op_restart_wait() {
	sc restart quick --wait --timeout=3m
	expect_rc 0
	expect_contains "$out" "phase: Stopped"
	expect_contains "$out" "phase: Running"
	expect_contains "$out" "stoppablecontainer/quick is running"
	sc stop quick --wait --timeout=3m
	expect_rc 0
	sc stop quick --wait
	expect_rc 0
	expect_contains "$out" "already stopped"
}

op_exec_waits_for_a_start() {
	sc start quick
	expect_rc 0
	sc exec quick --pod-running-timeout=3m -- /opt/tool/hello
	expect_rc 0
	expect_contains "$out" "installed"
}

op_delete_wait() {
	# delete waits by default until the node has cleaned up and the object
	# is gone, so the name can be created again at once
	sc delete quick --timeout=3m
	expect_rc 0
	gone quick || fail "quick still exists"
	sc create quick --image="$IMAGE" --running=false --wait --timeout=3m -- /bin/sh
	expect_rc 0
	expect_contains "$out" "stoppablecontainer/quick created"
	[[ $(tail -n1 <<<"$out") == "stoppablecontainer/quick is stopped" ]] || fail "last line: $out"
	sc delete quick -w --timeout=3m
	expect_rc 0
	gone quick || fail "quick still exists"
}

# ---- run ----

run_test version t_version
run_test help-everywhere t_help_everywhere
run_test kubectl-finds-the-plugin t_kubectl_finds_the_plugin
run_test create-quick-example t_create_quick_example
run_test create-every-flag t_create_every_flag
run_test create-stopped-and-output t_create_stopped_and_output
run_test create-dry-run t_create_dry_run_changes_nothing
run_test create-applies t_create_applies
run_test create-labels t_create_labels
run_test create-bad-input-exit-2 t_create_bad_input_changes_nothing

# Is some controller acting on our objects (a Deployment, or one started by
# hand)? It adds its finalizer within moments of a create.
controller_active=$operator
if wait_until 5 "a controller's finalizer" bash -c \
	"[[ -n \$('$KUBECTL' -n '$ns' get '$RES' my-app -o jsonpath='{.metadata.finalizers}') ]]" 2>/dev/null; then
	controller_active=1
fi
echo "# a controller is acting on the test namespace: $([[ $controller_active == 1 ]] && echo yes || echo no)"

run_test list-table t_list_table
run_test list-all-namespaces t_list_all_namespaces
run_test list-wide-and-formats t_list_wide_and_formats
run_test list-empty-namespace t_list_empty_namespace
run_test namespace-from-kubeconfig t_namespace_from_kubeconfig_context
run_test status t_status
run_test status-and-list-pod-shape-image t_pod_shape_image
run_test all-namespaces-with-a-name t_all_namespaces_with_a_name
run_test stop-start-patch-spec t_stop_start_patch_spec
run_test wait-timeout t_wait_timeout_says_so
if [[ $controller_active == 1 ]]; then
	skip_test wait-follows-the-status "a controller writes the status in this cluster"
	skip_test create-wait-says-the-state "a controller writes the status in this cluster (operator-quick-example covers it)"
	skip_test exec-hands-over-to-kubectl "a controller writes the status in this cluster"
else
	run_test wait-follows-the-status t_wait_follows_the_status
	run_test create-wait-says-the-state t_create_wait_says_the_state
	run_test exec-hands-over-to-kubectl t_exec_hands_over_to_kubectl
fi
run_test exec-logs-on-stopped t_exec_logs_on_stopped
run_test not-found-everywhere t_not_found_everywhere
run_test bad-flags-exit-2 t_bad_flags_exit_2
run_test unreachable-server-one-line t_unreachable_server_one_line
run_test verbose-is-plain-text t_verbose_is_plain_text
run_test delete t_delete
run_test delete-wait-follows-finalizers t_delete_wait_follows_finalizers
run_test delete-then-create t_delete_then_create
run_test delete-force-kills-pods t_delete_force_kills_pods
run_test completion t_completion

ops=(quick-example:op_quick_example restart-wait:op_restart_wait
	exec-waits-for-a-start:op_exec_waits_for_a_start delete-wait:op_delete_wait)
for t in "${ops[@]}"; do
	if [[ $operator == 1 && $without_operator == 0 ]]; then
		run_test "operator-${t%%:*}" "${t#*:}"
	elif [[ $without_operator == 0 ]]; then
		skip_test "operator-${t%%:*}" "the operator is not deployed (no available sc-controller in stoppablecontainer-system)"
	fi
done

finish
