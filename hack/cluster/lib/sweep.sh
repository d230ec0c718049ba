# shellcheck shell=bash
# What 'down' and 'crash' sweep: mounts, containers, shims, iptables chains
# and the runtime's leftovers.
# Sourced by hack/cluster/cluster.sh, which defines the variables and the
# helpers (log, die, ...) these functions use; it only defines functions.

# ------------------------------------------------------------------- down ---

# Mount points at or below the given directories, deepest first. An argument
# ending in '-' is a plain name prefix (/run/netns/cni-).
mounts_under() {
	local d
	for d in "$@"; do
		# mountinfo escapes blanks as octal; field 5 is the mount point.
		awk -v d="$d" '{ mp = $5; gsub(/\\040/, " ", mp)
			if (d ~ /-$/) { if (index(mp, d) == 1) print mp }
			else if (mp == d || index(mp, d "/") == 1) print mp }' /proc/self/mountinfo
	done | sort -ru
}

unmount_under() {
	local mp n=0
	while read -r mp; do
		[[ -n $mp ]] || continue
		umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || log "WARNING: could not unmount $mp"
		n=$((n + 1))
		SWEPT=$((SWEPT + 1))
	done < <(mounts_under "$@")
	((n == 0)) || log "unmounted $n mount(s)"
}

# Removes the chains whose names start with one of the given prefixes (and the
# rules that jump to them) from a table, in one iptables-restore.
purge_chains() {
	local cmd=$1 table=$2 dump
	shift 2
	local re
	re=$(printf '%s|' "$@")
	re="(${re%|})"
	dump=$("$cmd-save" -t "$table" 2>/dev/null) || return 0
	grep -qE "^:$re|-j $re" <<<"$dump" || return 0
	grep -vE "^:$re|^-A $re|-j $re" <<<"$dump" | "$cmd-restore" -T "$table" 2>/dev/null \
		|| log "WARNING: could not remove the ${*} chains from $cmd table $table"
}

# Sandboxes and containers that outlived the kubelet: stop and remove them
# through the CRI (tears down their network and mounts), then anything left
# in any containerd namespace (someone's 'ctr run' too: containerd stops next).
remove_runtime_leftovers() {
	local crictl=${BIN_DIR:+$BIN_DIR/crictl} ids id ns
	[[ -n $crictl && -x $crictl ]] || crictl=""
	health_containerd || return 0
	if [[ -n $crictl ]]; then
		ids=$(crictl_cmd pods -q 2>/dev/null || true)
		if [[ -n $ids ]]; then
			log "removing $(wc -w <<<"$ids") pod sandbox(es) left in containerd"
			# shellcheck disable=SC2086
			crictl_cmd --timeout 60s rmp -f $ids >/dev/null 2>&1 || true
		fi
	fi
	for ns in $(ctr --address "$CONTAINERD_SOCK" namespaces ls -q 2>/dev/null); do
		for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
			ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
			ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
			ctr --address "$CONTAINERD_SOCK" -n "$ns" containers delete "$id" >/dev/null 2>&1 || true
		done
	done
}

# Containers that outlived containerd (a killed run): runc kills all
# processes in their cgroup. Then the shims, which outlive containerd too; then
# every mount of the runtime and the kubelet, containerd's state under /run
# and the CNI bridge.
sweep_runtime() {
	local id rroot pid
	for rroot in "$CONTAINERD_STATE"/runc/*; do
		[[ -d $rroot ]] || continue
		for id in $(runc --root "$rroot" list -q 2>/dev/null); do
			if runc --root "$rroot" delete --force "$id" >/dev/null 2>&1; then
				log "force-deleted leftover container $id (${rroot##*/})"
				SWEPT=$((SWEPT + 1))
			fi
		done
	done
	for pid in $(scan_shims); do
		kill -KILL "$pid" 2>/dev/null || true
		log "killed leftover containerd shim $pid"
		SWEPT=$((SWEPT + 1))
	done
	unmount_under "$KUBELET_DIR" "$CONTAINERD_STATE" "$CONTAINERD_ROOT" "$STATE_DIR" /run/netns/cni-
	rm -f /run/netns/cni-* 2>/dev/null || true
	# containerd's state dir (sockets, fifos, empty bundle dirs), now unused.
	if ! running_pid containerd >/dev/null && [[ -z $(mounts_under "$CONTAINERD_STATE") ]]; then
		rm -rf "$CONTAINERD_STATE"
	fi
	if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
		ip link delete "$CNI_BRIDGE" && log "deleted bridge $CNI_BRIDGE"
		SWEPT=$((SWEPT + 1))
	fi
}

# containerd-shim processes that belong to our containerd (by its socket).
scan_shims() {
	local p argv
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		argv=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		[[ $argv == *containerd-shim* && $argv == *"$CONTAINERD_SOCK"* ]] && echo "$p"
	done
	return 0
}
