#!/usr/bin/env bash
# Builds containerd 2.x (containerd, containerd-shim-runc-v2, ctr) from the Go
# module in hack/cluster/containerd2 and caches the binaries outside the
# repository, keyed by a hash of its go.mod + go.sum, the build tags and flags
# and the Go version. A cached key is never rebuilt. Prints the bin directory
# on stdout; progress goes to stderr. Follows hack/cluster/build-k8s.sh.
#
# Usage: hack/cluster/build-containerd2.sh [--print-dir]
#   --print-dir  print the bin directory the current key maps to, build nothing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
moddir=$here/containerd2

# Must match the version go.mod requires (checked below).
CONTAINERD_VERSION=v2.2.9
CONTAINERD_REVISION=unknown # not known from the module; informational only
PKG=github.com/containerd/containerd/v2
BINARIES=(containerd ctr)
SHIM=containerd-shim-runc-v2

# As containerd's Makefile: urfave_cli_no_docs always, and the shim with
# no_grpc added (it only speaks ttrpc). btrfs needs cgo and is left out by
# CGO_ENABLED=0 anyway; devmapper and zfs are not used here. overlayfs,
# native, erofs, blockfile, the CRI plugins and NRI stay in.
TAGS="urfave_cli_no_docs no_btrfs no_devmapper no_zfs"
SHIM_TAGS="$TAGS no_grpc"
ldflags="-s -w -X $PKG/version.Version=$CONTAINERD_VERSION"
ldflags+=" -X $PKG/version.Revision=$CONTAINERD_REVISION -X $PKG/version.Package=$PKG"
export CGO_ENABLED=0
# See build-k8s.sh: set SC_GOSUMDB_OFF=1 where the checksum database is not
# reachable; go.sum still pins every module.
if [[ ${SC_GOSUMDB_OFF:-0} == 1 ]]; then
	export GOSUMDB=off GOFLAGS="${GOFLAGS:-} -mod=mod"
fi

gover=$(go env GOVERSION)
key=$( { cat "$moddir/go.mod" "$moddir/go.sum"
	printf '%s\n' "$gover" "$TAGS" "$SHIM_TAGS" "$ldflags" "CGO_ENABLED=$CGO_ENABLED" "${BINARIES[*]}" "$SHIM"
} | sha256sum | cut -c1-16)
cache=${SC_CACHE_DIR:-$HOME/.cache/stoppablecontainer}
bindir=$cache/containerd2/$key/bin

if [[ ${1:-} == --print-dir ]]; then
	echo "$bindir"
	exit 0
fi

have_all() {
	local b
	for b in "${BINARIES[@]}" "$SHIM"; do [[ -x $bindir/$b ]] || return 1; done
}

if have_all; then
	echo "containerd2 binaries: cached in $bindir" >&2
	echo "$bindir"
	exit 0
fi

command -v go >/dev/null || { echo "build-containerd2: 'go' not found in PATH (need Go >= 1.25)" >&2; exit 1; }
grep -q "^	$PKG $CONTAINERD_VERSION " "$moddir/go.mod" || {
	echo "build-containerd2: $moddir/go.mod does not require $PKG $CONTAINERD_VERSION" >&2
	exit 1
}

tmp=$cache/containerd2/$key/bin.tmp.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$moddir"
pkgs=()
for b in "${BINARIES[@]}"; do pkgs+=("$PKG/cmd/$b"); done
t0=$(date +%s)
echo "build-containerd2: downloading modules ($gover, key $key)..." >&2
go list -deps -tags "$TAGS" "${pkgs[@]}" >/dev/null
go list -deps -tags "$SHIM_TAGS" "$PKG/cmd/$SHIM" >/dev/null
t1=$(date +%s)
echo "build-containerd2: modules ready in $((t1 - t0))s; building ${BINARIES[*]}..." >&2
go build -trimpath -tags "$TAGS" -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}"
t2=$(date +%s)
echo "build-containerd2: built in $((t2 - t1))s; building $SHIM..." >&2
go build -trimpath -tags "$SHIM_TAGS" -ldflags "$ldflags" -o "$tmp/" "$PKG/cmd/$SHIM"
t3=$(date +%s)
echo "build-containerd2: $SHIM built in $((t3 - t2))s" >&2
"$tmp/containerd" --version >&2
mkdir -p "$(dirname "$bindir")"
rm -rf "$bindir"
mv "$tmp" "$bindir"
trap - EXIT
echo "$bindir"
