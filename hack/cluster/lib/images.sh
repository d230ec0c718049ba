# shellcheck shell=bash disable=SC2154
# The images 'up' imports (the pause sandbox and busybox) and import-image.
# Sourced by hack/cluster/cluster.sh, which defines the variables and the
# helpers (log, die, ...) these functions use; it only defines functions.
# Lint it with cluster.sh: shellcheck -x hack/cluster/cluster.sh. On its own,
# $repo_root (cluster.sh's) looks unassigned.

# ------------------------------------------------------------------ images ---

# write_docker_archive comes from hack/lib/image.sh (sourced above).

build_pause_archive() {
	local out=$1 tree cc
	tree=$(mktemp -d)
	if command -v musl-gcc >/dev/null; then cc=musl-gcc; else cc=gcc; fi
	"$cc" -static -Os -s -o "$tree/sc-pause" "$repo_root/src/pause/sc-pause.c" \
		|| die "compiling src/pause/sc-pause.c with $cc failed"
	write_docker_archive "$PAUSE_IMAGE" "$tree" "$out" '{"Entrypoint":["/sc-pause"],"User":"65535:65535"}'
	rm -rf "$tree"
}

build_busybox_archive() {
	local out=$1 tree
	tree=$(mktemp -d)
	busybox_tree "$tree"
	printf 'nobody:x:65534:65534:nobody:/:/bin/false\n' >>"$tree/etc/passwd"
	printf 'nogroup:x:65534:\n' >>"$tree/etc/group"
	write_docker_archive "$BUSYBOX_IMAGE" "$tree" "$out" \
		'{"Cmd":["/bin/sh"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
	rm -rf "$tree"
}

crictl_cmd() {
	local cfg=$STATE_DIR/config/crictl.yaml
	[[ -f $cfg ]] || cfg=/dev/null
	"$BIN_DIR/crictl" --config "$cfg" --runtime-endpoint "unix://$CONTAINERD_SOCK" "$@"
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# Is an image with short name $1 (as in a pod spec) in containerd?
have_image() {
	ctr_k8s images ls -q 2>/dev/null | grep -qE "(^|/)${1//./\\.}\$"
}

# archive_transport FILE: skopeo's transport name for an OCI or docker archive.
archive_transport() {
	local members
	members=$(tar -tf "$1" 2>/dev/null) || die "import-image: $1 is not a tar archive"
	if grep -qxE '(\./)?oci-layout' <<<"$members"; then
		echo oci-archive
	elif grep -qxE '(\./)?manifest\.json' <<<"$members"; then
		echo docker-archive
	else
		die "import-image: $1 is neither an OCI archive (oci-layout) nor a docker archive (manifest.json)"
	fi
}

oci_index() { tar -xOf "$1" index.json 2>/dev/null || tar -xOf "$1" ./index.json 2>/dev/null || true; }

# import_image ARCHIVE [NAME]: prints the names it imported.
# With NAME, skopeo first rewrites the archive as a docker archive tagged NAME,
# so ctr names the image the way the kubelet spells it. (Tagging after the
# import is not enough: for an OCI archive holding only a tag, ctr invents
# "import-<date>:<tag>", and containerd 1.6's CRI then keeps a normalised
# copy of that name which it fails to resolve when starting containers.)
# The image names an archive carries: a docker-archive's RepoTags, an OCI
# archive's full image-name annotations (a bare tag is no name).
archive_names() {
	if [[ $(archive_transport "$1") == oci-archive ]]; then
		oci_index "$1" | jq -r '.manifests[].annotations // {}
			| (."io.containerd.image.name" // ."org.opencontainers.image.ref.name" // "")
			| select(contains("/"))'
	else
		tar -xOf "$1" manifest.json 2>/dev/null | jq -r '.[].RepoTags // [] | .[]'
	fi
}

import_image() {
	local archive=$1 name=${2:-} out imported=() names=() listed n full tmp=""
	[[ -f $archive ]] || die "import-image: no such file: $archive"
	health_containerd || die "import-image: containerd is not running (run 'up' first)"
	if [[ -n $name ]]; then
		tmp=$(mktemp -d)
		skopeo copy -q "$(archive_transport "$archive"):$archive" "docker-archive:$tmp/image.tar:$name" >&2 \
			|| { rm -rf "$tmp"; die "import-image: skopeo could not convert $archive to a docker archive named $name"; }
		archive=$tmp/image.tar
	fi
	# Checked before importing: a name ctr invents stays in the CRI's image
	# list until containerd restarts, even once removed.
	mapfile -t names < <(archive_names "$archive")
	if ((${#names[@]} == 0)); then
		[[ -z $tmp ]] || rm -rf "$tmp"
		die "import-image: $1 names no full image reference (only a tag, or none); give NAME:TAG"
	fi
	out=$(ctr_k8s images import "$archive" 2>&1) || { [[ -z $tmp ]] || rm -rf "$tmp"; die "ctr images import failed: $out"; }
	[[ -z $tmp ]] || rm -rf "$tmp"
	# The names as containerd lists them: 1.6 and 2.x both put the default
	# registry's domain in front of a short name; their progress output
	# differs, so the list is read back rather than parsed from it.
	listed=$(ctr_k8s images ls -q 2>/dev/null)
	for n in "${names[@]}"; do
		full=$(grep -E "(^|/)${n//./\\.}\$" <<<"$listed" | head -n1)
		[[ -n $full ]] || die "import-image: containerd lists no image $n after importing $1 (ctr said: $out)"
		imported+=("$full")
	done
	printf '%s\n' "${imported[@]}"
}

# Builds our two images and imports them when their archive changed or the
# image is missing from containerd.
ensure_images() {
	local dir=$STATE_DIR/images img archive sum
	mkdir -p "$dir"
	build_pause_archive "$dir/pause.tar"
	build_busybox_archive "$dir/busybox.tar"
	for img in pause:"$PAUSE_IMAGE" busybox:"$BUSYBOX_IMAGE"; do
		archive=$dir/${img%%:*}.tar
		sum=$(sha256sum "$archive" | cut -d' ' -f1)
		if [[ $(cat "$archive.imported" 2>/dev/null) == "$sum" ]] && have_image "${img#*:}"; then
			continue
		fi
		import_image "$archive" >/dev/null
		echo "$sum" >"$archive.imported"
		log "imported image ${img#*:}"
	done
}
