# shellcheck shell=bash
# Image building without a Docker engine (sourced by hack/images.sh and
# hack/cluster/cluster.sh).

# busybox_tree TREE: the machine's busybox-static in TREE with a link for
# every applet, writable /tmp and /var/tmp, and root in /etc/passwd and
# /etc/group (callers append their own users).
busybox_tree() {
	local tree=$1 applet
	mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/tmp}
	chmod 1777 "$tree/tmp" "$tree/var/tmp"
	cp /bin/busybox "$tree/bin/busybox"
	while read -r applet; do
		[[ $applet == bin/busybox || -e $tree/$applet ]] && continue
		ln -s /bin/busybox "$tree/$applet"
	done < <("$tree/bin/busybox" --list-full)
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tree/etc/passwd"
	printf 'root:x:0:\n' >"$tree/etc/group"
}

# write_docker_archive NAME TREE OUT CONFIG-JSON
# Writes a one-layer docker-archive (the `docker save` format, which
# `ctr images import` and `docker load` both read) of directory TREE as image
# NAME to OUT, reproducibly: fixed mtimes, owners and order, so the same tree
# gives the same digest. CONFIG-JSON is the image config's "config" object
# (Entrypoint, Cmd, Env, User, WorkingDir).
write_docker_archive() {
	write_docker_archive_layers "$1" "$3" "$4" "$2"
}

# write_docker_archive_layers NAME OUT CONFIG-JSON TREE...
# The same with one layer per TREE, the first at the bottom: the image's "/"
# is the trees stacked in that order.
write_docker_archive_layers() {
	local name=$1 out=$2 cfg=$3 work tree layer_sha config config_sha
	local diff_ids=() layers=() dirs=()
	shift 3
	(($#)) || { echo "write_docker_archive_layers: no layer" >&2; return 1; }
	work=$(mktemp -d)
	for tree in "$@"; do
		# The tree is the image's "/": mktemp's 0700 would lock out non-root users.
		chmod 0755 "$tree"
		tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tree" -cf "$work/layer.tar" .
		layer_sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
		# Two equal trees are one blob, listed twice.
		if [[ -d $work/$layer_sha ]]; then
			rm "$work/layer.tar"
		else
			mkdir "$work/$layer_sha"
			mv "$work/layer.tar" "$work/$layer_sha/layer.tar"
			dirs+=("$layer_sha")
		fi
		diff_ids+=("sha256:$layer_sha")
		layers+=("$layer_sha/layer.tar")
	done
	config=$(jq -cn --argjson cfg "$cfg" \
		'{architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z", config: $cfg,
		  rootfs: {type: "layers", diff_ids: $ARGS.positional},
		  history: [$ARGS.positional[] | {created: "1970-01-01T00:00:00Z", created_by: "stoppablecontainer hack/lib/image.sh"}]}' \
		--args "${diff_ids[@]}")
	config_sha=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
	printf '%s' "$config" >"$work/$config_sha.json"
	jq -cn --arg c "$config_sha.json" --arg t "$name" \
		'[{Config: $c, RepoTags: [$t], Layers: $ARGS.positional}]' --args "${layers[@]}" >"$work/manifest.json"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out.tmp" \
		manifest.json "$config_sha.json" "${dirs[@]}"
	mv "$out.tmp" "$out"
	rm -rf "$work"
}

# lean_build DIR [TARGET...]: the images' static build in DIR
# (-Dstatic_daemons=true, release) over hack/build-lean-deps.sh's libraries
# (built and cached first), set up again when their prefix changed, then
# ninja TARGETs (all without one). Output only on failure; returns non-zero
# with a message saying which step failed.
lean_build() {
	local dir=$1 prefix log
	shift
	prefix=$(hack/build-lean-deps.sh) || {
		echo "lean_build: building the static libraries failed (hack/build-lean-deps.sh)" >&2
		return 1
	}
	log=$(mktemp)
	# The prefix is part of the setup (PKG_CONFIG_PATH): a new one, a new setup.
	if [[ ! -f $dir/build.ninja || $(cat "$dir/.sc-lean-prefix" 2>/dev/null) != "$prefix" ]]; then
		rm -rf "$dir"
		if ! PKG_CONFIG_PATH=$prefix/lib/pkgconfig meson setup "$dir" --buildtype=release \
			-Dstatic_daemons=true >"$log" 2>&1; then
			cat "$log" >&2
			rm -f "$log"
			echo "lean_build: meson setup $dir failed" >&2
			return 1
		fi
		echo "$prefix" >"$dir/.sc-lean-prefix"
	fi
	if ! ninja -C "$dir" "$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "lean_build: ninja -C $dir $* failed" >&2
		return 1
	fi
	rm -f "$log"
}
