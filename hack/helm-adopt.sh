#!/usr/bin/env bash
# Moves an install made with `kubectl apply -k config/default` (or
# config/local, hack/deploy.sh) under a Helm release, in place: every
# StoppableContainer, its pods and its root filesystem stay as they are.
#
# It renders the chart with kustomizeNames=true (config/'s own names and pod
# selectors), marks each of those objects that exists for Helm (the label
# app.kubernetes.io/managed-by=Helm and the annotations
# meta.helm.sh/release-name and meta.helm.sh/release-namespace), then runs
# `helm upgrade --install`, which takes them over. The CRDs and the namespace
# are left alone: Helm never manages CRDs after their first install, and the
# namespace is not the chart's. Pods are not replaced (the pod templates are
# kustomize's).
#
# Usage: hack/helm-adopt.sh [--release NAME] [--namespace NS] [--dry-run]
#                           [-- HELM-ARGS...]
#   --release NAME   the release to create (default: stoppablecontainer)
#   --namespace NS   where the kustomize install is (default:
#                    stoppablecontainer-system)
#   --dry-run        print what would be marked and the helm command; change
#                    nothing
#   HELM-ARGS        more arguments for helm upgrade (e.g. -f
#                    charts/stoppablecontainer/values-local.yaml)
# helm is $HELM, else helm in PATH, else hack/build-helm.sh's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chart=$here/../charts/stoppablecontainer
release=stoppablecontainer
ns=stoppablecontainer-system
dry_run=0
while (($# > 0)); do
	case $1 in
	--release)
		release=${2:?helm-adopt: --release needs a value}
		shift 2
		;;
	--namespace | -n)
		ns=${2:?helm-adopt: --namespace needs a value}
		shift 2
		;;
	--dry-run)
		dry_run=1
		shift
		;;
	--)
		shift
		break
		;;
	-h | --help)
		sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "helm-adopt: unknown argument '$1' (try --help)" >&2
		exit 2
		;;
	esac
done
# Helm's own rule for release names; a namespace is a DNS label.
if ! [[ $release =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ && ${#release} -le 53 ]]; then
	echo "helm-adopt: --release '$release' is not a valid release name (lower-case letters, digits and '-', at most 53)" >&2
	exit 2
fi
if ! [[ $ns =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ && ${#ns} -le 63 ]]; then
	echo "helm-adopt: --namespace '$ns' is not a valid namespace name" >&2
	exit 2
fi

if [[ -z ${HELM:-} ]]; then
	HELM=$(command -v helm || "$here/build-helm.sh")
fi
command -v kubectl >/dev/null || { echo "helm-adopt: kubectl not found in PATH" >&2; exit 1; }

# The kustomize install must be there, and not already another release's.
if ! owner=$(kubectl -n "$ns" get deployment sc-controller \
	-o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}' 2>&1); then
	echo "helm-adopt: no kustomize install in namespace $ns (deployment sc-controller: $owner)" >&2
	exit 1
fi
if [[ -n $owner && $owner != "$release" ]]; then
	echo "helm-adopt: namespace $ns's operator already belongs to Helm release '$owner'" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$HELM" template "$release" "$chart" --namespace "$ns" --set kustomizeNames=true "$@" >"$tmp/objects.yaml"
kubectl get -f "$tmp/objects.yaml" -o name --ignore-not-found >"$tmp/existing"
helm_cmd=("$HELM" upgrade --install "$release" "$chart" --namespace "$ns" --set kustomizeNames=true --wait --timeout 5m "$@")
if ((dry_run)); then
	echo "would mark for release $release in $ns:"
	sed 's/^/  /' "$tmp/existing"
	echo "then run: ${helm_cmd[*]}"
	exit 0
fi
while read -r obj; do
	kubectl -n "$ns" label --overwrite "$obj" app.kubernetes.io/managed-by=Helm >/dev/null
	kubectl -n "$ns" annotate --overwrite "$obj" "meta.helm.sh/release-name=$release" \
		"meta.helm.sh/release-namespace=$ns" >/dev/null
	echo "marked $obj"
done <"$tmp/existing"
"${helm_cmd[@]}"
