#!/usr/bin/env bash
# Black-box tests of sc-pause: signals, zombie reaping, --install, bad usage.
# Usage: test-sc-pause.sh PATH-TO-SC-PAUSE. Prints TAP.
set -uo pipefail
bin=$1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; echo "# $2"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wait_for COND-COMMAND TIMEOUT-SECONDS: poll a condition with a deadline.
wait_for() {
	local deadline=$((SECONDS + $2))
	while ! eval "$1"; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# A signal sent before sc-pause blocks it would kill it with the default
# action; it is ready once it waits in rt_sigtimedwait (x86_64 syscall 128,
# first field of /proc/PID/syscall). SigBlk cannot tell: the kernel unblocks
# the awaited signals while the task waits for them.
blocked_term() { local s; s=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) && [[ $s == 128 ]]; }

for sig in TERM INT; do
	"$bin" &
	pid=$!
	if ! wait_for "blocked_term $pid" 5; then
		notok "exits 0 on SIG$sig" "signals never blocked"
		kill -9 $pid 2>/dev/null
		continue
	fi
	kill -$sig $pid
	wait $pid
	rc=$?
	if ((rc == 0)); then ok "exits 0 on SIG$sig"; else notok "exits 0 on SIG$sig" "exit code $rc"; fi
done

# As a subreaper-less parent, it must reap a child that exits: run it as the
# parent of a short-lived child through exec, then check no zombie remains.
bash -c "sleep 0.2 & exec \"$bin\"" &
pid=$!
wait_for "blocked_term $pid" 5
if wait_for "! grep -q '^State:.*Z' /proc/\$(pgrep -P $pid | head -n1)/status 2>/dev/null && [ -z \"\$(pgrep -P $pid)\" ]" 5; then
	ok "reaps its exited children"
else
	notok "reaps its exited children" "child of $pid still present: $(pgrep -P $pid -a)"
fi
kill -TERM $pid
wait $pid

"$bin" --install "$tmp/copy"
rc=$?
if ((rc == 0)) && cmp -s "$bin" "$tmp/copy" && [[ $(stat -c %a "$tmp/copy") == 555 ]]; then
	ok "--install copies itself with mode 0555"
else
	notok "--install copies itself with mode 0555" "rc=$rc mode=$(stat -c %a "$tmp/copy" 2>&1)"
fi
out=$("$tmp/copy" --version)
if [[ $out == "sc-pause "* ]]; then ok "installed copy runs"; else notok "installed copy runs" "$out"; fi

# The planted temporary name points at a canary of the test's own (never a
# file of the machine's): a regression truncates and overwrites the canary.
printf 'canary\n' >"$tmp/canary"
chmod 644 "$tmp/canary"
canary_sum=$(sha256sum <"$tmp/canary")
ln -s "$tmp/canary" "$tmp/link.tmp"
if "$bin" --install "$tmp/link" 2>"$tmp/err"; then
	notok "--install refuses to write through a symlink" "succeeded"
elif grep -q "link.tmp" "$tmp/err" && [[ $(sha256sum <"$tmp/canary") == "$canary_sum" ]] &&
	[[ $(stat -c %a "$tmp/canary") == 644 ]] && [[ -L $tmp/link.tmp ]] && [[ ! -e $tmp/link ]]; then
	ok "--install refuses to write through a symlink"
else
	notok "--install refuses to write through a symlink" "$(cat "$tmp/err"); canary: $(stat -c '%a %s' "$tmp/canary")"
fi

"$bin" --bogus 2>"$tmp/err"
rc=$?
if ((rc == 2)) && grep -q "unexpected argument '--bogus'" "$tmp/err"; then ok "bad usage exits 2 with a message"; else notok "bad usage exits 2 with a message" "rc=$rc $(cat "$tmp/err")"; fi
"$bin" --install 2>"$tmp/err"
rc=$?
if ((rc == 2)); then ok "--install without a path exits 2"; else notok "--install without a path exits 2" "rc=$rc"; fi

echo "1..$n"
((fails == 0))
