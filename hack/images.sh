#!/usr/bin/env bash
# Builds StoppableContainer's images as docker-archives without a Docker
# engine, and optionally imports them into the local cluster.
#
#   hack/images.sh [--import] [IMAGE...]     IMAGE: sc-exec sc-controller sc-mount-helper
#
# Archives go to _out/images/<image>.tar; sizes are printed. The binaries come
# from a release build in build-release/. The Dockerfiles under images/ build
# the same images with Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/image.sh

version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" meson.build | head -n1)
repo=stoppablecontainer
out=_out/images
import=0
images=()
for a in "$@"; do
	case "$a" in
	--import) import=1 ;;
	-h | --help)
		sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	sc-exec | sc-controller | sc-mount-helper) images+=("$a") ;;
	*)
		echo "images.sh: unknown argument '$a' (try --help)" >&2
		exit 2
		;;
	esac
done
((${#images[@]})) || images=(sc-exec sc-controller sc-mount-helper)

[[ -d build-release ]] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p "$out"

need() {
	[[ -x $1 ]] || {
		echo "images.sh: $1 was not built" >&2
		exit 1
	}
}

tree_sc_exec() {
	need build-release/src/exec/sc-exec
	need build-release/src/pause/sc-pause
	install -D -m 0755 build-release/src/exec/sc-exec "$1/sc-exec"
	install -D -m 0755 build-release/src/pause/sc-pause "$1/sc-pause"
	strip "$1/sc-exec" "$1/sc-pause"
	config='{"Entrypoint":["/sc-exec"]}'
}

tree_daemon() { # TREE BINARY USER
	need "$2"
	copy_with_libs "$2" "$1"
	strip "$1/$(basename "$2")"
	mkdir -p "$1/etc" "$1/tmp"
	chmod 1777 "$1/tmp"
	printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$1/etc/group"
	config=$(jq -cn --arg e "/$(basename "$2")" --arg u "$3" '{Entrypoint: [$e], User: $u}')
}

for img in "${images[@]}"; do
	tree=$(mktemp -d)
	case $img in
	sc-exec) tree_sc_exec "$tree" ;;
	sc-controller) tree_daemon "$tree" build-release/src/controller/sc-controller 65532:65532 ;;
	sc-mount-helper)
		tree_daemon "$tree" build-release/src/mount-helper/sc-mount-helper 0:0
		# the runtime path's OCI hook, static; the agent installs it on the host
		need build-release/src/nri/sc-rootfs-hook
		install -m 0755 build-release/src/nri/sc-rootfs-hook "$tree/sc-rootfs-hook"
		strip "$tree/sc-rootfs-hook"
		;;
	esac
	write_docker_archive "$repo/$img:$version" "$tree" "$out/$img.tar" "$config"
	rm -rf "$tree"
	printf '%-18s %s/%s:%s  %s\n' "$img" "$repo" "$img" "$version" "$(du -h "$out/$img.tar" | cut -f1)"
	if ((import)); then
		hack/cluster/cluster.sh import-image "$out/$img.tar" "$repo/$img:$version" >/dev/null
	fi
done
