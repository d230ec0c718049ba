#!/usr/bin/env bash
# Smoke test of the containerd 2.x that hack/cluster/build-containerd2.sh
# builds, next to (never with) the local cluster's containerd: its own config,
# root /var/lib/sc-ctd2-smoke, state and socket under /run/sc-ctd2-smoke,
# Debian's runc. It imports a 3-layer busybox image, runs a container with
# 'ctr run -d' on the overlayfs snapshotter and records what the mount-helper
# cares about: the container's root overlay in /proc/PID/mountinfo, its
# /proc/PID/cgroup and the snapshotter's directory layout. Then it checks the
# cluster's containerd 2.x config template (containerd2/config.toml.in): it
# renders it with smoke paths, 'config dump's it and starts containerd with it
# long enough to see the CRI plugins load. Everything it made is removed at
# the end (mounts, directories, cgroups, processes).
#
# containerd 2.x, like 1.x, puts shim sockets under /run/containerd/s whatever
# its 'state' (pkg/shim: socketRoot = defaults.DefaultStateDir), and the shim
# defaults runc's root to /run/containerd/runc. So that nothing touches the
# cluster's /run/containerd, the daemon runs in a private mount namespace
# where /run is an empty tmpfs and /run/containerd a bind of
# /run/sc-ctd2-smoke/run-containerd.
#
# Usage (root): hack/cluster/containerd2-smoke.sh [--save-testdata]
#   --save-testdata  also write test/unit/data/mountinfo/containerd2-VERSION-runc.mountinfo
#                    and ...-runc-deep-relative.mountinfo (the two containers'
#                    mountinfo, root path replaced by /var/lib/containerd)
# Results go to ${SC_CTD2_SMOKE_OUT:-_out/containerd2-smoke}/ (report.txt and raw files).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
NAME=sc-ctd2-smoke
ROOT=/var/lib/$NAME
STATE=/run/$NAME
SOCK=$STATE/containerd.sock
NS=$NAME # containerd namespace; the cgroup parent of its containers too
CID=$NAME-c1
IMAGE=sc-test/ctd2-smoke:1
# A deep image: enough layers for the overlay options to pass a page less 512
# bytes, where containerd's mount code switches to relative lowerdirs.
DEEP_CID=$NAME-deep
DEEP_LAYERS=60
DEEP_IMAGE=sc-test/ctd2-smoke-deep:1
SNAPDIR=$ROOT/io.containerd.snapshotter.v1.overlayfs
OUT=${SC_CTD2_SMOKE_OUT:-$repo_root/_out/containerd2-smoke}
TIMEOUT=${SC_TIMEOUT:-60}

