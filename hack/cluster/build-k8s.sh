#!/usr/bin/env bash
# Builds the Kubernetes binaries of the local test cluster from the Go module in
# hack/cluster/k8s (k8s.io/kubernetes, staging modules replaced by their
# published versions) and etcd 3.6 (go.etcd.io/etcd/server/v3, in the same
# module and the same go build), plus crictl from hack/cluster/crictl, and caches them
# outside the repository, keyed by a hash of both go.mod + go.sum, the build
# flags and the Go version. A cached key is never rebuilt. Prints the bin
# directory on stdout; progress goes to stderr.
#
# Usage: hack/cluster/build-k8s.sh [--print-dir]
#   --print-dir  print the bin directory the current key maps to, build nothing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
moddir=$here/k8s
crimoddir=$here/crictl
CRICTL_VERSION=v1.34.0

K8S_VERSION=v1.34.4
K8S_COMMIT=unknown         # not known from the module; informational only
BUILD_DATE=1970-01-01T00:00:00Z   # fixed, so the binaries are reproducible
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
PKGS=()
for b in "${BINARIES[@]}"; do PKGS+=("k8s.io/kubernetes/cmd/$b"); done
# Debian's etcd 3.4.23 lacks what kube-apiserver 1.34 needs for watch-list
# streams and fresh watch-cache reads (RequestWatchProgress, etcd >= 3.4.31):
# build the etcd that Kubernetes 1.34 is tested with. go build names it
# "server" (the element before /v3); it is renamed to etcd.
ETCD_VERSION=v3.6.4
ETCD_PKG=go.etcd.io/etcd/server/v3

ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=34"
	ldflags+=" -X $p.gitTreeState=clean -X $p.gitCommit=$K8S_COMMIT -X $p.buildDate=$BUILD_DATE"
done
ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION"
ldflags="-s -w$ldflags"
TAGS=grpcnotrace
crildflags="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
export CGO_ENABLED=0
# The checksum database is used when reachable (it was, on the machines this
# was written on); set SC_GOSUMDB_OFF=1 where it is not: go.sum still pins
# every module.
if [[ ${SC_GOSUMDB_OFF:-0} == 1 ]]; then
	export GOSUMDB=off GOFLAGS="${GOFLAGS:-} -mod=mod"
fi

gover=$(go env GOVERSION)
key=$( { cat "$moddir/go.mod" "$moddir/go.sum" "$crimoddir/go.mod" "$crimoddir/go.sum"
	printf '%s\n' "$gover" "$TAGS" "$ldflags" "$crildflags" "CGO_ENABLED=$CGO_ENABLED" "${BINARIES[*]}" "$ETCD_PKG"
} | sha256sum | cut -c1-16)
cache=${SC_CACHE_DIR:-$HOME/.cache/stoppablecontainer}
bindir=$cache/k8s/$key/bin

if [[ ${1:-} == --print-dir ]]; then
	echo "$bindir"
	exit 0
fi

have_all() {
	local b
	for b in "${BINARIES[@]}" etcd crictl; do [[ -x $bindir/$b ]] || return 1; done
}

if have_all; then
	echo "k8s binaries: cached in $bindir" >&2
	echo "$bindir"
	exit 0
fi

command -v go >/dev/null || { echo "build-k8s: 'go' not found in PATH (need Go >= 1.24)" >&2; exit 1; }

tmp=$cache/k8s/$key/bin.tmp.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$moddir"
t0=$(date +%s)
echo "build-k8s: downloading modules ($gover, key $key)..." >&2
go list -deps -tags "$TAGS" "${PKGS[@]}" "$ETCD_PKG" >/dev/null
t1=$(date +%s)
echo "build-k8s: modules ready in $((t1 - t0))s; building ${BINARIES[*]} etcd..." >&2
go build -trimpath -tags "$TAGS" -ldflags "$ldflags" -o "$tmp/" "${PKGS[@]}" "$ETCD_PKG"
mv "$tmp/server" "$tmp/etcd"
t2=$(date +%s)
echo "build-k8s: built in $((t2 - t1))s; building crictl..." >&2
(cd "$crimoddir" && go build -trimpath -ldflags "$crildflags" -o "$tmp/" sigs.k8s.io/cri-tools/cmd/crictl)
t3=$(date +%s)
echo "build-k8s: crictl built in $((t3 - t2))s" >&2
"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version | head -n1 >&2
mkdir -p "$(dirname "$bindir")"
rm -rf "$bindir"
mv "$tmp" "$bindir"
trap - EXIT
echo "$bindir"
