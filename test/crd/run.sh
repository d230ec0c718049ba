#!/usr/bin/env bash
# Admission tests of the CRDs on the real cluster: they install, `kubectl
# explain` answers, defaults apply, and bad specs are refused with a message
# naming the field. Needs KUBECONFIG (hack/test.sh sets it from the cluster).
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib.sh
KUBECTL=${KUBECTL:-kubectl}
ns=sc-crd-test-$$
k() { "$KUBECTL" "$@"; }

# apply_sc YAML-SPEC: server-side dry-run create of a StoppableContainer.
apply_sc() {
	k -n "$ns" apply --dry-run=server -o json -f - <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: t}
spec:
$1
EOF
}

refused() { # refused SPEC EXPECTED-MESSAGE
	local out
	if out=$(apply_sc "$1" 2>&1); then
		echo "accepted, expected refusal with: $2" >&2
		return 1
	fi
	expect_contains "$out" "$2" "the refusal"
}

t_install() {
	k apply -k config/crd >/dev/null
	k wait --for=condition=Established --timeout=60s \
		crd/stoppablecontainers.stoppablecontainer.xtlsoft.top \
		crd/stoppablecontainerinstances.stoppablecontainer.xtlsoft.top >/dev/null
	k create namespace "$ns" >/dev/null
}
t_explain() {
	local out
	# The API server publishes a new CRD's OpenAPI schema a moment after
	# it is Established (on a fresh cluster, a few seconds).
	wait_until 60 "kubectl explain to know stoppablecontainer" \
		k explain stoppablecontainer.spec
	wait_until 60 "kubectl explain to know stoppablecontainerinstance" \
		k explain stoppablecontainerinstance.status
	out=$(k explain stoppablecontainer.spec)
	expect_contains "$out" "running" "explain spec"
	expect_contains "$out" "Whether the workload runs" "explain spec"
	out=$(k explain stoppablecontainerinstance.status.phase)
	expect_contains "$out" "Detailed phase" "explain instance phase"
}
t_samples_valid() {
	k -n "$ns" apply --dry-run=server -f config/samples/stoppablecontainer_v1alpha1_quickstart.yaml \
		-f config/samples/stoppablecontainer_v1alpha1_devbox.yaml >/dev/null
}
t_defaults() {
	local out
	out=$(apply_sc '  template: {container: {image: busybox:1.36}}')
	[[ $(jq -r .spec.running <<<"$out") == false ]] || fail "running did not default to false: $out"
	[[ $(jq -r .spec.hostPathPrefix <<<"$out") == /var/lib/stoppablecontainer ]] ||
		fail "hostPathPrefix default missing: $out"
}
t_missing_image() { refused '  template: {container: {command: [sh]}}' 'spec.template.container.image: Required value'; }
t_running_string() {
	refused '  running: "yes"
  template: {container: {image: busybox}}' 'spec.running in body must be of type boolean'
}
t_privileged_refused() {
	refused '  template: {container: {image: busybox, securityContext: {privileged: true}}}' \
		'unknown field "spec.template.container.securityContext.privileged"'
}
t_read_only_rootfs_refused() {
	# The workload's root filesystem is the persistent rootfs: a read-only
	# one is refused with why, in both shapes; false and an init
	# container's (its own image's rootfs) are accepted.
	refused '  template: {container: {image: busybox, securityContext: {readOnlyRootFilesystem: true}}}' \
		'readOnlyRootFilesystem is not available for the workload container'
	refused '  template: {spec: {containers: [{name: a, image: busybox, securityContext: {readOnlyRootFilesystem: true}}]}}' \
		'readOnlyRootFilesystem is not available for the workload container'
	apply_sc '  template: {container: {image: busybox, securityContext: {readOnlyRootFilesystem: false}}}' >/dev/null
	apply_sc '  template: {spec: {containers: [{name: a, image: busybox}], initContainers: [{name: i, image: busybox, securityContext: {readOnlyRootFilesystem: true}}]}}' >/dev/null
}
t_host_port_refused() {
	refused '  template: {container: {image: busybox, ports: [{containerPort: 80, hostPort: 80}]}}' \
		'unknown field "spec.template.container.ports[0].hostPort"'
}
t_bidirectional_refused() {
	refused '  template:
    container: {image: busybox, volumeMounts: [{name: v, mountPath: /v, mountPropagation: Bidirectional}]}
    volumes: [{name: v, emptyDir: {}}]' 'Unsupported value: "Bidirectional"'
}
t_prefix_dotdot() {
	refused '  hostPathPrefix: /var/lib/../../etc
  template: {container: {image: busybox}}' "must be an absolute path without '.' or '..' components"
}
t_prefix_relative() {
	refused '  hostPathPrefix: var/lib
  template: {container: {image: busybox}}' 'spec.hostPathPrefix in body should match'
}
# ports: ACCEPTED-OR-REFUSED checks on template.container.ports
ports_sc() { printf '  template: {container: {image: busybox, ports: %s}}' "$1"; }
t_ports() {
	apply_sc "$(ports_sc '[{name: http, containerPort: 80}, {name: dns, containerPort: 53, protocol: UDP}, {containerPort: 53}]')" >/dev/null ||
		fail "valid ports were refused"
	refused "$(ports_sc '[{containerPort: 0}]')" 'spec.template.container.ports[0].containerPort: Invalid value: 0'
	refused "$(ports_sc '[{containerPort: 65536}]')" 'spec.template.container.ports[0].containerPort: Invalid value: 65536'
	refused "$(ports_sc '[{containerPort: -80}]')" 'spec.template.container.ports[0].containerPort: Invalid value: -80'
	refused "$(ports_sc '[{containerPort: 80, protocol: ICMP}]')" 'spec.template.container.ports[0].protocol: Unsupported value: "ICMP"'
	refused "$(ports_sc '[{name: web, containerPort: 80}, {name: web, containerPort: 81}]')" \
		'port names must be unique'
	refused "$(ports_sc '[{containerPort: 80}, {containerPort: 80}]')" \
		'spec.template.container.ports[1]: Duplicate value'
	refused "$(ports_sc '[{name: Web_1, containerPort: 80}]')" 'spec.template.container.ports[0].name'
	refused "$(ports_sc '[{name: "80", containerPort: 80}]')" 'must contain a letter'
	refused "$(ports_sc '[{name: a--b, containerPort: 80}]')" 'no two hyphens in a row'
	refused "$(ports_sc '[{name: a-very-long-name-x, containerPort: 80}]')" 'spec.template.container.ports[0].name: Too long'
}
# mounts_sc MOUNT-PATH...: a StoppableContainer with an emptyDir mounted at each path.
mounts_sc() {
	local m="" p
	for p in "$@"; do
		m+="{name: v, mountPath: \"$p\"}, "
	done
	printf '  template:\n    container: {image: busybox, volumeMounts: [%s]}\n    volumes: [{name: v, emptyDir: {}}]' "${m%, }"
}
t_mount_paths() {
	apply_sc "$(mounts_sc /data /srv/a.b /x..y /.hidden /a/..b)" >/dev/null || fail "valid mount paths were refused"
	refused "$(mounts_sc data)" 'spec.template.container.volumeMounts[0].mountPath in body should match'
	local p
	for p in /data/../etc /data/.. /a/./b /a//b /data/ /.. /; do
		refused "$(mounts_sc "$p")" 'spec.template.container.volumeMounts[0].mountPath'
	done
	refused "$(mounts_sc /)" 'must not be /: a volume there would hide the persistent rootfs'
	refused "$(mounts_sc /data /data)" 'spec.template.container.volumeMounts[1]: Duplicate value'
}
t_grace_period() {
	local out
	out=$(apply_sc '  template: {terminationGracePeriodSeconds: 0, container: {image: busybox}}') ||
		fail "a grace period of 0 was refused: $out"
	out=$(apply_sc '  template: {terminationGracePeriodSeconds: 86400, container: {image: busybox}}') ||
		fail "a grace period of a day was refused: $out"
	refused '  template: {terminationGracePeriodSeconds: -1, container: {image: busybox}}' \
		'spec.template.terminationGracePeriodSeconds: Invalid value: -1'
	# beyond int64: the API server cannot decode it
	out=$(apply_sc '  template: {terminationGracePeriodSeconds: 99999999999999999999, container: {image: busybox}}' 2>&1) &&
		fail "a grace period beyond int64 was accepted: $out"
	[[ $out == *terminationGracePeriodSeconds* || $out == *"cannot unmarshal number"* || $out == *"out of range"* ]] ||
		fail "the refusal of a grace period beyond int64 says neither the field nor the range: $out"
}
t_quantities() {
	local q
	apply_sc '  template: {container: {image: busybox, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: "1.5", memory: 1e9, ephemeral-storage: 2Gi}}}}' >/dev/null ||
		fail "valid quantities were refused"
	for q in 1.5.5Gi lots 10XB "''" 1Gb; do
		refused "  template: {container: {image: busybox, resources: {limits: {memory: $q}}}}" \
			"spec.template.container.resources.limits.memory"
	done
	refused '  template: {container: {image: busybox, resources: {requests: {cpu: -100m}}}}' \
		'spec.template.container.resources.requests.cpu'
	refused '  template: {container: {image: busybox, resources: {requests: {memory: -1}}}}' \
		'spec.template.container.resources.requests.memory'
	refused '  provider: {resources: {limits: {memory: 12XB}}}
  template: {container: {image: busybox}}' 'spec.provider.resources.limits.memory'
}
t_unknown_phase() {
	k -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainerInstance
metadata: {name: phase-test}
spec:
  stoppableContainerName: phase-test
  template: {container: {image: busybox}}
EOF
	local out
	if out=$(k -n "$ns" patch stoppablecontainerinstance phase-test --subresource=status --type=merge \
		-p '{"status":{"phase":"Exploded"}}' 2>&1); then
		fail "phase Exploded accepted: $out"
	fi
	expect_contains "$out" 'status.phase: Unsupported value: "Exploded"' "the refusal"
	k -n "$ns" patch stoppablecontainerinstance phase-test --subresource=status --type=merge \
		-p '{"status":{"phase":"Stopped"}}' >/dev/null
}
t_template_shapes() {
	local out
	# The Pod shape is accepted, with the pod fields both shapes share.
	out=$(apply_sc '  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: main, image: busybox, ports: [{containerPort: 80}]}]
      initContainers: [{name: side, image: busybox, restartPolicy: Always}]
      runtimeClassName: runc
      dnsPolicy: None
      dnsConfig: {nameservers: [192.0.2.53]}
      securityContext: {fsGroupChangePolicy: OnRootMismatch, sysctls: [{name: kernel.shm_rmid_forced, value: "1"}]}
      restartPolicy: Always
      hostNetwork: false') || fail "the Pod shape was refused: $out"
	[[ $(jq -r '.spec.template.spec.containers[0].image' <<<"$out") == busybox ]] || fail "container lost: $out"
	[[ $(jq -r '.spec.template.spec.initContainers[0].restartPolicy' <<<"$out") == Always ]] || fail "sidecar lost: $out"
	refused '  template: {container: {image: busybox}, spec: {containers: [{name: a, image: busybox}]}}' \
		'give either template.container (the workload container) or template.spec'
	refused '  template: {metadata: {}}' 'give either template.container (the workload container) or template.spec'
	refused '  template: {spec: {containers: []}}' 'exactly one container, the workload'
	refused '  template: {spec: {containers: [{name: a, image: busybox}, {name: b, image: busybox}]}}' \
		'sidecars as initContainers with restartPolicy: Always'
	refused '  template: {spec: {containers: [{name: a, image: busybox}]}, volumes: [{name: v, emptyDir: {}}]}' \
		'the pod'"'"'s fields go inside it'
	refused '  template: {spec: {containers: [{name: a, image: busybox}], hostNetwork: true}}' \
		'hostNetwork is not available'
	refused '  template: {spec: {containers: [{name: a, image: busybox}], hostPID: true}}' 'hostPID is not available'
	refused '  template: {spec: {containers: [{name: a, image: busybox}], volumes: [{name: h, hostPath: {path: /etc}}]}}' \
		'hostPath volumes are not available'
	refused '  template: {container: {image: busybox}, volumes: [{name: h, hostPath: {path: /etc}}]}' \
		'hostPath volumes are not available'
	refused '  template: {container: {image: busybox}, initContainers: [{name: workload, image: busybox}]}' \
		'workload is the name of the workload container'
	refused '  template: {container: {image: busybox}, initContainers: [{name: i, image: busybox, securityContext: {privileged: true}}]}' \
		'unknown field "spec.template.initContainers[0].securityContext.privileged"'
}
t_printer_columns() {
	local out
	k -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: columns}
spec:
  template: {container: {image: busybox}}
EOF
	out=$(k -n "$ns" get stoppablecontainers columns)
	local header
	header=$(head -n1 <<<"$out")
	for c in NAME RUNNING PHASE READY RESTART-REQUIRED NODE AGE MESSAGE; do
		expect_contains "$header" "$c" "table header"
	done
	expect_contains "$(sed -n 2p <<<"$out")" "false" "table row"
}

