#!/usr/bin/env bash
# The README's main command: on a fresh Debian 12 machine (as root) it brings
# up the project's local Kubernetes cluster (hack/cluster/), builds and
# deploys StoppableContainer (hack/deploy.sh), and runs the quick example: a
# container whose root filesystem survives stop and start.
#
#   hack/demo.sh            run it all; the cluster and the example stay up
#   hack/demo.sh --clean    also delete the example at the end
#
# Its output is its steps: the long ones (packages, builds, the cluster) print
# one progress line every 30 seconds and keep their full output in a log
# (shown when they fail); every command of the example is printed as you
# would type it, so it can be copied and run again.
set -euo pipefail
cd "$(dirname "$0")/.."
clean=0
case "${1:-}" in
"") ;;
--clean) clean=1 ;;
-h | --help)
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "demo.sh: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

t_start=$SECONDS
logs=${SC_DEMO_LOGS:-/var/log/sc-demo}
mkdir -p "$logs"
bold=$'\033[1m' dim=$'\033[2m' off=$'\033[0m'
if [[ ! -t 1 ]]; then bold='' dim='' off=''; fi

step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# long NAME COMMAND...: runs a long step with its output in $logs/NAME.log;
# prints a progress line (time so far, the log's last line) every 30 s, and
# on failure the log's last 30 lines.
long() {
	local log=$logs/$1.log t0=$SECONDS pid rc last
	shift
	printf '%s   (output in %s)%s\n' "$dim" "$log" "$off"
	"$@" >"$log" 2>&1 &
	pid=$!
	# a progress line each 30 s until the step ends (wait returns early
	# when it does: the timer is only the reporting interval)
	while ! timeout 30 tail --pid="$pid" -f /dev/null 2>/dev/null; do
		last=$(tail -n 1 "$log" | tr -d '\r' | cut -c1-90)
		printf '%s   ... %s so far%s%s\n' "$dim" "$(elapsed $((SECONDS - t0)))" \
			"${last:+: $last}" "$off"
	done
	rc=0
	wait "$pid" || rc=$?
	if ((rc != 0)); then
		echo "demo.sh: '$*' failed (exit $rc); the end of $log:" >&2
		tail -n 30 "$log" >&2
		exit "$rc"
	fi
	printf '   done in %s\n' "$(elapsed $((SECONDS - t0)))"
}

# run 'COMMAND': prints the command as you would type it, then runs it.
run() {
	printf '%s$ %s%s\n' "$bold" "$1" "$off"
	eval "$1"
}

# The kernel first, before a long build: the mount-helper needs Linux 5.10.
IFS=.- read -r kmajor kminor _ <<<"$(uname -r)"
if ((kmajor < 5 || (kmajor == 5 && kminor < 10))); then
	echo "demo.sh: this machine runs Linux $(uname -r); StoppableContainer's mount-helper needs Linux 5.10 or later (docs/installation.md#supported-platforms)" >&2
	exit 1
fi

step "1/8 installing build dependencies (Debian packages)"
long deps bash hack/deps.sh
step "2/8 building StoppableContainer"
[[ -d build ]] || long meson-setup meson setup build
long build ninja -C build
step "3/8 bringing up the local Kubernetes cluster (the first run builds Kubernetes: 10-30 min)"
long cluster hack/cluster/cluster.sh up
eval "$(hack/cluster/cluster.sh env)"
export PATH=$PWD/build/src/kubectl-sc:$PATH
step "4/8 building the images and deploying the operator"
long deploy hack/deploy.sh
run 'kubectl -n stoppablecontainer-system get pods'

cat <<EOF

To run the commands below yourself, in another shell from $PWD:
  eval "\$(hack/cluster/cluster.sh env)"; export PATH="\$PWD/build/src/kubectl-sc:\$PATH"
The example is the quick start's (docs/quickstart.md) with the cluster's
locally built sc-test/busybox:1 image instead of ubuntu:22.04: this cluster
has no registry.
EOF

step "5/8 creating my-app"
kubectl delete stc my-app --ignore-not-found --wait=true >/dev/null
run "kubectl apply -f - <<'YAML'
apiVersion: stoppablecontainer.xtlsoft.top/v1alpha1
kind: StoppableContainer
metadata:
  name: my-app
spec:
  running: true
  template:
    container:
      image: sc-test/busybox:1
      imagePullPolicy: IfNotPresent
      command: [\"/bin/sh\"]
      stdin: true
      tty: true
YAML"
run "kubectl wait --for=jsonpath='{.status.phase}'=Running stc/my-app --timeout=180s"

step "6/8 installing something into its root filesystem"
run "kubectl exec my-app -- sh -c 'echo \"installed at \$(date)\" > /usr/bin/mytool.txt'"
run "kubectl exec my-app -- sh -c 'printf \"#!/bin/sh\\necho mytool says: \\\"\\\$*\\\"\\n\" > /usr/bin/mytool && chmod 755 /usr/bin/mytool'"
run 'kubectl exec my-app -- mytool runs'

step "7/8 stopping (the workload stops; the root filesystem stays) and starting again"
run "kubectl patch stc my-app --type=merge -p '{\"spec\":{\"running\":false}}'"
run "kubectl wait --for=jsonpath='{.status.phase}'=Stopped stc/my-app --timeout=120s"
run 'kubectl get stc,pods'
run "kubectl patch stc my-app --type=merge -p '{\"spec\":{\"running\":true}}'"
run "kubectl wait --for=jsonpath='{.status.phase}'=Running stc/my-app --timeout=120s"
run 'kubectl exec my-app -- cat /usr/bin/mytool.txt'
run 'kubectl exec my-app -- mytool still runs'

step "8/8 the same with the kubectl plugin"
run 'kubectl sc stop my-app --wait'
run 'kubectl sc list'
run 'kubectl sc start my-app --wait'
run 'kubectl sc exec my-app -- mytool runs after kubectl sc start'
run 'kubectl sc status my-app'

if ((clean)); then
	step "deleting my-app"
	run 'kubectl delete stc my-app'
fi
printf '\nDone in %s. The cluster stays up; to use it from another shell:\n' "$(elapsed $((SECONDS - t_start)))"
printf '  eval "$(hack/cluster/cluster.sh env)"; kubectl get stoppablecontainers\n'
printf 'Tear it down with: hack/cluster/cluster.sh down\n'
