#!/usr/bin/env bash
# The docs' commands, run as written: every ```sh block of README.md,
# docs/quickstart.md and docs/networking.md runs, in the page's order, on the
# project's local cluster with the operator deployed (test/e2e/run.sh deploys
# it; hack/test.sh runs this suite after it). A block the cluster cannot run
# carries, just above it in the markdown, a visible marker saying why:
#
#   <!-- docs-test: skip: REASON -->   not run, and not counted (neither a
#                                      pass nor a skip); listed with REASON
#   <!-- docs-test: expect: TEXT -->   the block's output must contain TEXT
#   <!-- docs-test: file NAME -->      the next block is saved as NAME (the
#                                      page tells the reader to save it)
#   <!-- docs-test: same-as PATH -->   the next block must equal file PATH
#                                      (comments aside)
#
# Every other block runs under `bash -e -o pipefail`: each command's exit
# status is checked, and the first failing command is named. The commands run
# from the repository's root (as the README's reader would) with the plugin on
# PATH (as the README says) and a kubeconfig whose current namespace is a
# fresh one, so they land there unchanged; the namespace goes at the end.
#
# Images: the cluster has no internet, so before the blocks run the suite
# imports local stand-ins under the names the docs use, unless those names
# are present already: ubuntu:22.04 is the machine's busybox-static
# (hack/lib/image.sh) with a /bin/bash that runs its sh and Ubuntu's PATH,
# busybox:1.36 is that busybox as is. It removes the stand-ins it imported at
# the end. Blocks that need Ubuntu's packages (apt) are marked skip.
#
# Needs root and the cluster up with the operator. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh
eval "$(hack/cluster/cluster.sh env)"
PAGES=(README.md docs/quickstart.md docs/networking.md)
ns=sc-docs-$$
work=$(mktemp -d)
blocks=$work/blocks
standins=()
saved=()
marked=()
SC=stoppablecontainers.stoppablecontainer.xtlsoft.top

on_failure() {
	echo "--- stoppablecontainers, pods and events in $ns"
	kubectl -n "$ns" get "$SC,pods" -o wide 2>&1
	kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>&1 | tail -n 10
}

cleanup() {
	local f
	for f in "${saved[@]}"; do rm -f "$f"; done
	rm -rf "$work"
}
trap cleanup EXIT

# extract: one directory per block under $blocks (NNN/): body, lang, where
# (PAGE:LINE), and the markers just above it (skip, expect lines, file,
# same-as). A marker not followed by a block is an error.
extract() {
	python3 - "$blocks" "${PAGES[@]}" <<'PY'
import os, re, sys
out, pages = sys.argv[1], sys.argv[2:]
marker = re.compile(r"^<!-- docs-test: (skip|expect|file|same-as):? (.+?) -->$")
n = 0
for page in pages:
    lines = open(page).read().split("\n")
    pending, i = [], 0
    while i < len(lines):
        line = lines[i]
        m = marker.match(line)
        if m:
            pending.append((m.group(1), m.group(2), i + 1))
        elif line.startswith("<!-- docs-test"):
            sys.exit(f"{page}:{i + 1}: malformed docs-test marker: {line}")
        elif line.startswith("```") and len(line) > 3:
            lang, start, body = line[3:].strip(), i + 1, []
            i += 1
            while i < len(lines) and lines[i] != "```":
                body.append(lines[i])
                i += 1
            n += 1
            d = os.path.join(out, "%03d" % n)
            os.makedirs(d)
            open(os.path.join(d, "body"), "w").write("\n".join(body) + "\n")
            open(os.path.join(d, "lang"), "w").write(lang + "\n")
            open(os.path.join(d, "where"), "w").write(f"{page}:{start}\n")
            for kind, value, _ in pending:
                with open(os.path.join(d, kind), "a") as f:
                    f.write(value + "\n")
            pending = []
        elif line.strip() and pending:
            sys.exit(f"{page}:{pending[0][2]}: a docs-test marker must sit right above its block")
        i += 1
    if pending:
        sys.exit(f"{page}:{pending[0][2]}: a docs-test marker with no block after it")
PY
}

# import_standins: the docs' images, as local stand-ins (see the top).
import_standins() {
	local tree archive name
	# shellcheck source=hack/lib/image.sh
	source hack/lib/image.sh
	for name in ubuntu:22.04 busybox:1.36; do
		if hack/cluster/cluster.sh crictl inspecti "$name" >/dev/null 2>&1; then
			echo "# $name is on the node already: used as it is"
			continue
		fi
		tree=$work/tree-${name%%:*}
		archive=$work/${name%%:*}.tar
		busybox_tree "$tree"
		mkdir -p "$tree/usr/local/bin" "$tree/usr/local/sbin"
		local cfg='{"Cmd":["/bin/sh"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
		if [[ $name == ubuntu:* ]]; then
			rm -f "$tree/bin/bash"
			printf '#!/bin/sh\nexec /bin/sh "$@"\n' >"$tree/bin/bash"
			chmod 755 "$tree/bin/bash"
			cfg='{"Cmd":["/bin/bash"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
		fi
		(write_docker_archive "$name" "$tree" "$archive" "$cfg") || return 1
		hack/cluster/cluster.sh import-image "$archive" "$name" >/dev/null || return 1
		standins+=("$name")
		echo "# imported a local stand-in as $name"
	done
}