# The short names clash with nothing built in: `kubectl get sc` is still
# StorageClass's, with no warning about a second match, and `stc`/`stci` are
# ours. A fresh discovery cache, as a new user's kubectl has.
t_short_names() {
	local cache sc_name out err
	cache=$(mktemp -d)
	sc_name=sc-crd-test-$$
	k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: $sc_name}
provisioner: kubernetes.io/no-provisioner
EOF
	out=$(k --cache-dir "$cache" get sc 2>"$cache/err")
	err=$(<"$cache/err")
	k delete storageclass "$sc_name" --wait=false >/dev/null 2>&1
	rm -rf "$cache"
	[[ -z $err ]] || fail "kubectl get sc wrote to stderr: $err"
	[[ $(head -n1 <<<"$out") == NAME*PROVISIONER* ]] || fail "kubectl get sc is not StorageClasses: $out"
	expect_contains "$out" "$sc_name" "kubectl get sc"
	out=$(k -n "$ns" get stc columns -o name)
	[[ $out == stoppablecontainer.stoppablecontainer.xtlsoft.top/columns ]] || fail "get stc: $out"
	out=$(k api-resources --api-group=stoppablecontainer.xtlsoft.top --no-headers)
	[[ $out =~ (^|$'\n')stoppablecontainers\ +stc\  ]] || fail "api-resources: $out"
	[[ $out =~ (^|$'\n')stoppablecontainerinstances\ +stci\  ]] || fail "api-resources: $out"
}

