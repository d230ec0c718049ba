#!/usr/bin/env bash
# The README's main command: on a fresh Debian 12 machine (as root) it brings
# up the project's local Kubernetes cluster (hack/cluster/), builds and
# deploys StoppableContainer (hack/deploy.sh), and runs the seed's quick
# example: a container whose root filesystem survives stop and start.
#
#   hack/demo.sh            run it all; the cluster and the example stay up
#   hack/demo.sh --clean    also delete the example at the end
set -euo pipefail
cd "$(dirname "$0")/.."
clean=0
case "${1:-}" in
"") ;;
--clean) clean=1 ;;
-h | --help)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "demo.sh: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}

# The kernel first, before a long build: the mount-helper needs Linux 5.10.
IFS=.- read -r kmajor kminor _ <<<"$(uname -r)"
if ((kmajor < 5 || (kmajor == 5 && kminor < 10))); then
	echo "demo.sh: this machine runs Linux $(uname -r); StoppableContainer's mount-helper needs Linux 5.10 or later (docs/installation.md#supported-platforms)" >&2
	exit 1
fi

step "installing build dependencies"
bash hack/deps.sh
step "building"
[[ -d build ]] || meson setup build >/dev/null
ninja -C build >/dev/null
step "bringing up the local cluster (the first run builds Kubernetes: 10-30 min)"
hack/cluster/cluster.sh up
eval "$(hack/cluster/cluster.sh env)"
export PATH=$PWD/build/src/kubectl-sc:$PATH
step "deploying StoppableContainer"
hack/deploy.sh

# The seed's example uses ubuntu:22.04; this machine has no registry, so the
# demo uses the cluster's locally built busybox image.
image=sc-test/busybox:1
ns=default
S=stoppablecontainers.stoppablecontainer.xtlsoft.top

step "creating my-app (the seed's quick example)"
kubectl -n $ns delete $S my-app --ignore-not-found --wait=true >/dev/null
run kubectl -n $ns apply -f - <<YAML
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata:
  name: my-app
spec:
  running: true
  template:
    container:
      image: $image
      imagePullPolicy: IfNotPresent
      command: ["/bin/sh"]
      stdin: true
      tty: true
YAML
run kubectl -n $ns wait --for=jsonpath='{.status.phase}'=Running $S/my-app --timeout=180s

step "installing something into the root filesystem"
run kubectl -n $ns exec my-app -- sh -c 'echo "installed at $(date)" > /usr/bin/mytool.txt; printf "#!/bin/sh\necho mytool says: \"\$*\"\n" > /usr/bin/mytool; chmod 755 /usr/bin/mytool'
run kubectl -n $ns exec my-app -- mytool runs

step "stopping (the workload stops; the rootfs stays)"
run kubectl -n $ns patch $S my-app --type=merge -p '{"spec":{"running":false}}'
run kubectl -n $ns wait --for=jsonpath='{.status.phase}'=Stopped $S/my-app --timeout=120s
run kubectl -n $ns get $S,pods

step "starting again: everything is still there"
run kubectl -n $ns patch $S my-app --type=merge -p '{"spec":{"running":true}}'
run kubectl -n $ns wait --for=jsonpath='{.status.phase}'=Running $S/my-app --timeout=120s
run kubectl -n $ns exec my-app -- cat /usr/bin/mytool.txt
run kubectl -n $ns exec my-app -- mytool still runs

step "the same with the kubectl plugin"
run kubectl sc stop my-app --wait
run kubectl sc list
run kubectl sc start my-app --wait
run kubectl sc exec my-app -- mytool runs after kubectl sc start
run kubectl sc status my-app

if ((clean)); then
	step "deleting my-app"
	run kubectl -n $ns delete $S my-app --wait=true
fi
printf '\nDone. The cluster stays up: eval "$(hack/cluster/cluster.sh env)"; kubectl get stoppablecontainers\n'
printf 'Tear it down with: hack/cluster/cluster.sh down\n'
