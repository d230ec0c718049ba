#!/usr/bin/env bash
# Builds StoppableContainer's images, imports them into the local cluster
# (hack/cluster/), applies config/local and waits until the controller and the
# mount-helper are ready. Safe to run again: it rolls out what changed.
#
#   hack/deploy.sh            build, import, apply, wait
#   hack/deploy.sh --delete   remove the operator (StoppableContainers first)
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(hack/cluster/cluster.sh env)"
ns=stoppablecontainer-system

if [[ ${1:-} == --delete ]]; then
	# StoppableContainers first, while the controller and the mount-helper
	# still run to release their finalizers.
	kubectl delete stoppablecontainers.stoppablecontainer.xtlsoft.top -A --all --wait=true --timeout=180s 2>/dev/null || true
	kubectl delete -k config/local --ignore-not-found --wait=true --timeout=180s
	exit 0
elif [[ $# -gt 0 ]]; then
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
	[[ $1 == -h || $1 == --help ]] && exit 0
	exit 2
fi

hack/images.sh --import
kubectl apply -k config/local >/dev/null
# New images under an unchanged tag: restart so the pods run what was built.
kubectl -n "$ns" rollout restart deployment/sc-controller daemonset/sc-mount-helper >/dev/null
kubectl -n "$ns" rollout status deployment/sc-controller --timeout=180s
kubectl -n "$ns" rollout status daemonset/sc-mount-helper --timeout=180s
echo "deployed: $(kubectl -n "$ns" get pods -o name | tr '\n' ' ')"