# create_named NAME: server-side dry-run create of a StoppableContainer NAME.
create_named() {
	k -n "$ns" apply --dry-run=server -o name -f - <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: $1}
spec:
  template: {container: {image: busybox}}
EOF
}
t_names() {
	local n63 n64 out
	n63=$(printf 'a%.0s' {1..63})
	n64=$(printf 'a%.0s' {1..64})
	create_named "$n63" >/dev/null || fail "a 63-character name was refused"
	create_named dotted.name.example >/dev/null || fail "a dotted name was refused"
	out=$(create_named "$n64" 2>&1) && fail "a 64-character name was accepted"
	expect_contains "$out" "metadata.name must be no more than 63 characters" "the refusal"
	out=$(create_named coll-provider 2>&1) && fail "a name ending in -provider was accepted"
	expect_contains "$out" "must not end in -provider: NAME-provider is the provider pod" "the refusal"
}
t_prefix_immutable() {
	k -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: prefix-fixed}
spec:
  template: {container: {image: busybox}}
EOF
	local out
	out=$(k -n "$ns" patch stoppablecontainer prefix-fixed --type=merge \
		-p '{"spec":{"hostPathPrefix":"/etc"}}' 2>&1) && fail "hostPathPrefix was changed"
	expect_contains "$out" "spec.hostPathPrefix: Invalid value" "the refusal"
	expect_contains "$out" "cannot be changed: the rootfs lives under the prefix it was created with" "the refusal"
	[[ $(k -n "$ns" get stoppablecontainer prefix-fixed -o jsonpath='{.spec.hostPathPrefix}') == /var/lib/stoppablecontainer ]] ||
		fail "hostPathPrefix is not the original one"
	# other fields still change
	k -n "$ns" patch stoppablecontainer prefix-fixed --type=merge -p '{"spec":{"running":true}}' >/dev/null ||
		fail "running could not be changed"
	k -n "$ns" delete stoppablecontainer prefix-fixed --wait=false >/dev/null
}

