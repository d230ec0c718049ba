#!/usr/bin/env bash
# Tests of the Helm chart charts/stoppablecontainer with a real helm
# (hack/build-helm.sh builds it once): lint, renderings checked object by
# object against config/default and config/local, values flowing into the
# objects, release-derived names, bad values refused; then on the project's
# real cluster (hack/cluster/): the kustomize install taken over by a release
# (hack/helm-adopt.sh) with a StoppableContainer's file kept, helm upgrade, a
# second release beside the first, helm uninstall and what it leaves, and
# kustomize's install put back as it was.
#
# Usage: test/helm/run.sh [--no-cluster]
#   --no-cluster  only the tests that need no cluster (lint and renderings)
#
# The cluster tests need root and the cluster up (hack/test.sh brings it up);
# the images are imported (hack/images.sh --import) when the node lacks them.
# Prints "N passed, N failed"; on a failure it prints events and operator logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib.sh

cluster=1
case "${1:-}" in
"") ;;
--no-cluster) cluster=0 ;;
-h | --help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "helm/run.sh: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

CHART=charts/stoppablecontainer
LOCAL_VALUES=$CHART/values-local.yaml
SC=stoppablecontainers.stoppablecontainer.xtlsoft.top
SCI=stoppablecontainerinstances.stoppablecontainer.xtlsoft.top
SYS=stoppablecontainer-system
IMAGE=sc-test/busybox:1
ns=sc-helm-$$
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! HELM=$(hack/build-helm.sh); then
	echo "helm/run.sh: building helm failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
# A private helm home: nothing of the user's repositories or plugins.
export HELM_CACHE_HOME=$tmp/helm/cache HELM_CONFIG_HOME=$tmp/helm/config HELM_DATA_HOME=$tmp/helm/data
# The cluster's kubectl (for `kubectl kustomize` too) and KUBECONFIG.
eval "$(hack/cluster/cluster.sh env)"
command -v kubectl >/dev/null || { echo "helm/run.sh: no kubectl (hack/cluster/cluster.sh up builds it)" >&2; exit 1; }
k() { kubectl -n "$ns" "$@"; }

on_failure() {
	((cluster)) || return 0
	kubectl get ns "$ns" >/dev/null 2>&1 || return 0
	echo "--- stoppablecontainers and pods in $ns"
	k get "$SC,$SCI,pods" -o wide 2>&1
	echo "--- events in $ns"
	k get events --sort-by=.lastTimestamp 2>&1 | tail -n 15
	echo "--- operator pods"
	kubectl -n $SYS get pods -o wide 2>&1
	echo "--- controller log"
	kubectl -n $SYS logs -l app.kubernetes.io/name=sc-controller --tail=15 --prefix 2>&1 | cut -c1-400
	echo "--- mount-helper log"
	kubectl -n $SYS logs -l app.kubernetes.io/name=sc-mount-helper --tail=15 2>&1 | cut -c1-400
}

# render [HELM TEMPLATE ARGS...]: the chart rendered into the operator's
# namespace, as YAML on stdout.
render() { "$HELM" template sc "$CHART" --namespace "$SYS" "$@"; }

# check_objects RENDERED.yaml PYTHON: runs PYTHON with `objs` (the rendered
# objects, in order) and `by_kind(kind)`; it prints why and exits 1 to fail.
check_objects() {
	python3 - "$1" <<EOF
import sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
def by_kind(kind):
    return [o for o in objs if o["kind"] == kind]
def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)
$2
EOF
}

