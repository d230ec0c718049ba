#!/usr/bin/env bash
# Warm start with a small image against a large many-layer one, in one run.
#
#   bench/rootfs-size.sh [RUNS] [LAYERS] [MB_PER_LAYER]
#                                   (default 20 runs, 45 layers of 12 MB;
#                                    needs the cluster and operator:
#                                    hack/cluster/cluster.sh up && hack/deploy.sh)
#
# Images (built here without Docker, hack/lib/image.sh, and imported with
# hack/cluster/cluster.sh import-image; cached in _out/bench/):
#   sc-bench/small:1  busybox + one layer of 3 MB of random data  (~5 MB, 2 layers)
#   sc-bench/big:1    busybox + LAYERS layers of MB_PER_LAYER MB of random data
#                     (incompressible; 4 files a layer)
# Two StoppableContainers run `sh -c 'MARKER; exec sleep infinity'` (MARKER
# writes the time the command started, in microseconds, to /tmp/started) and
# are started alternately. For every warm start (spec.running false->true):
#   patch -> phase Running, as kubectl wait sees it;
#   patch -> command started (the marker);
#   container started -> command started: the consumer container's start
#     (crictl inspect .status.startedAt: containerd's time, in nanoseconds,
#     of starting the container's process, which is sc-exec) to the marker:
#     how long sc-exec waits for the rootfs to be stacked and enters it.
# Also the first start (create -> command started) of each, once.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/image.sh
source bench/lib.sh
runs=${1:-20}
nlayers=${2:-45}
mb=${3:-12}
out=_out/bench
mkdir -p "$out"

# random_layer DIR MB: a layer of 4 files of incompressible data.
random_layer() {
	local dir=$1 mb=$2 f
	mkdir -p "$dir/data"
	for f in 1 2 3 4; do
		head -c $((mb * 1048576 / 4)) /dev/urandom >"$dir/data/$(basename "$dir")-$f"
	done
}

# build_image NAME OUT NLAYERS MB: busybox (the cluster's own image's
# layer) below NLAYERS random layers.
build_image() {
	local name=$1 archive=$2 n=$3 mb=$4 work base layer i trees=()
	work=$(mktemp -d "$out/build.XXXXXX")
	base=$work/base
	mkdir -p "$base"
	layer=$(tar -xOf "$SC_STATE_DIR/images/busybox.tar" manifest.json | jq -r '.[0].Layers[0]')
	tar -xOf "$SC_STATE_DIR/images/busybox.tar" "$layer" | tar -x -C "$base"
	trees+=("$base")
	for i in $(seq -w 1 "$n"); do
		random_layer "$work/layer$i" "$mb"
		trees+=("$work/layer$i")
	done
	write_docker_archive_layers "$name" "$archive" '{"Cmd":["/bin/sh"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}' "${trees[@]}"
	rm -rf "$work"
}

declare -A IMAGES=([small]=sc-bench/small:1 [big]=sc-bench/big:1)
declare -A SPEC=([small]="1 3" [big]="$nlayers $mb")
for s in small big; do
	archive=$out/${s}-${SPEC[$s]// /x}.tar
	if [[ ! -f $archive ]]; then
		echo "building ${IMAGES[$s]} (${SPEC[$s]% *} random layers of ${SPEC[$s]#* } MB) -> $archive" >&2
		# shellcheck disable=SC2086 # SPEC holds two arguments
		build_image "${IMAGES[$s]}" "$archive" ${SPEC[$s]}
	fi
	t=$(ms)
	hack/cluster/cluster.sh import-image "$archive" >/dev/null
	echo "imported ${IMAGES[$s]}: $(($(stat -c %s "$archive") / 1048576)) MiB, $(($(tar -xOf "$archive" manifest.json | jq '.[0].Layers | length'))) layers, import $(($(ms) - t)) ms" >&2
done

bench_namespace sc-rootfs
CMD=$(jq -cn --arg m "$MARKER_SH" '["sh", "-c", ($m + "; exec sleep infinity")]')
declare -A first
for s in small big; do
	t0=$(now_us)
	k create -f - >/dev/null <<-EOT
	apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
	kind: StoppableContainer
	metadata: {name: $s}
	spec:
	  running: true
	  template:
	    container: {image: ${IMAGES[$s]}, imagePullPolicy: Never, command: $CMD}
	EOT
	wait_phase "$s" Running 300
	m=$(read_marker "$s" "$t0")
	first[$s]=$(((m - t0) / 1000))
done

declare -A running cmd entered
for i in $(seq 1 "$runs"); do
	for s in small big; do
		k patch "$S" "$s" --type=merge -p '{"spec":{"running":false}}' >/dev/null
		k wait --for=delete "pod/$s" --timeout=120s >/dev/null 2>&1 || true
		wait_phase "$s" Stopped
		t0=$(now_us)
		k patch "$S" "$s" --type=merge -p '{"spec":{"running":true}}' >/dev/null
		wait_phase "$s" Running
		running[$s]+=" $((($(now_us) - t0) / 1000))"
		m=$(read_marker "$s" "$t0")
		cmd[$s]+=" $(((m - t0) / 1000))"
		entered[$s]+=" $(((m - $(container_started_us "$s")) / 1000))"
	done
	echo "run $i: small${cmd[small]##* } ms, big${cmd[big]##* } ms" >&2
done

print_context
echo "Rootfs size, $runs warm starts each, alternating"
for s in small big; do
	echo "$s = ${IMAGES[$s]}: $(tar -xOf "$out/${s}-${SPEC[$s]// /x}.tar" manifest.json | jq '.[0].Layers | length') layers, $(($(stat -c %s "$out/${s}-${SPEC[$s]// /x}.tar") / 1048576)) MiB; first start (create -> command started) ${first[$s]} ms"
done
# shellcheck disable=SC2086
{
	stats "small: warm start patch -> phase Running" ms ${running[small]}
	stats "big:   warm start patch -> phase Running" ms ${running[big]}
	stats "small: warm start patch -> command started" ms ${cmd[small]}
	stats "big:   warm start patch -> command started" ms ${cmd[big]}
	stats "small: container started -> command started" ms ${entered[small]}
	stats "big:   container started -> command started" ms ${entered[big]}
	echo "ratio big / small, warm start to command started (medians): $(ratio "$(median ${cmd[big]})" "$(median ${cmd[small]})")"
	echo "ratio big / small, container started -> command started (medians): $(ratio "$(median ${entered[big]})" "$(median ${entered[small]})")"
}