run_test "CRDs install and become Established" t_install
run_test "kubectl explain describes the fields" t_explain
run_test "the samples are valid" t_samples_valid
run_test "running and hostPathPrefix have defaults" t_defaults
run_test "a missing image is refused" t_missing_image
run_test "running: \"yes\" is refused" t_running_string
run_test "privileged is refused" t_privileged_refused
run_test "readOnlyRootFilesystem on the workload is refused with why" t_read_only_rootfs_refused
run_test "hostPort is refused" t_host_port_refused
run_test "Bidirectional propagation is refused" t_bidirectional_refused
run_test "a hostPathPrefix with .. is refused" t_prefix_dotdot
run_test "a relative hostPathPrefix is refused" t_prefix_relative
run_test "ports: out of range, unknown protocol, duplicate or malformed names refused" t_ports
run_test "mountPath: relative, '.', '..', empty components, /, duplicates refused" t_mount_paths
run_test "terminationGracePeriodSeconds: negative and beyond int64 refused" t_grace_period
run_test "resource quantities: malformed and negative refused" t_quantities
run_test "names: 63 characters and dots accepted; 64, or ending in -provider, refused with why" t_names
run_test "hostPathPrefix cannot be changed once set" t_prefix_immutable
run_test "an unknown phase is refused on the status subresource" t_unknown_phase
run_test "both template shapes; the Pod shape's refusals (containers, host namespaces, hostPath) say why" t_template_shapes
run_test "printer columns show NAME RUNNING PHASE READY RESTART-REQUIRED NODE AGE MESSAGE" t_printer_columns
run_test "short names stc and stci; kubectl get sc stays StorageClass's, no warning" t_short_names

# Objects go with the namespace; no finalizer holds them (no controller here).
k delete namespace "$ns" --wait=false >/dev/null 2>&1
finish