log() { printf 'containerd2-smoke: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

wait_until() { # WHAT CMD...
	local what=$1 i
	shift
	for ((i = 0; i < TIMEOUT * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	die "timed out waiting for $what"
}

# render_config TEMPLATE OUT NAME=VALUE...: replaces each @NAME@.
render_config() {
	local tpl=$1 out=$2 kv args=()
	shift 2
	for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${args[@]}" "$tpl" >"$out"
	if grep -n '@[A-Z_]*@' "$out" >&2; then die "$out: placeholder(s) left"; fi
}

# ---- inside the private mount namespace ---------------------------------------

ctr_() { "$BIN/ctr" --address "$SOCK" --namespace "$NS" "$@"; }
ctd_up() { ctr_ version >/dev/null 2>&1; }

# Processes of ours: the shims serving $1 (a socket) and, for safety, anything
# in our cgroups. Prints PIDs.
our_pids() {
	local p argv
	for p in /proc/[0-9]*; do
		argv=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[[ $argv == *containerd-shim-runc-v2* && $argv == *"$1"* ]] && echo "${p#/proc/}"
	done
	cat /sys/fs/cgroup/*/"$NS"/*/cgroup.procs 2>/dev/null || true
}

stop_containerd() { # PID SOCKET
	local pid=$1 sock=$2 p left
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid"
	wait_until "containerd $pid to exit" bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" 2>/dev/null || true
	left=$(our_pids "$sock" | sort -u)
	for p in $left; do
		log "killing leftover process $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null))"
		kill -KILL "$p" 2>/dev/null || true
	done
}

mounts_under() { # DIR: mount points under DIR, deepest first
	awk -v d="$1/" '{ if (index($5 "/", d) == 1 && $5 != substr(d, 1, length(d) - 1)) print $5 }' \
		/proc/self/mountinfo | sort -r
}

task_in() { # ID STATUS
	"$BIN/ctr" --address "$SOCK" -n "$NS" task ls | grep -qE "^$1 +[0-9]+ +$2"
}

run_container() { # ID IMAGE-REF: starts it, prints its PID
	ctr_ run -d --snapshotter overlayfs "$2" "$1" >&2
	wait_until "task $1 running" task_in "$1" RUNNING
	ctr_ task ls | awk -v c="$1" '$1 == c { print $2 }'
}

remove_container() { # ID
	ctr_ task kill -s SIGKILL "$1"
	wait_until "task $1 to stop" task_in "$1" STOPPED
	ctr_ task delete "$1" >/dev/null
	ctr_ container delete "$1"
}

# The name 'ctr images import' gave image $1: 2.x puts the default registry's
# domain in front of a docker-archive's short name, and 'ctr run' wants it.
imported_as() {
	ctr_ images ls -q | awk -v n="$1" '$0 == n || substr($0, length($0) - length(n)) == "/" n' | head -n1
}

CTD_PID=""
inner_cleanup() {
	local rc=$? m n=0 c
	if [[ -n $CTD_PID ]] && kill -0 "$CTD_PID" 2>/dev/null; then
		for c in "$CID" "$DEEP_CID"; do
			ctr_ task kill -s SIGKILL "$c" 2>/dev/null || true
			sleep 0.5
			ctr_ task delete -f "$c" 2>/dev/null || true
			ctr_ container delete "$c" 2>/dev/null || true
		done
		stop_containerd "$CTD_PID" "$SOCK"
	fi
	# The rootfs and any snapshot mounts must be gone with a clean stop:
	# count what is left before unmounting it.
	for m in $(mounts_under "$ROOT") $(mounts_under "$STATE/containerd") $(mounts_under "$STATE/cri-state"); do
		log "left mounted by containerd: $m"
		umount -l "$m" || true
		n=$((n + 1))
	done
	echo "mounts left by containerd after stop: $n" >>"$OUT/report.txt"
	exit "$rc"
}

inner() {
	BIN=$1
	local ver pid shim root_line IMAGE_REF DEEP_REF
	# Hide the host's /run: an empty tmpfs, with our state dir moved back
	# in and /run/containerd bound to a dir of ours.
	mkdir -p "$ROOT/.hostrun"
	mount --bind "$STATE" "$ROOT/.hostrun"
	mount -t tmpfs -o mode=0755,size=16m "$NAME-run" /run
	mkdir -p "$STATE" /run/containerd
	mount --move "$ROOT/.hostrun" "$STATE"
	rmdir "$ROOT/.hostrun"
	mkdir -p "$STATE/run-containerd"
	mount --bind "$STATE/run-containerd" /run/containerd
	trap inner_cleanup EXIT

	export PATH=$BIN:$PATH # the 2.x shim, not Debian's 1.6 one
	"$BIN/containerd" config default >"$OUT/config-default.toml"
	cat >"$STATE/config.toml" <<EOF
version = 3
root = "$ROOT"
state = "$STATE/containerd"
# CRI off: ctr needs none of it (the template check below turns it on).
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime", "io.containerd.podsandbox.controller.v1.podsandbox"]

[grpc]
  address = "$SOCK"

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$ROOT/opt"
  [plugins.'io.containerd.nri.v1.nri']
    socket_path = "$STATE/nri.sock"
EOF
	"$BIN/containerd" --config "$STATE/config.toml" >"$OUT/containerd.log" 2>&1 &
	CTD_PID=$!
	wait_until "containerd on $SOCK" ctd_up

	{
		echo "== versions"
		"$BIN/containerd" --version
		ctr_ version
		runc --version
		echo "shim binary: $(command -v containerd-shim-runc-v2)"
		echo "== plugins (CRI disabled in this config)"
		ctr_ plugins ls
		echo "== NRI socket (socket_path = $STATE/nri.sock)"
		ls -l "$STATE/nri.sock" 2>&1 || true
	} >>"$OUT/report.txt"

	ctr_ images import --snapshotter overlayfs "$OUT/image.tar" >&2
	ctr_ images import --snapshotter overlayfs "$OUT/deep.tar" >&2
	IMAGE_REF=$(imported_as "$IMAGE")
	DEEP_REF=$(imported_as "$DEEP_IMAGE")
	[[ -n $IMAGE_REF && -n $DEEP_REF ]] || die "imported images not found: $(ctr_ images ls -q)"
	echo "== 'ctr images import' named $IMAGE: $IMAGE_REF" >>"$OUT/report.txt"
	pid=$(run_container "$CID" "$IMAGE_REF")
	shim=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
	cp "/proc/$pid/mountinfo" "$OUT/container.mountinfo"
	cp "/proc/$pid/cgroup" "$OUT/container.cgroup"
	root_line=$(awk '$5 == "/"' "/proc/$pid/mountinfo")
	{
		echo "== container $CID: pid $pid, parent $shim ($(readlink "/proc/$shim/exe"))"
		echo "mount ns: containerd $(readlink "/proc/$CTD_PID/ns/mnt") shim $(readlink "/proc/$shim/ns/mnt") container $(readlink "/proc/$pid/ns/mnt")"
		echo "== container root (/proc/$pid/mountinfo)"
		echo "$root_line"
		echo "== container cgroup (/proc/$pid/cgroup)"
		cat "/proc/$pid/cgroup"
		echo "== the rootfs as the shim sees it (/proc/$shim/mountinfo)"
		grep -F "$CID" "/proc/$shim/mountinfo" || echo "(none)"
		echo "== the same in containerd's mount namespace (/proc/$CTD_PID/mountinfo)"
		grep -F "$CID" "/proc/$CTD_PID/mountinfo" || echo "(none)"
		echo "== snapshots (ctr snapshots ls)"
		ctr_ snapshots --snapshotter overlayfs ls
		echo "== snapshot mounts of $CID (ctr snapshots mounts)"
		ctr_ snapshots --snapshotter overlayfs mounts /rootfs "$CID"
		echo "== snapshotter layout ($SNAPDIR, depth 3)"
		(cd "$SNAPDIR" && find . -maxdepth 3 | sort)
		echo "== runtime dirs (depth 4 under $STATE/containerd)"
		(cd "$STATE/containerd" && find . -maxdepth 4 | sort)
		echo "== /run/containerd in the smoke namespace (shim sockets, runc root)"
		(cd /run/containerd && find . -maxdepth 3 | sort)
		echo "== the container sees the 3 layers"
		ctr_ task exec --exec-id probe "$CID" /bin/sh -c 'cat /etc/ctd2-smoke; ls /bin | wc -l'
	} >>"$OUT/report.txt" 2>&1

	ver=$("$BIN/containerd" --version | awk '{ print $3 }')
	ver=${ver#v}
	echo "$ver" >"$OUT/version"

	pid=$(run_container "$DEEP_CID" "$DEEP_REF")
	cp "/proc/$pid/mountinfo" "$OUT/deep.mountinfo"
	root_line=$(awk '$5 == "/"' "/proc/$pid/mountinfo")
	{
		echo "== deep container $DEEP_CID ($DEEP_LAYERS layers): root (/proc/$pid/mountinfo)"
		echo "$root_line"
		echo "options length: $(awk '{ print length($NF) }' <<<"$root_line") bytes; page size $(getconf PAGESIZE)"
		echo "== its snapshot mounts (ctr snapshots mounts): options length"
		ctr_ snapshots --snapshotter overlayfs mounts /rootfs "$DEEP_CID" | awk '{ print length($NF) " bytes" }'
	} >>"$OUT/report.txt" 2>&1

	# Clean stop of the containers and the daemon; inner_cleanup counts leftovers.
	remove_container "$CID"
	remove_container "$DEEP_CID"
	ctr_ images rm --sync "$IMAGE_REF" "$DEEP_REF" >/dev/null
	{
		echo "== snapshots left after the image was removed"
		(cd "$SNAPDIR/snapshots" && find . -mindepth 1 -maxdepth 1 | sort)
	} >>"$OUT/report.txt"
	stop_containerd "$CTD_PID" "$SOCK"
	CTD_PID=""

	# The cluster's config template: rendered with smoke paths, dumped, and
	# started long enough to see the CRI plugins load.
	local cri_root=$ROOT/cri cri_state=$STATE/cri-state cri_sock=$STATE/cri.sock
	local vars=(CONTAINERD_ROOT="$cri_root" CONTAINERD_STATE="$cri_state" CONTAINERD_SOCK="$cri_sock"
		PAUSE_IMAGE=sc-test/pause:1 RESTRICT_OOM=false CNI_BIN_DIR=/usr/lib/cni
		CNI_CONF_DIR="$STATE/cni/net.d")
	mkdir -p "$STATE/cni/net.d"
	render_config "$here/containerd2/config.toml.in" "$STATE/cri-config.toml" "${vars[@]}"
	cp "$STATE/cri-config.toml" "$OUT/cri-config.toml"
	"$BIN/containerd" --config "$STATE/cri-config.toml" config dump >"$OUT/cri-config-dump.toml"
	# Does it say what cluster.sh's 1.6 config says? Take that config from
	# its heredoc (in lib/configs.sh), with the same values, let containerd 2.x migrate
	# it, and compare the two 'config dump's. ($VARS are literal here.)
	# shellcheck disable=SC2016
	sed -n '/cat >"$STATE_DIR\/config\/containerd.toml" <<EOF/,/^EOF$/p' "$here/lib/configs.sh" | sed '1d;$d' |
		sed 's/\$restrict_oom/$RESTRICT_OOM/g' |
		env "${vars[@]}" envsubst '$CONTAINERD_ROOT $CONTAINERD_STATE $CONTAINERD_SOCK $PAUSE_IMAGE $RESTRICT_OOM $CNI_BIN_DIR $CNI_CONF_DIR' \
			>"$OUT/cluster-1.6-config.toml"
	grep -q '^version = 2' "$OUT/cluster-1.6-config.toml" || die "no containerd.toml heredoc found in lib/configs.sh"
	"$BIN/containerd" --config "$OUT/cluster-1.6-config.toml" config migrate >"$STATE/migrated.toml"
	"$BIN/containerd" --config "$STATE/migrated.toml" config dump >"$OUT/cluster-1.6-migrated-dump.toml"
	{
		echo "== the template against containerd's migration of cluster.sh's 1.6 config (config dump, diff)"
		if diff -u "$OUT/cluster-1.6-migrated-dump.toml" "$OUT/cri-config-dump.toml"; then echo "identical"; fi
	} >>"$OUT/report.txt" 2>&1
	"$BIN/containerd" --config "$STATE/cri-config.toml" >"$OUT/containerd-cri.log" 2>&1 &
	CTD_PID=$!
	SOCK=$cri_sock
	wait_until "containerd on $cri_sock" ctd_up
	wait_until "the CRI plugin" bash -c "'$BIN/ctr' --address '$cri_sock' plugins ls | grep -qE '^io\.containerd\.grpc\.v1 +cri +.* ok *$'"
	{
		echo "== CRI plugins with the template (ctr plugins ls | grep cri)"
		ctr_ plugins ls | grep -E 'cri|nri|sandbox'
		echo "== NRI socket with the template's defaults"
		ls -l /var/run/nri/ 2>&1 || true
	} >>"$OUT/report.txt"
	stop_containerd "$CTD_PID" "$SOCK"
	CTD_PID=""
}

# ---- on the host ----------------------------------------------------------------

remove_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
		[[ -d $d && ! -L $d ]] || continue
		find "$d" -depth -type d -exec rmdir {} +
	done
}

leftovers() {
	local bad=0
	if grep -F "$NAME" /proc/self/mountinfo; then bad=1; fi
	if ls -d /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS" 2>/dev/null; then bad=1; fi
	if ls -d "$ROOT" "$STATE" 2>/dev/null; then bad=1; fi
	if [[ -n $(our_pids "$STATE/") ]]; then bad=1; fi
	return "$bad"
}

outer_cleanup() {
	local rc=$?
	rm -rf "$ROOT" "$STATE"
	remove_cgroups
	if leftovers >&2; then
		log "nothing left behind (mounts, cgroups, dirs, processes)"
	else
		log "error: leftovers above"
		rc=1
	fi
	exit "$rc"
}

main() {
	local save=0 bindir ver tree l trees
	case ${1:-} in
	--inner)
		shift
		inner "$@"
		return
		;;
	--save-testdata) save=1 ;;
	"") ;;
	*) die "unknown argument '$1' (try reading the header of $0)" ;;
	esac
	[[ $(id -u) == 0 ]] || die "must run as root"
	command -v envsubst >/dev/null || die "needs envsubst (apt-get install gettext-base)"
	command -v runc >/dev/null || { log "installing Debian's runc"; apt-get install -y runc >&2; }
	if [[ ! -x /bin/busybox ]] || ldd /bin/busybox >/dev/null 2>&1; then
		die "needs a static /bin/busybox (apt-get install busybox-static)"
	fi
	[[ ! -e $ROOT && ! -e $STATE ]] || die "$ROOT or $STATE exists: a previous run left it; remove it first"
	bindir=$("$here/build-containerd2.sh")

	rm -rf "$OUT"
	mkdir -p "$OUT" "$ROOT" "$STATE"
	trap outer_cleanup EXIT
	# shellcheck source=../lib/image.sh
	source "$repo_root/hack/lib/image.sh"
	tree=$(mktemp -d)
	mkdir -p "$tree"/{1,2,3}/bin "$tree/3/etc"
	cp /bin/busybox "$tree/1/bin/busybox"
	for l in sh sleep cat ls wc; do ln -s busybox "$tree/2/bin/$l"; done
	echo "layer 3 of $IMAGE" >"$tree/3/etc/ctd2-smoke"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$tree/3/etc/passwd"
	printf 'root:x:0:\n' >"$tree/3/etc/group"
	write_docker_archive_layers "$IMAGE" "$OUT/image.tar" '{"Cmd":["/bin/sleep","3600"]}' \
		"$tree/1" "$tree/2" "$tree/3"
	# The deep image: the same busybox, then one small layer each.
	for ((l = 4; l <= DEEP_LAYERS; l++)); do
		mkdir -p "$tree/$l/etc/deep"
		echo "$l" >"$tree/$l/etc/deep/$l"
	done
	trees=()
	for ((l = 1; l <= DEEP_LAYERS; l++)); do trees+=("$tree/$l"); done
	write_docker_archive_layers "$DEEP_IMAGE" "$OUT/deep.tar" '{"Cmd":["/bin/sleep","3600"]}' "${trees[@]}"
	rm -rf "$tree"

	unshare --mount --propagation private -- "$BASH" "${BASH_SOURCE[0]}" --inner "$bindir"

	if ((save)); then
		ver=$(cat "$OUT/version")
		sed "s|$ROOT|/var/lib/containerd|g" "$OUT/container.mountinfo" \
			>"$repo_root/test/unit/data/mountinfo/containerd2-$ver-runc.mountinfo"
		sed "s|$ROOT|/var/lib/containerd|g" "$OUT/deep.mountinfo" \
			>"$repo_root/test/unit/data/mountinfo/containerd2-$ver-runc-deep-relative.mountinfo"
		log "wrote test/unit/data/mountinfo/containerd2-$ver-runc{,-deep-relative}.mountinfo"
	fi
	log "report: $OUT/report.txt"
}

main "$@"