t_prepare() {
	[[ -x build/src/kubectl-sc/kubectl-sc ]] || fail "build/src/kubectl-sc/kubectl-sc is not built (ninja -C build)"
	kubectl -n stoppablecontainer-system get deployment sc-controller >/dev/null ||
		fail "the operator is not deployed (hack/deploy.sh; test/e2e/run.sh does it)"
	mkdir -p "$blocks"
	extract || fail "the docs' markers do not parse"
	import_standins || fail "could not import the stand-in images"
	kubectl create namespace "$ns" >/dev/null
	kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=baseline >/dev/null
	cp "$KUBECONFIG" "$work/kubeconfig"
	kubectl --kubeconfig "$work/kubeconfig" config set-context --current --namespace="$ns" >/dev/null
}

# run_block DIR: runs one block as written; checks its expectations.
run_block() {
	local d=$1 where out rc e
	where=$(<"$d/where")
	printf '#!/usr/bin/env bash\nset -eo pipefail\n' >"$d/script"
	# the first failing command, by its line in the page (expanded when it runs)
	# shellcheck disable=SC2016
	printf 'trap '\''echo "failed (exit $?): line $((LINENO - 3 + %d)): $BASH_COMMAND" >&2'\'' ERR\n' \
		"${where##*:}" >>"$d/script"
	cat "$d/body" >>"$d/script"
	rc=0
	out=$(KUBECONFIG=$work/kubeconfig PATH=$PWD/build/src/kubectl-sc:$PATH \
		timeout 900 bash "$d/script" 2>&1) || rc=$?
	if ((rc != 0)); then
		printf '%s\n' "$out" | tail -n 20 >&2
		fail "$where: the block failed (exit $rc)"
	fi
	if [[ -f $d/expect ]]; then
		while IFS= read -r e; do
			expect_contains "$out" "$e" "the output of the block at $where"
		done <"$d/expect"
	fi
	return 0
}

# same_as DIR: the block equals the file it names, comment lines aside.
same_as() {
	local d=$1 file
	file=$(<"$d/same-as")
	[[ -f $file ]] || fail "$(<"$d/where"): names $file, which does not exist"
	diff <(grep -v '^ *#' "$d/body" | sed '/^$/d') <(grep -v '^ *#' "$file" | sed '/^$/d') >&2 ||
		fail "$(<"$d/where"): the block differs from $file"
}

# t_block DIR: one block, by its markers: save, compare, or run.
t_block() {
	local d=$1 lang
	lang=$(<"$d/lang")
	if [[ -f $d/file ]]; then
		local f
		f=$(<"$d/file")
		[[ $f =~ ^[A-Za-z0-9._-]+$ && ! -e $f ]] || fail "cannot save the block as $f (a plain name, not there yet)"
		cp "$d/body" "$f"
		echo "$PWD/$f" >>"$work/saved"
		return 0
	fi
	if [[ -f $d/same-as ]]; then
		same_as "$d"
		return 0
	fi
	case $lang in
	sh | bash) run_block "$d" ;;
	*) fail "a $lang block with an expect marker only: expect is for shell blocks" ;;
	esac
}

# t_marked: every skip marker gives its reason.
t_marked() {
	local d
	for d in "${marked[@]}"; do
		[[ -n $(tr -d '[:space:]' <"$d/skip") ]] || fail "$(<"$d/where"): a skip marker without a reason"
	done
}

# The namespace and everything the docs' commands created in it go; no
# StoppableContainer is left behind by a page's own delete commands.
t_cleanup() {
	local left
	left=$(kubectl -n "$ns" get "$SC" -o name 2>&1) || fail "listing: $left"
	[[ -z $left ]] || echo "# left by the pages (deleted with the namespace): $left"
	kubectl delete namespace "$ns" --wait=true --timeout=180s >/dev/null ||
		fail "namespace $ns was not deleted"
	local name
	for name in "${standins[@]}"; do
		hack/cluster/cluster.sh crictl rmi "$name" >/dev/null ||
			fail "could not remove the stand-in $name"
	done
}

t0=$SECONDS
run_test "prepare: images, a namespace, the docs' blocks" t_prepare
# run_test runs each test in a subshell: what t_prepare set up that later
# steps need is recomputed here (the blocks are files; the stand-ins are
# listed by whether this run imported them).
for name in ubuntu:22.04 busybox:1.36; do
	[[ -f $work/${name%%:*}.tar ]] && standins+=("$name")
done
if [[ -d $blocks ]]; then
	for d in "$blocks"/*/; do
		d=${d%/}
		lang=$(<"$d/lang")
		# shell blocks, and any block a marker names; other blocks
		# (YAML to read, output shown) are not commands
		[[ $lang == sh || $lang == bash || -f $d/skip || -f $d/file || -f $d/same-as ]] || continue
		label="$(<"$d/where") ($lang)"
		# A block marked skip is not a test here, so neither a pass nor a
		# skip in the counts: it is listed with its reason (which t_marked
		# checks is there).
		if [[ -f $d/skip ]]; then
			echo "# not run here, as the page says: $label: $(<"$d/skip")"
			marked+=("$d")
			continue
		fi
		run_test "$label" t_block "$d"
		if [[ -f $work/saved ]]; then
			while IFS= read -r f; do saved+=("$f"); done <"$work/saved"
			rm -f "$work/saved"
		fi
	done
fi
run_test "every block marked skip says why" t_marked
run_test "cleanup: the namespace and the stand-in images go" t_cleanup
echo "# docs suite: $((SECONDS - t0))s"
finish