# same_as_kustomize DIR HELM-ARGS...: the chart rendered with HELM-ARGS holds
# exactly kustomize's objects for DIR, equal field for field except that the
# chart adds labels to objects' metadata (never to pod templates).
same_as_kustomize() {
	local dir=$1
	shift
	kubectl kustomize "$dir" >"$tmp/k.yaml" || fail "kubectl kustomize $dir"
	render --include-crds --set namespace.create=true "$@" >"$tmp/h.yaml" || fail "helm template"
	python3 - "$tmp/k.yaml" "$tmp/h.yaml" <<'EOF'
import sys, yaml
def load(path):
    out = {}
    for o in yaml.safe_load_all(open(path)):
        if o:
            m = o["metadata"]
            out[(o["kind"], m.get("namespace", ""), m["name"])] = o
    return out
kust, helm = load(sys.argv[1]), load(sys.argv[2])
bad = []
def diff(a, b, path):
    """Lists where a (kustomize's) and b (the chart's) differ, by field path."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                bad.append(f"{path}{k}: missing in the chart (kustomize: {a[k]!r})")
            elif k not in a:
                bad.append(f"{path}{k}: only in the chart ({b[k]!r})")
            else:
                diff(a[k], b[k], f"{path}{k}.")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}{i}.")
    elif a != b:
        bad.append(f"{path.rstrip('.')}: kustomize {a!r}, the chart {b!r}")
for key in sorted(set(kust) ^ set(helm)):
    bad.append(f"{key}: only in {'kustomize' if key in kust else 'the chart'}")
for key in sorted(set(kust) & set(helm)):
    a, b = kust[key], helm[key]
    la, lb = a["metadata"].get("labels", {}), b["metadata"].get("labels", {})
    for name, value in la.items():
        if lb.get(name) != value:
            bad.append(f"{key}: label {name}={value} is {lb.get(name)!r} in the chart")
    strip = lambda o: dict(o, metadata={k: v for k, v in o["metadata"].items() if k != "labels"})
    diff(strip(a), strip(b), f"{key[0]} {key[2]}: ")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
}

t_lint() {
	"$HELM" lint --strict "$CHART" >"$tmp/lint" 2>&1 || { cat "$tmp/lint" >&2; fail "helm lint --strict"; }
	"$HELM" lint --strict "$CHART" -f "$LOCAL_VALUES" >"$tmp/lint" 2>&1 ||
		{ cat "$tmp/lint" >&2; fail "helm lint --strict with the local values"; }
}

t_crds_are_config_crd() {
	local f
	for f in config/crd/*.yaml; do
		[[ $(basename "$f") == kustomization.yaml ]] && continue
		cmp -s "$f" "$CHART/crds/$(basename "$f")" || fail "$CHART/crds/$(basename "$f") differs from $f"
	done
	[[ $(find "$CHART/crds" -name '*.yaml' | wc -l) == 2 ]] || fail "expected 2 CRDs in $CHART/crds"
}

t_default_is_config_default() { same_as_kustomize config/default --set kustomizeNames=true; }
t_local_is_config_local() { same_as_kustomize config/local -f "$LOCAL_VALUES" --set kustomizeNames=true; }

# names_of RENDERED.yaml: "Kind name" lines, sorted.
names_of() {
	check_objects "$1" '
for o in sorted(objs, key=lambda o: (o["kind"], o["metadata"]["name"])):
    print(o["kind"], o["metadata"]["name"])
'
}

t_names_from_the_release() {
	render >"$tmp/a.yaml" || fail "helm template"
	"$HELM" template other "$CHART" --namespace other-system >"$tmp/b.yaml" || fail "helm template other"
	names_of "$tmp/a.yaml" >"$tmp/a.names" || fail "reading the rendering"
	names_of "$tmp/b.yaml" >"$tmp/b.names" || fail "reading the rendering"
	# No name is shared between the two releases, and none is kustomize's.
	kubectl kustomize config/default >"$tmp/k.yaml" || fail "kubectl kustomize"
	names_of "$tmp/k.yaml" >"$tmp/k.names" || fail "reading kustomize's objects"
	[[ -z $(comm -12 "$tmp/a.names" "$tmp/b.names") ]] || fail "releases sc and other share: $(comm -12 "$tmp/a.names" "$tmp/b.names")"
	[[ -z $(comm -12 "$tmp/a.names" "$tmp/k.names") ]] || fail "release sc shares names with kustomize: $(comm -12 "$tmp/a.names" "$tmp/k.names")"
	check_objects "$tmp/a.yaml" '
want = {("ClusterRole", "sc-stoppablecontainer-controller"), ("ClusterRole", "sc-stoppablecontainer-mount-helper"),
        ("ClusterRole", "sc-stoppablecontainer-view"), ("ClusterRole", "sc-stoppablecontainer-edit"),
        ("ClusterRoleBinding", "sc-stoppablecontainer-controller"), ("ClusterRoleBinding", "sc-stoppablecontainer-mount-helper"),
        ("Deployment", "sc-stoppablecontainer-controller"), ("DaemonSet", "sc-stoppablecontainer-mount-helper"),
        ("Service", "sc-stoppablecontainer-controller-metrics"), ("Service", "sc-stoppablecontainer-mount-helper-metrics")}
have = {(o["kind"], o["metadata"]["name"]) for o in objs}
if want - have:
    die("missing: %s" % sorted(want - have))
for o in objs:
    if not o["metadata"]["name"].startswith("sc-stoppablecontainer-"):
        die("%s %s is not named from the release" % (o["kind"], o["metadata"]["name"]))
# Selectors carry the release, so two releases in one namespace select only their own pods.
for o in by_kind("Deployment") + by_kind("DaemonSet"):
    sel = o["spec"]["selector"]["matchLabels"]
    if sel.get("app.kubernetes.io/instance") != "sc" or any(o["spec"]["template"]["metadata"]["labels"].get(k) != v for k, v in sel.items()):
        die("%s selector %s, pod labels %s" % (o["metadata"]["name"], sel, o["spec"]["template"]["metadata"]["labels"]))
for s in by_kind("Service"):
    if s["spec"]["selector"].get("app.kubernetes.io/instance") != "sc":
        die("Service %s selector %s" % (s["metadata"]["name"], s["spec"]["selector"]))
# Bindings name the release'"'"'s ServiceAccounts and roles.
for b in by_kind("ClusterRoleBinding") + by_kind("RoleBinding"):
    if b["roleRef"]["name"] != b["metadata"]["name"] or not b["subjects"][0]["name"].startswith("sc-stoppablecontainer-"):
        die("binding %s: %s %s" % (b["metadata"]["name"], b["roleRef"], b["subjects"]))
'
	# A release name holding the chart's name is the fullname; the overrides win.
	"$HELM" template my-stoppablecontainer "$CHART" >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" 'n = by_kind("Deployment")[0]["metadata"]["name"]
if n != "my-stoppablecontainer-controller": die("Deployment %s" % n)'
	render --set fullnameOverride=ops-sc >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" 'names = sorted(o["metadata"]["name"] for o in by_kind("ClusterRole"))
if names != ["ops-sc-controller", "ops-sc-edit", "ops-sc-mount-helper", "ops-sc-view"]: die("ClusterRoles %s" % names)'
	render --set nameOverride=box >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" 'n = by_kind("DaemonSet")[0]["metadata"]["name"]
if n != "sc-box-mount-helper": die("DaemonSet %s" % n)'
	# At most 42 characters of fullname: every Service name fits a DNS label.
	"$HELM" template "$(printf 'r%.0s' {1..50})" "$CHART" >"$tmp/r.yaml" || fail "helm template with a long release name"
	check_objects "$tmp/r.yaml" '
for o in objs:
    if len(o["metadata"]["name"]) > 63: die("%s %s is longer than 63" % (o["kind"], o["metadata"]["name"]))'
}

t_watch_namespace_and_no_mount_helper() {
	render --set watchNamespace=team-a --set mountHelper.enabled=false >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
c = by_kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
if "--namespace=team-a" not in c["args"]:
    die("no --namespace=team-a in %s" % c["args"])
left = [(o["kind"], o["metadata"]["name"]) for o in objs if "mount-helper" in o["metadata"]["name"]]
if left or by_kind("DaemonSet"):
    die("mountHelper.enabled=false still renders %s" % left)
'
	render >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
c = by_kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
if any(a.startswith("--namespace") for a in c["args"]): die("--namespace without watchNamespace: %s" % c["args"])'
}

t_pod_security() {
	local values
	for values in "" "-f $LOCAL_VALUES"; do
		# shellcheck disable=SC2086
		render $values >"$tmp/r.yaml" || fail "helm template $values"
		check_objects "$tmp/r.yaml" '
workloads = [o for o in objs if o["kind"] in ("Deployment", "DaemonSet", "StatefulSet", "Job", "Pod")]
if sorted((o["kind"], o["metadata"]["name"]) for o in workloads) != [("DaemonSet", "sc-stoppablecontainer-mount-helper"), ("Deployment", "sc-stoppablecontainer-controller")]:
    die("unexpected workloads: %s" % [(o["kind"], o["metadata"]["name"]) for o in workloads])
def privileged(spec):
    return bool(spec.get("hostPID") or spec.get("hostNetwork") or spec.get("hostIPC") or
                any("hostPath" in v for v in spec.get("volumes", [])) or
                any((c.get("securityContext") or {}).get("privileged") for c in spec["containers"] + spec.get("initContainers", [])))
for o in workloads:
    spec = o["spec"]["template"]["spec"]
    if privileged(spec) != (o["kind"] == "DaemonSet"):
        die("%s privileged: %s" % (o["metadata"]["name"], privileged(spec)))
ctl = by_kind("Deployment")[0]["spec"]["template"]["spec"]
psc, csc = ctl["securityContext"], ctl["containers"][0]["securityContext"]
if not (psc.get("runAsNonRoot") and psc.get("runAsUser", 0) != 0):
    die("the controller may run as root: %s" % psc)
if csc.get("allowPrivilegeEscalation") is not False or csc.get("capabilities", {}).get("drop") != ["ALL"] or not csc.get("readOnlyRootFilesystem"):
    die("the controller container is not locked down: %s" % csc)
'
	done
}

t_prefixes_flow_into_args() {
	render --set-json 'allowedHostPathPrefixes=["/var/lib/stoppablecontainer","/srv/sc-state"]' \
		--set mountHelper.containerdRoot=/data/containerd >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
spec = by_kind("DaemonSet")[0]["spec"]["template"]["spec"]
c = spec["containers"][0]
prefixes = [a.split("=", 1)[1] for a in c["args"] if a.startswith("--allowed-prefix=")]
if prefixes != ["/var/lib/stoppablecontainer", "/srv/sc-state"]:
    die("--allowed-prefix args: %s" % prefixes)
if "--containerd-root=/data/containerd" not in c["args"]:
    die("no --containerd-root=/data/containerd in %s" % c["args"])
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
for p in prefixes:
    m = mounts.get(p)
    if not m or m.get("mountPropagation") != "Bidirectional" or vols.get(m["name"]) != p:
        die("prefix %s is not mounted Bidirectional from the same host path: %s %s" % (p, mounts, vols))
m = mounts.get("/data/containerd")
if not m or not m.get("readOnly") or vols.get(m["name"]) != "/data/containerd":
    die("containerd root not mounted read-only from the host: %s" % mounts)
'
}

t_scheduling_flows_through() {
	render --set-json 'controller.nodeSelector={"node-role/ops":"true"}' \
		--set-json 'controller.tolerations=[{"key":"ops","operator":"Exists","effect":"NoSchedule"}]' \
		--set-json 'mountHelper.nodeSelector={"sc/enabled":"yes"}' \
		--set-json 'mountHelper.tolerations=[{"key":"gpu","operator":"Equal","value":"1","effect":"NoExecute"}]' \
		--set controller.replicas=3 >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
d = by_kind("Deployment")[0]["spec"]
ds = by_kind("DaemonSet")[0]["spec"]["template"]["spec"]
if d["replicas"] != 3:
    die("replicas: %s" % d["replicas"])
if d["template"]["spec"].get("nodeSelector") != {"node-role/ops": "true"}:
    die("controller nodeSelector: %s" % d["template"]["spec"].get("nodeSelector"))
if d["template"]["spec"].get("tolerations") != [{"key": "ops", "operator": "Exists", "effect": "NoSchedule"}]:
    die("controller tolerations: %s" % d["template"]["spec"].get("tolerations"))
if ds.get("nodeSelector") != {"sc/enabled": "yes"}:
    die("mount-helper nodeSelector: %s" % ds.get("nodeSelector"))
if ds.get("tolerations") != [{"key": "gpu", "operator": "Equal", "value": "1", "effect": "NoExecute"}]:
    die("mount-helper tolerations: %s" % ds.get("tolerations"))
'
}

t_images_and_flags_flow_through() {
	render --set controller.image.repository=reg.example/sc/ctl --set controller.image.tag=9.9 \
		--set mountHelper.image.pullPolicy=Always --set execImage.repository=reg.example/sc/exec \
		--set execImage.pullPolicy=Never --set controller.logLevel=4 --set mountHelper.logLevel=2 \
		--set metrics.port=9090 >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
c = by_kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
m = by_kind("DaemonSet")[0]["spec"]["template"]["spec"]["containers"][0]
want = ["--leader-elect", "--metrics-addr=:9090", "--exec-image=reg.example/sc/exec:0.1.0",
        "--exec-image-pull-policy=Never", "--v=4"]
if c["image"] != "reg.example/sc/ctl:9.9" or c["args"] != want:
    die("controller image %s args %s" % (c["image"], c["args"]))
svc = {s["metadata"]["name"]: s for s in by_kind("Service")}
if c["ports"][0]["containerPort"] != 9090 or svc["sc-stoppablecontainer-controller-metrics"]["spec"]["ports"][0]["port"] != 9090:
    die("metrics port not 9090")
if m["imagePullPolicy"] != "Always" or "--v=2" not in m["args"]:
    die("mount-helper pullPolicy %s args %s" % (m["imagePullPolicy"], m["args"]))
'
}

t_daemon_options_flow_through() {
	render --set controller.logFormat=text --set controller.workers=8 --set controller.runtimePath=auto \
		--set mountHelper.logFormat=text >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
c = by_kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
m = by_kind("DaemonSet")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
for want in ("--log-format=text", "--workers=8", "--runtime-path=auto"):
    if want not in c:
        die("controller args %s lack %s" % (c, want))
if "--log-format=text" not in m:
    die("mount-helper args %s lack --log-format=text" % m)
'
	# the defaults add no argument (config/default has none of them)
	render >"$tmp/d.yaml" || fail "helm template"
	if grep -E -- '--(log-format|workers|runtime-path)' "$tmp/d.yaml"; then
		fail "the default values rendered a --log-format, --workers or --runtime-path"
	fi
}

t_optional_objects() {
	render --set metrics.service.enabled=false --set controller.replicas=1 >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
if by_kind("Service") or by_kind("PodDisruptionBudget") or by_kind("Namespace"):
    die("expected no Service, PDB or Namespace: %s" % [o["kind"] for o in objs])
'
	render >"$tmp/r.yaml" || fail "helm template"
	check_objects "$tmp/r.yaml" '
pdb = by_kind("PodDisruptionBudget")
if len(pdb) != 1 or pdb[0]["spec"]["minAvailable"] != 1 or pdb[0]["spec"]["selector"] != by_kind("Deployment")[0]["spec"]["selector"]:
    die("PDB: %s" % pdb)
'
	# Without --include-crds helm template leaves crds/ out; helm install
	# applies them. Cluster-scoped objects carry no namespace.
	check_objects "$tmp/r.yaml" '
for o in objs:
    scoped = o["kind"] in ("ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition")
    if scoped == ("namespace" in o["metadata"]) or (not scoped and o["metadata"]["namespace"] != "'"$SYS"'"):
        die("%s %s namespace: %s" % (o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")))
'
}

# refused WANT HELM-SET-ARGS...: helm template fails and says WANT.
refused() {
	local want=$1 out
	shift
	if out=$(render "$@" 2>&1 >/dev/null); then
		fail "helm template $* succeeded"
	fi
	expect_contains "$out" "$want" "the error for $*"
}

t_bad_values_refused() {
	refused "at '/allowedHostPathPrefixes/0': 'var/lib/sc' does not match pattern" \
		--set 'allowedHostPathPrefixes[0]=var/lib/sc'
	refused "at '/allowedHostPathPrefixes/0': '/var/lib/../../etc' does not match pattern" \
		--set 'allowedHostPathPrefixes[0]=/var/lib/../../etc'
	refused "at '/allowedHostPathPrefixes': minItems" --set-json 'allowedHostPathPrefixes=[]'
	refused "at '/controller/replicas': minimum: got -1, want 0" --set controller.replicas=-1
	refused "at '/mountHelper/containerdRoot'" --set mountHelper.containerdRoot=containerd
	refused "at '/controller/logLevel': maximum: got 11, want 10" --set controller.logLevel=11
	refused "at '/execImage/pullPolicy': value must be one of" --set execImage.pullPolicy=Sometimes
	refused "additional properties 'replica' not allowed" --set controller.replica=2
	refused "at '/fullnameOverride': maxLength" --set fullnameOverride="$(printf 'a%.0s' {1..43})"
	refused "at '/fullnameOverride': 'Bad_Name' does not match pattern" --set fullnameOverride=Bad_Name
	refused "at '/nameOverride'" --set nameOverride=-x
	refused "at '/watchNamespace': 'team/a' does not match pattern" --set watchNamespace=team/a
	refused "at '/kustomizeNames': got string, want boolean" --set-string kustomizeNames=yes
	refused "at '/controller/workers': maximum: got 65, want 64" --set controller.workers=65
	refused "at '/controller/runtimePath': value must be one of" --set controller.runtimePath=on
	refused "at '/mountHelper/logFormat': value must be one of" --set mountHelper.logFormat=xml
}

# The cluster tests: the kustomize install (hack/deploy.sh) is taken over by
# release $REL (hack/helm-adopt.sh) while StoppableContainer "keep" runs with
# a file in its root filesystem; the release is upgraded; a second release
# installs beside it for another namespace and is uninstalled; then $REL is
# uninstalled and kustomize's objects applied again. "keep"'s file is checked
# by checksum at each step. cleanup (also after a failure) leaves the
# kustomize install as the tests found it.
REL=stoppablecontainer
REL2=sc-beside
ns_other=sc-helm-other-$$
ns_rel2=sc-helm-rel2-$$

# operator_pods: the operator's pods that are not being deleted (a rollout's
# old pods linger a while), sorted.
operator_pods() {
	kubectl -n $SYS get pods -l app.kubernetes.io/part-of=stoppablecontainer \
		-o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}' | sort
}
no_operator_pods() { [[ -z $(kubectl -n $SYS get pods -l app.kubernetes.io/part-of=stoppablecontainer -o name) ]]; }

# release_exists NAME NAMESPACE
release_exists() { "$HELM" status "$1" -n "$2" >/dev/null 2>&1; }

kustomize_back() {
	kubectl apply -k config/local >/dev/null &&
		kubectl -n $SYS rollout status deployment/sc-controller --timeout=180s >/dev/null &&
		kubectl -n $SYS rollout status daemonset/sc-mount-helper --timeout=180s >/dev/null
}

# Uninstalls what the tests installed and puts kustomize's install back (the
# operator other suites expect), then deletes the test namespaces while the
# operator runs to release their finalizers.
cleanup() {
	release_exists $REL2 "$ns_rel2" && "$HELM" uninstall $REL2 -n "$ns_rel2" --wait >/dev/null
	if release_exists $REL $SYS; then
		"$HELM" uninstall $REL -n $SYS --wait >/dev/null
		wait_until 120 "the operator's pods to go" no_operator_pods
	fi
	kubectl -n $SYS get deployment sc-controller >/dev/null 2>&1 || kustomize_back ||
		echo "warning: the kustomize install did not come back; run hack/deploy.sh" >&2
	kubectl delete namespace "$ns" "$ns_other" "$ns_rel2" --ignore-not-found --wait=true --timeout=180s >/dev/null 2>&1 ||
		echo "warning: namespaces $ns $ns_other $ns_rel2 not deleted in time" >&2
}

phase() { kubectl -n "$1" get "$SC" "$2" -o jsonpath='{.status.phase}' 2>/dev/null; }
# wait_phase NS NAME PHASE [SECONDS]
wait_phase() {
	if ! kubectl -n "$1" wait --for=jsonpath='{.status.phase}'="$3" "$SC/$2" --timeout="${4:-120}s" >/dev/null 2>&1; then
		fail "$1/$2 did not reach phase $3 (now: $(phase "$1" "$2"): $(kubectl -n "$1" get "$SC" "$2" -o jsonpath='{.status.message}'))"
	fi
}
set_running() { kubectl -n "$1" patch "$SC" "$2" --type=merge -p "{\"spec\":{\"running\":$3}}" >/dev/null; }
new_sc() {
	kubectl -n "$1" apply -f - >/dev/null <<EOF
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata: {name: $2}
spec:
  running: true
  template:
    container:
      image: $IMAGE
      imagePullPolicy: Never
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
EOF
}
# stop_start NS NAME: through Stopped (no consumer pod) back to Running.
stop_start() {
	set_running "$1" "$2" false
	wait_phase "$1" "$2" Stopped
	! kubectl -n "$1" get pod "$2" >/dev/null 2>&1 || fail "the consumer pod $1/$2 is still there when Stopped"
	set_running "$1" "$2" true
	wait_phase "$1" "$2" Running
}
# keep_intact: "keep"'s file has the checksum recorded when it was written,
# and its instance is the same object.
keep_intact() {
	local sum
	sum=$(k exec keep -- sha256sum /root/blob | cut -d' ' -f1) || fail "reading keep's /root/blob"
	[[ $sum == "$(cat "$tmp/keep.sum")" ]] || fail "keep's /root/blob changed: $sum, was $(cat "$tmp/keep.sum")"
	[[ $(k get "$SCI" keep -o jsonpath='{.metadata.uid}') == "$(cat "$tmp/keep.uid")" ]] ||
		fail "keep's instance was replaced"
}
# live_names RELEASE: the cluster's objects of a release (its instance
# label), as "kind/name", sorted.
live_names() {
	kubectl get clusterrole,clusterrolebinding,role,rolebinding,serviceaccount,deployment,daemonset,service,pdb \
		-A -l "app.kubernetes.io/instance=$1" -o name | sort
}

t_adopt_refuses_bad_arguments() {
	local out
	if out=$(hack/helm-adopt.sh --release Bad_Name 2>&1); then fail "--release Bad_Name accepted"; fi
	expect_contains "$out" "--release 'Bad_Name' is not a valid release name" "the error"
	if out=$(hack/helm-adopt.sh --namespace ../x 2>&1); then fail "--namespace ../x accepted"; fi
	expect_contains "$out" "--namespace '../x' is not a valid namespace name" "the error"
	if out=$(hack/helm-adopt.sh --release 2>&1); then fail "--release without a value accepted"; fi
	expect_contains "$out" "--release needs a value" "the error"
}

t_kustomize_install_with_a_workload() {
	local img
	for img in sc-controller sc-mount-helper sc-exec; do
		if ! crictl images -q "stoppablecontainer/$img:0.1.0" 2>/dev/null | grep -q .; then
			hack/images.sh --import >/dev/null || fail "hack/images.sh --import"
			break
		fi
	done
	# The kustomize install (hack/deploy.sh), not yet any release's.
	kubectl -n $SYS get deployment sc-controller >/dev/null 2>&1 || kustomize_back || fail "applying config/local"
	[[ -z $(kubectl -n $SYS get deployment sc-controller -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}') ]] ||
		fail "the operator already belongs to a Helm release (a previous run's?)"
	kubectl -n $SYS get deployment sc-controller -o jsonpath='{.metadata.uid}' >"$tmp/deploy.uid"
	operator_pods >"$tmp/pods.before"
	kubectl create namespace "$ns" >/dev/null
	kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=baseline >/dev/null
	new_sc "$ns" keep
	wait_phase "$ns" keep Running
	k exec keep -- sh -c 'head -c 1048576 /dev/urandom >/root/blob && sha256sum /root/blob' | cut -d' ' -f1 >"$tmp/keep.sum"
	[[ $(wc -c <"$tmp/keep.sum") == 65 ]] || fail "no checksum of keep's /root/blob: $(cat "$tmp/keep.sum")"
	k get "$SCI" keep -o jsonpath='{.metadata.uid}' >"$tmp/keep.uid"
	[[ -s $tmp/keep.uid ]] || fail "no instance keep"
}

t_adopt() {
	# A plain install over it is refused on the first shared name, and
	# records no release.
	local out
	if out=$("$HELM" install $REL "$CHART" -n $SYS -f "$LOCAL_VALUES" 2>&1); then
		fail "helm install $REL over the kustomize install succeeded"
	fi
	expect_contains "$out" "exists and cannot be imported into the current release" "helm install's error"
	! release_exists $REL $SYS || fail "the refused install left a release"
	HELM=$HELM hack/helm-adopt.sh --release $REL --namespace $SYS -- -f "$LOCAL_VALUES" >"$tmp/adopt.out" 2>&1 ||
		{ cat "$tmp/adopt.out" >&2; fail "hack/helm-adopt.sh"; }
	[[ $("$HELM" status $REL -n $SYS -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["info"]["status"])') == deployed ]] ||
		fail "release $REL is not deployed"
	# Taken over, not replaced: the same Deployment and pods, now the release's.
	diff "$tmp/pods.before" <(operator_pods) >&2 || fail "the takeover replaced operator pods"
	[[ $(kubectl -n $SYS get deployment sc-controller -o jsonpath='{.metadata.uid}') == "$(cat "$tmp/deploy.uid")" ]] ||
		fail "the controller Deployment was replaced"
	local obj
	for obj in deployment/sc-controller daemonset/sc-mount-helper clusterrole/stoppablecontainer-controller \
		clusterrolebinding/stoppablecontainer-mount-helper role/stoppablecontainer-leader-election \
		service/sc-mount-helper-metrics; do
		[[ $(kubectl -n $SYS get "$obj" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}/{.metadata.annotations.meta\.helm\.sh/release-name}') == Helm/$REL ]] ||
			fail "$obj is not release $REL's"
	done
	wait_phase "$ns" keep Running
	keep_intact
}

# metrics_via SERVICE: /metrics of a Service in $SYS through the API
# server's service proxy.
metrics_via() { kubectl get --raw "/api/v1/namespaces/$SYS/services/$1:metrics/proxy/metrics"; }

# lease_leader: the pod holding the controllers' Lease (its identity is
# POD_PID).
lease_leader() {
	local holder
	holder=$(kubectl -n $SYS get lease stoppablecontainer-controller -o jsonpath='{.spec.holderIdentity}')
	echo "${holder%_*}"
}
controller_endpoints() {
	kubectl -n $SYS get endpoints sc-controller-metrics -o jsonpath='{.subsets[*].addresses[*].targetRef.name}'
}
# The controller metrics Service's only endpoint is the Lease holder's pod.
endpoint_is_leader() {
	local leader
	leader=$(lease_leader)
	[[ -n $leader && $(controller_endpoints) == "$leader" ]]
}

t_metrics_services() {
	local leader eps out
	wait_until 60 "the metrics Service's only endpoint to be the leader" endpoint_is_leader ||
		fail "sc-controller-metrics endpoints: '$(controller_endpoints)', leader '$(lease_leader)'"
	leader=$(lease_leader)
	[[ $(kubectl -n $SYS get pods -l stoppablecontainer.xtlsoft.top/leader=true -o name) == "pod/$leader" ]] ||
		fail "pods labelled leader: $(kubectl -n $SYS get pods -l stoppablecontainer.xtlsoft.top/leader=true -o name)"
	out=$(metrics_via sc-controller-metrics) || fail "no /metrics through sc-controller-metrics"
	grep -qx 'sc_leader 1' <<<"$out" || fail "no 'sc_leader 1' in the controller's /metrics through its Service: $out"
	expect_contains "$out" 'sc_build_info{component="sc-controller",version="0.1.0",commit=' "the controller's /metrics"
	# A standby's own /metrics says it does not lead.
	local pod
	for pod in $(kubectl -n $SYS get pods -l app.kubernetes.io/name=sc-controller -o jsonpath='{.items[*].metadata.name}'); do
		[[ $pod == "$leader" ]] && continue
		out=$(kubectl get --raw "/api/v1/namespaces/$SYS/pods/$pod:8080/proxy/metrics") || fail "no /metrics on $pod"
		grep -qx 'sc_leader 0' <<<"$out" || fail "no 'sc_leader 0' in standby $pod's /metrics: $out"
	done
	# The mount-helpers' Service is headless, one address per node.
	[[ $(kubectl -n $SYS get service sc-mount-helper-metrics -o jsonpath='{.spec.clusterIP}') == None ]] ||
		fail "sc-mount-helper-metrics is not headless"
	eps=$(kubectl -n $SYS get endpoints sc-mount-helper-metrics -o jsonpath='{.subsets[*].addresses[*].nodeName}' | wc -w)
	[[ $eps == "$(kubectl get nodes -o name | wc -l)" ]] || fail "sc-mount-helper-metrics has $eps endpoints"
	out=$(metrics_via sc-mount-helper-metrics) || fail "no /metrics through sc-mount-helper-metrics"
	expect_contains "$out" 'sc_build_info{component="sc-mount-helper",version="0.1.0",commit=' "the mount-helper's /metrics"
}

t_upgrade_keeps_files() {
	"$HELM" upgrade $REL "$CHART" -n $SYS --reuse-values --set controller.logLevel=2 --set watchNamespace="$ns" \
		--wait --timeout 5m >/dev/null || fail "helm upgrade"
	[[ $("$HELM" history $REL -n $SYS -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["revision"])') == 2 ]] ||
		fail "the release is not at revision 2"
	local args
	args=$(kubectl -n $SYS get deployment sc-controller -o jsonpath='{.spec.template.spec.containers[0].args}')
	expect_contains "$args" "--v=2" "the controller's args"
	expect_contains "$args" "--namespace=$ns" "the controller's args"
	kubectl -n $SYS rollout status deployment/sc-controller --timeout=180s >/dev/null || fail "the upgrade did not roll out"
	stop_start "$ns" keep
	keep_intact
}

t_second_release_beside() {
	kubectl create namespace "$ns_rel2" >/dev/null
	kubectl create namespace "$ns_other" >/dev/null
	kubectl label namespace "$ns_other" pod-security.kubernetes.io/enforce=baseline >/dev/null
	# Its own controller for $ns_other; the nodes' mount-helper is $REL's.
	"$HELM" install $REL2 "$CHART" -n "$ns_rel2" -f "$LOCAL_VALUES" --set watchNamespace="$ns_other" \
		--set mountHelper.enabled=false --wait --timeout 5m >"$tmp/install.out" 2>&1 ||
		{ cat "$tmp/install.out" >&2; fail "helm install $REL2 beside $REL"; }
	live_names $REL >"$tmp/rel.names"
	live_names $REL2 >"$tmp/rel2.names"
	[[ $(wc -l <"$tmp/rel2.names") -ge 10 ]] || fail "release $REL2 has few objects: $(cat "$tmp/rel2.names")"
	[[ -z $(comm -12 "$tmp/rel.names" "$tmp/rel2.names") ]] || fail "shared: $(comm -12 "$tmp/rel.names" "$tmp/rel2.names")"
	! grep -q daemonset "$tmp/rel2.names" || fail "release $REL2 has a DaemonSet"
	new_sc "$ns_other" other
	wait_phase "$ns_other" other Running
	kubectl -n "$ns_other" exec other -- sh -c 'echo beside >/root/f'
	stop_start "$ns_other" other
	[[ $(kubectl -n "$ns_other" exec other -- cat /root/f) == beside ]] || fail "other's /root/f did not survive stop/start"
	kubectl -n "$ns_other" delete "$SC" other --wait=true --timeout=180s >/dev/null || fail "deleting other timed out"
}

t_uninstall_second_release() {
	"$HELM" uninstall $REL2 -n "$ns_rel2" --wait >/dev/null || fail "helm uninstall $REL2"
	[[ -z $(live_names $REL2) ]] || fail "left by uninstalling $REL2: $(live_names $REL2)"
	diff <(live_names $REL) "$tmp/rel.names" >&2 || fail "uninstalling $REL2 changed $REL's objects"
	keep_intact
}

t_uninstall_leaves() {
	local uid
	uid=$(cat "$tmp/keep.uid")
	"$HELM" uninstall $REL -n $SYS --wait >/dev/null || fail "helm uninstall $REL"
	wait_until 120 "the operator's pods to go" no_operator_pods || fail "the operator's pods are still there"
	[[ -z $(live_names $REL) ]] || fail "left by uninstalling $REL: $(live_names $REL)"
	# What it leaves on purpose: the CRDs, the StoppableContainers (their
	# finalizers wait for an operator), their root filesystems on the node;
	# the running workload is untouched.
	kubectl get crd "$SC" "$SCI" >/dev/null || fail "the CRDs went with the release"
	[[ $(k get "$SC" keep -o jsonpath='{.metadata.finalizers}') == *stoppablecontainer* ]] || fail "keep lost its finalizer"
	[[ -d /var/lib/stoppablecontainer/$ns/keep/$uid ]] || fail "keep's state directory is gone from the node"
	keep_intact
}

t_restored() {
	cleanup
	! release_exists $REL $SYS || fail "release $REL is still installed"
	! release_exists $REL2 "$ns_rel2" || fail "release $REL2 is still installed"
	[[ $(kubectl -n $SYS get deployment sc-controller -o jsonpath='{.status.availableReplicas}/{.metadata.labels.app\.kubernetes\.io/managed-by}') == 2/ ]] ||
		fail "sc-controller is not kustomize's with 2 available replicas"
	local n
	for n in "$ns" "$ns_other" "$ns_rel2"; do
		! kubectl get namespace "$n" >/dev/null 2>&1 || fail "namespace $n is left"
	done
}

t_kustomize_again() {
	kustomize_back || fail "config/local did not roll out again"
	stop_start "$ns" keep
	keep_intact
	local dir
	dir=/var/lib/stoppablecontainer/$ns/keep/$(cat "$tmp/keep.uid")
	k delete "$SC" keep --wait=true --timeout=180s >/dev/null || fail "deleting keep timed out"
	[[ ! -e $dir ]] || fail "state left at $dir"
}

run_test "helm lint --strict" t_lint
run_test "the chart's CRDs are config/crd's" t_crds_are_config_crd
run_test "default values render config/default's objects" t_default_is_config_default
run_test "local values render config/local's objects" t_local_is_config_local
run_test "every name, cluster-wide too, comes from the release or the overrides" t_names_from_the_release
run_test "watchNamespace flows into --namespace; the mount-helper can be left out" t_watch_namespace_and_no_mount_helper
run_test "only the mount-helper is privileged; the controller runs as non-root" t_pod_security
run_test "allowed prefixes and containerd's root flow into args and mounts" t_prefixes_flow_into_args
run_test "nodeSelector, tolerations and replicas flow through" t_scheduling_flows_through
run_test "images, pull policies, log levels and the metrics port flow through" t_images_and_flags_flow_through
run_test "log formats, workers and the runtime path flow through" t_daemon_options_flow_through
run_test "the metrics Service, PDB and Namespace are optional" t_optional_objects
run_test "bad values are refused with a message naming the value" t_bad_values_refused
run_test "hack/helm-adopt.sh refuses bad names" t_adopt_refuses_bad_arguments
if ((cluster)); then
	# Whatever stops the run, the cluster gets kustomize's install back.
	trap 'cleanup; rm -rf "$tmp"' EXIT
	run_test "a StoppableContainer with a file runs under the kustomize install" t_kustomize_install_with_a_workload
	run_test "hack/helm-adopt.sh takes the kustomize install over in place" t_adopt
	run_test "both daemons' metrics through their Services; the controller's is the leader's" t_metrics_services
	run_test "helm upgrade rolls out; stop/start keeps the file" t_upgrade_keeps_files
	run_test "a second release installs beside it for another namespace and runs one" t_second_release_beside
	run_test "uninstalling the second release leaves the first as it was" t_uninstall_second_release
	run_test "helm uninstall leaves the CRDs, the StoppableContainers and their state" t_uninstall_leaves
	run_test "kustomize's install again: stop/start keeps the file; delete cleans up" t_kustomize_again
	run_test "the cluster is left with kustomize's install and without the test namespaces" t_restored
	trap 'rm -rf "$tmp"' EXIT
fi
finish
