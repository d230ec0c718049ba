#!/usr/bin/env bash
# Builds StoppableContainer's images as docker-archives without a Docker
# engine, and optionally imports them into the local cluster.
#
#   hack/images.sh [--import] [IMAGE...]     IMAGE: sc-exec sc-controller sc-mount-helper
#
# Archives go to _out/images/<image>.tar; sizes are printed. The binaries come
# from build-lean/, a release build with -Dstatic_daemons=true over the static
# libcurl (mbedTLS) and libmicrohttpd of hack/build-lean-deps.sh (cached): each
# image is its static binaries and nothing else. The Dockerfiles under images/
# build the same images with Docker.
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
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
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

b=build-lean
lean_build $b src/exec/sc-exec src/pause/sc-pause src/controller/sc-controller \
	src/mount-helper/sc-mount-helper src/nri/sc-rootfs-hook || {
	echo "images.sh: the images' static build failed (above)" >&2
	exit 1
}
mkdir -p "$out"

need() {
	[[ -x $1 ]] || {
		echo "images.sh: $1 was not built" >&2
		exit 1
	}
}

need_static() {
	need "$1"
	if readelf -l "$1" | grep -q 'INTERP'; then
		echo "images.sh: $1 is dynamically linked; the images take static binaries only" >&2
		exit 1
	fi
}

tree_sc_exec() {
	need_static $b/src/exec/sc-exec
	need_static $b/src/pause/sc-pause
	install -D -m 0755 $b/src/exec/sc-exec "$1/sc-exec"
	install -D -m 0755 $b/src/pause/sc-pause "$1/sc-pause"
	strip "$1/sc-exec" "$1/sc-pause"
	config='{"Entrypoint":["/sc-exec"]}'
}

tree_daemon() { # TREE BINARY USER
	need_static "$2"
	install -D -m 0755 "$2" "$1/$(basename "$2")"
	strip "$1/$(basename "$2")"
	mkdir -p "$1/etc" "$1/tmp"
	chmod 1777 "$1/tmp"
	printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$1/etc/group"
	# glibc's static resolver: /etc/hosts, then DNS (the kubelet's
	# /etc/resolv.conf); no NSS module is loaded.
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$1/etc/nsswitch.conf"
	config=$(jq -cn --arg e "/$(basename "$2")" --arg u "$3" '{Entrypoint: [$e], User: $u}')
}

for img in "${images[@]}"; do
	tree=$(mktemp -d)
	case $img in
	sc-exec) tree_sc_exec "$tree" ;;
	sc-controller) tree_daemon "$tree" $b/src/controller/sc-controller 65532:65532 ;;
	sc-mount-helper)
		tree_daemon "$tree" $b/src/mount-helper/sc-mount-helper 0:0
		# the runtime path's OCI hook, static; the agent installs it on the host
		need_static $b/src/nri/sc-rootfs-hook
		install -m 0755 $b/src/nri/sc-rootfs-hook "$tree/sc-rootfs-hook"
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
