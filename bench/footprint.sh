#!/usr/bin/env bash
# Sizes of every component: binaries (the images' build, build-lean/, as built
# and stripped) and images (docker-archive and gzip-compressed, as a registry
# would store the layer), plus every file of the daemon images.
#
#   bench/footprint.sh              (no cluster needed; runs hack/images.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
hack/images.sh >/dev/null
# kubectl-sc is no image's; built in the same tree for its size.
ninja -C build-lean src/kubectl-sc/kubectl-sc >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD), $(cc --version | head -n1)"
printf '%-18s %12s %12s  %s\n' binary "as built" stripped linking
for b in build-lean/src/exec/sc-exec build-lean/src/pause/sc-pause \
	build-lean/src/controller/sc-controller build-lean/src/mount-helper/sc-mount-helper \
	build-lean/src/nri/sc-rootfs-hook build-lean/src/kubectl-sc/kubectl-sc; do
	strip -o "$tmp/s" "$b"
	if ldd "$b" >/dev/null 2>&1; then link="dynamic, $(ldd "$b" | grep -c '=>') shared libraries"; else link=static; fi
	printf '%-18s %12s %12s  %s\n' "$(basename "$b")" "$(kib "$(stat -c %s "$b")")" "$(kib "$(stat -c %s "$tmp/s")")" "$link"
done
echo
printf '%-18s %12s %12s %7s\n' image archive gzip files
for img in sc-exec sc-controller sc-mount-helper; do
	a=_out/images/$img.tar
	printf '%-18s %12s %12s %7s\n' "$img" "$(kib "$(stat -c %s "$a")")" "$(kib "$(gzip -c "$a" | wc -c)")" \
		"$(tar -xOf "$a" --wildcards '*/layer.tar' | tar -t | grep -vc '/$')"
done
echo
for img in sc-controller sc-mount-helper; do
	echo "files of the $img image (bytes):"
	mkdir "$tmp/$img"
	tar -xOf "_out/images/$img.tar" --wildcards '*/layer.tar' | tar -x -C "$tmp/$img"
	find "$tmp/$img" -type f -printf '%s %P\n' | sort -nr | awk '{printf "  %10d  %s\n", $1, $2}'
done
