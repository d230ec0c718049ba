#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v3/cmd/helm) from the Go module in hack/helm and
# caches it outside the repository, keyed by a hash of hack/helm/go.mod +
# go.sum, the build flags and the Go version. A cached key is never rebuilt.
# Prints the binary's path on stdout; progress goes to stderr.
#
# Usage: hack/build-helm.sh [--print-path]
#   --print-path  print the path the current key maps to, build nothing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
moddir=$here/helm
PKG=helm.sh/helm/v3/cmd/helm

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
elif [[ $# -gt 0 && $1 != --print-path ]]; then
	echo "build-helm: unknown argument '$1' (try --help)" >&2
	exit 2
fi

# The versions go.mod pins; helm's own Makefile stamps the same -X variables
# (the version `helm version` prints, and the Kubernetes minor its lint and
# `helm template` assume when no cluster is asked).
helm_version=$(awk '$1 == "helm.sh/helm/v3" { print $2; exit }' "$moddir/go.mod")
k8s_minor=$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2]; exit }' "$moddir/go.mod")
if [[ -z $helm_version || -z $k8s_minor ]]; then
	echo "build-helm: cannot read the helm or client-go version from $moddir/go.mod" >&2
	exit 1
fi
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
	ldflags+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$k8s_minor"
done
export CGO_ENABLED=0
# As in hack/cluster/build-k8s.sh: SC_GOSUMDB_OFF=1 where the checksum
# database is unreachable (go.sum still pins every module).
if [[ ${SC_GOSUMDB_OFF:-0} == 1 ]]; then
	export GOSUMDB=off GOFLAGS="${GOFLAGS:-} -mod=mod"
fi

command -v go >/dev/null || { echo "build-helm: 'go' not found in PATH (need Go >= 1.24)" >&2; exit 1; }
gover=$(go env GOVERSION)
key=$( { cat "$moddir/go.mod" "$moddir/go.sum"
	printf '%s\n' "$gover" "$ldflags" "CGO_ENABLED=$CGO_ENABLED" "$PKG"
} | sha256sum | cut -c1-16)
cache=${SC_CACHE_DIR:-$HOME/.cache/stoppablecontainer}
bin=$cache/helm/$key/helm

if [[ ${1:-} == --print-path ]]; then
	echo "$bin"
	exit 0
fi

if [[ -x $bin ]]; then
	echo "helm: cached in $bin" >&2
	echo "$bin"
	exit 0
fi

tmp=$cache/helm/$key.tmp.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$moddir"
t0=$(date +%s)
echo "build-helm: downloading modules (helm $helm_version, $gover, key $key)..." >&2
go list -deps "$PKG" >/dev/null
t1=$(date +%s)
echo "build-helm: modules ready in $((t1 - t0))s; building helm..." >&2
go build -trimpath -ldflags "$ldflags" -o "$tmp/helm" "$PKG"
t2=$(date +%s)
echo "build-helm: built in $((t2 - t1))s" >&2
"$tmp/helm" version --short >&2
rm -rf "$cache/helm/$key"
mv "$tmp" "$cache/helm/$key"
trap - EXIT
echo "$bin"
