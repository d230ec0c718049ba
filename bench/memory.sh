#!/usr/bin/env bash
# Memory of the operator under large StoppableContainers: the controller
# leader's and the mount-helper's resident memory (VmRSS) and peak (VmHWM)
# before, while COUNT StoppableContainers of ENVS environment variables each
# are held (running: false), and after they are deleted; and whether either
# restarted (an OOM kill shows as a restart).
#
#   bench/memory.sh [COUNT [ENVS]]   (default 10 5000: about 0.7 MB per spec;
#                                     20 10000 is about 1.4 MB per spec; needs
#                                     the cluster and the operator:
#                                     hack/cluster/cluster.sh up && hack/deploy.sh)
#
# Each variable is E<j>=<100 characters>, different in every object (equal
# templates would share memory, see sc_obj_pack). The objects are created one by one
# (one kubectl create each, as users would), then the script waits until all
# are Stopped, holds them BENCH_IDLE seconds (default 20) and deletes them.
#
# BENCH_PENDING=1: the provider pods ask for a node that does not exist, so
# they stay Pending and the count is not bounded by the node's pod limit
# (the controller still holds every object, instance and pod): the script
# waits until every provider pod exists instead of every object Stopped.
# Objects are then created 50 to a kubectl create.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-10} envs=${2:-5000}
IMAGE=sc-test/busybox:1
IDLE=${BENCH_IDLE:-20}
bench_namespace sc-memory
tmp=$(mktemp -d)
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

# restarts: the leader's and the mount-helper's restart counts (an OOM kill
# shows as a restart) and whether their processes are the ones measured.
restarts() {
	local p
	for p in "$leader" "$helper"; do
		printf '%s=%s ' "$p" "$(kubectl -n "$OPERATOR_NS" get pod "$p" -o jsonpath='{.status.containerStatuses[0].restartCount}')"
	done
	[[ -d /proc/$ctl_pid && -d /proc/$helper_pid ]] && echo "(same processes)" || echo "(a measured process is gone)"
}
sample() {
	printf '%-28s controller RSS %6.1f MiB (peak %6.1f), mount-helper RSS %6.1f MiB (peak %6.1f)\n' "$1" \
		"$(awk -v k="$(rss_kib "$ctl_pid")" 'BEGIN { print k / 1024 }')" "$(awk -v k="$(hwm_kib "$ctl_pid")" 'BEGIN { print k / 1024 }')" \
		"$(awk -v k="$(rss_kib "$helper_pid")" 'BEGIN { print k / 1024 }')" "$(awk -v k="$(hwm_kib "$helper_pid")" 'BEGIN { print k / 1024 }')"
}

operator_endpoints
ctl_pid=$(pid_of "$OPERATOR_NS" "$leader")
helper_pid=$(pid_of "$OPERATOR_NS" "$helper")
before=$(restarts)
print_context
echo "Memory: $count StoppableContainers of $envs env vars each; leader $leader (pid $ctl_pid), mount-helper $helper (pid $helper_pid)"
sample "before"

pending=${BENCH_PENDING:-0}
python3 - "$tmp" "$count" "$envs" "$IMAGE" "$pending" <<'PY'
import json, sys
d, count, envs, image, pending = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
for i in range(1, count + 1):
    # every object its own values: no two templates are the same text
    env = [{"name": f"E{j}", "value": ("%03d%06d" % (i, j)) * 10 + "a" * 10} for j in range(envs)]
    sc = {"apiVersion": "stoppablecontainer.xtlsoft.top/v1alpha1", "kind": "StoppableContainer",
          "metadata": {"name": f"m{i}"},
          "spec": {"running": False, "template": {"container": {
              "image": image, "imagePullPolicy": "Never", "command": ["sh", "-c", "sleep infinity"], "env": env}}}}
    if pending:
        sc["spec"]["provider"] = {"nodeSelector": {"stoppablecontainer.bench/node": "nowhere"}}
    # 50 objects to a file when pending (a List), else one each
    with open(f"{d}/m{(i - 1) // 50 + 1 if pending else i}.json", "a") as f:
        json.dump(sc, f, separators=(",", ":"))
        f.write("\n")
PY
echo "spec size: $(head -n1 "$tmp/m1.json" | wc -c) bytes each"
t0=$(ms)
for f in "$tmp"/m*.json; do k create -f "$f" >/dev/null; done
while :; do
	if ((pending)); then
		done_=$(k get pods -l stoppablecontainer.xtlsoft.top/role=provider -o name | wc -l)
	else
		done_=$(k get "$S" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Stopped$' || true)
	fi
	((done_ >= count)) && break
	if (($(ms) - t0 > 900000)); then echo "only $done_ of $count done after 15 min; restarts: $(restarts)" >&2; exit 1; fi
	sleep 2
done
((pending)) && what="with a (Pending) provider pod" || what="Stopped"
echo "all $count $what after $(($(ms) - t0)) ms"
sample "holding $count"
sleep "$IDLE"
sample "after ${IDLE} s idle"
t0=$(ms)
k delete "$S" --all --wait=true --timeout=600s >/dev/null
echo "all deleted after $(($(ms) - t0)) ms"
sample "after deleting them"
sleep "$IDLE"
sample "after ${IDLE} s more"
after=$(restarts)
echo "restarts before: $before"
echo "restarts after:  $after"
[[ $before == "$after" ]] || echo "A COMPONENT RESTARTED"
