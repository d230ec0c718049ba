#!/usr/bin/env bash
# Platform tier: boots Debian's own cloud kernels under QEMU (TCG emulation)
# with only cgroup v2, and runs the kernel test binaries (BUILD/test/kernel/
# ktest-*) inside each guest as root, with busybox, runc and overlayfs.
#
#   test/platform/run.sh [OPTIONS] [BUILD_DIR]   (default: the repository's build)
#
#   --kernels "SUITE..."  Debian suites whose linux-image-cloud-amd64 to boot
#                         (default: "bullseye bookworm bookworm-backports",
#                         i.e. 5.10, 6.1 and 6.12; also SC_PLATFORM_KERNELS)
#   --tests "NAME..."     only these binaries, e.g. "statedir runc" (default:
#                         every ktest-* of the build; also SC_PLATFORM_TESTS)
#   --timeout SECS        per kernel, boot to power-off (default 600; also
#                         SC_PLATFORM_TIMEOUT); each binary gets at most 300
#   --log-dir DIR         console logs (default BUILD_DIR/platform-logs)
#   --bench "ARGS;..."    a benchmark instead of the tests: run
#                         BUILD/test/kernel/bench-inject with each ';'-separated
#                         argument list (LAYERS FILES RUNS) in every guest and
#                         print what it measured (times are under emulation)
#   -h, --help            this text
#
# Kernels are downloaded once with apt-get (the archive of the machine's own
# Debian sources, other suite) and kept in
# ${SC_CACHE_DIR:-$HOME/.cache/stoppablecontainer}/kernels/SUITE/; later runs
# use the cached kernel and never ask the archive again (delete that
# directory to take the suite's newest kernel). Guest size: SC_PLATFORM_MEM
# (MiB, default 1024), SC_PLATFORM_CPUS (default 2).
#
# Every test must really run here: a skipped binary or test case, a crash, a
# missing TAP plan, a timeout or a kernel that does not boot count as failures
# (a kernel that crashes before /init starts is booted once more, and that is
# said; so is a guest that dies later without reaching the end marker — the
# emulator's faults under TCG look like that too — it is booted once more,
# every binary runs again, a "CRASHED" line names where it died and the first
# console log is kept; a second crash counts as the failures it causes). Prints one line per kernel and ends with "N passed, N failed"; exits
# non-zero if anything failed. Needs root (the build's binaries are placed in
# the guest at the build directory's absolute path). Console logs:
# LOG_DIR/SUITE.console.log.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

build=$repo/build
kernels=${SC_PLATFORM_KERNELS:-bullseye bookworm bookworm-backports}
tests=${SC_PLATFORM_TESTS:-}
timeout_s=${SC_PLATFORM_TIMEOUT:-600}
mem=${SC_PLATFORM_MEM:-1024}
cpus=${SC_PLATFORM_CPUS:-2}
logdir=
bench=
cache=${SC_CACHE_DIR:-$HOME/.cache/stoppablecontainer}/kernels
binary_timeout=300

while (($# > 0)); do
	case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	--kernels | --tests | --timeout | --log-dir | --bench)
		if (($# < 2)); then
			echo "run.sh: $1 needs a value (try --help)" >&2
			exit 2
		fi
		case "$1" in
		--kernels) kernels=$2 ;;
		--tests) tests=$2 ;;
		--timeout) timeout_s=$2 ;;
		--log-dir) logdir=$2 ;;
		--bench) bench=$2 ;;
		esac
		shift 2
		;;
	-*)
		echo "run.sh: unknown option '$1' (try --help)" >&2
		exit 2
		;;
	*)
		build=$1
		shift
		;;
	esac
done

die() {
	echo "run.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "needs root"
[[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
for tool in qemu-system-x86_64 cpio apt-get apt-cache dpkg-deb modinfo ldd runc busybox; do
	command -v "$tool" >/dev/null || die "$tool is missing (run hack/deps.sh)"
done
[[ -d $build ]] || die "no build directory '$build' (meson setup $build && ninja -C $build)"
build=$(cd "$build" && pwd -P)
logdir=${logdir:-$build/platform-logs}
mkdir -p "$logdir" "$cache"
logdir=$(cd "$logdir" && pwd -P)

# The test binaries to run, in a stable order.
bins=()
if [[ -n $bench ]]; then
	bins+=("$build/test/kernel/bench-inject")
elif [[ -n $tests ]]; then
	for t in $tests; do
		bins+=("$build/test/kernel/ktest-${t#ktest-}")
	done
else
	for f in "$build"/test/kernel/ktest-*; do
		[[ -f $f && -x $f ]] && bins+=("$f")
	done
fi
((${#bins[@]} > 0)) || die "no test binaries in $build/test/kernel (ninja -C $build)"
for f in "${bins[@]}" "$build/src/exec/sc-exec" "$build/src/pause/sc-pause" "$build/src/nri/sc-rootfs-hook"; do
	[[ -f $f && -x $f ]] || die "missing $f (ninja -C $build)"
done
# They find their helpers through the build directory compiled in; the guest
# puts them at that path, so it has to be this one.
grep -qF "\"build\": \"$build\"" "$build/meson-info/meson-info.json" 2>/dev/null ||
	die "$build was set up in another directory (meson setup it again)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sc-platform.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- kernels ---------------------------------------------------------------

# The first archive of the machine's own Debian sources (deb822 or one-line
# format), and the keyring it is signed with: "URI KEYRING".
machine_archive() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			uri = ""; suites = ""; key = ""; types = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
				if ($i ~ /^Suites:/) suites = $i
				if ($i ~ /^Types:/) types = $i
				if ($i ~ /^Signed-By:/) { split($i, a, /[ \t]+/); key = a[2] }
			}
			if (uri != "" && types ~ /[ \t]deb([ \t]|$)/ && suites !~ /security/ &&
			    suites ~ /(bullseye|bookworm|trixie|stable)/) {
				print uri, (key == "" ? "-" : key); exit
			}
		}' "$f"
	done | head -n1
	if [[ -f /etc/apt/sources.list ]]; then
		awk '$1 == "deb" && $0 !~ /security/ {
			key = "-"
			if ($2 ~ /^\[/) {
				for (i = 2; i <= NF && $i !~ /\]$/; i++)
					if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) }
				if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) }
				uri = $(i + 1)
			} else uri = $2
			print uri, key; exit
		}' /etc/apt/sources.list
	fi
}

# fetch_kernel SUITE: makes $cache/SUITE/{vmlinuz,modules/,release,version}
# unless they are there already.
fetch_kernel() {
	local suite=$1 dir=$cache/$1
	if [[ -f $dir/release && -f $dir/vmlinuz && -d $dir/modules ]]; then
		return 0
	fi
	local archive uri key
	archive=$(machine_archive | head -n1)
	[[ -n $archive ]] || {
		echo "run.sh: no Debian archive in the machine's apt sources" >&2
		return 1
	}
	read -r uri key <<<"$archive"
	local apt=$cache/apt/$suite
	rm -rf "$apt" "$dir.new"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/preferences.d" "$dir.new"
	if [[ $key == - ]]; then
		echo "deb $uri $suite main" >"$apt/sources.list"
	else
		echo "deb [signed-by=$key] $uri $suite main" >"$apt/sources.list"
	fi
	: >"$apt/status" # nothing installed: the suite's own candidate wins
	local o=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o "Dir::State::status=$apt/status" -o "Dir::Etc::preferencesparts=$apt/preferences.d"
		-o Dir::Etc::preferences=/dev/null -o APT::Sandbox::User=root)
	echo "== kernel $suite: resolving linux-image-cloud-amd64"
	apt-get "${o[@]}" update -qq >"$apt/update.log" 2>&1 || {
		cat "$apt/update.log" >&2
		return 1
	}
	local dep
	dep=$(apt-cache "${o[@]}" show --no-all-versions linux-image-cloud-amd64 |
		sed -n 's/^Depends:.*\(linux-image-[^ ,]*-cloud-amd64\) (= \([^)]*\)).*/\1=\2/p' | head -n1)
	[[ -n $dep ]] || {
		echo "run.sh: $suite has no linux-image-cloud-amd64 with a versioned kernel" >&2
		return 1
	}
	echo "== kernel $suite: downloading $dep"
	(cd "$dir.new" && apt-get "${o[@]}" download -q "$dep" >"$apt/download.log" 2>&1) || {
		cat "$apt/download.log" >&2
		return 1
	}
	# Newer suites split the image into linux-binary-* (the kernel) and
	# linux-modules-*, exact versions the image depends on.
	local deb more
	deb=$(find "$dir.new" -maxdepth 1 -name '*.deb' | head -n1)
	more=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' |
		sed -n 's/^ *\(linux-\(binary\|modules\)-[^ ]*\) (= \([^)]*\)).*/\1=\3/p' | tr '\n' ' ')
	if [[ -n $more ]]; then
		echo "== kernel $suite: downloading" "$more"
		# shellcheck disable=SC2086 # one package a word
		(cd "$dir.new" && apt-get "${o[@]}" download -q $more >>"$apt/download.log" 2>&1) || {
			cat "$apt/download.log" >&2
			return 1
		}
	fi
	for deb in "$dir.new"/*.deb; do
		dpkg-deb -x "$deb" "$dir.new/x" || return 1
	done
	# /boot/vmlinuz-RELEASE, or /usr/lib/modules/RELEASE/vmlinuz in newer ones
	local vmlinuz release
	vmlinuz=$(find "$dir.new/x" -path '*/boot/vmlinuz-*' -type f | head -n1)
	if [[ -n $vmlinuz ]]; then
		release=${vmlinuz##*/vmlinuz-}
	else
		vmlinuz=$(find "$dir.new/x" -path '*/lib/modules/*/vmlinuz' -type f | head -n1)
		[[ -n $vmlinuz ]] || {
			echo "run.sh: the packages of $dep hold no kernel image" >&2
			return 1
		}
		release=$(basename "$(dirname "$vmlinuz")")
	fi
	mv "$vmlinuz" "$dir.new/vmlinuz" || return 1
	if [[ -d $dir.new/x/lib/modules/$release ]]; then
		mv "$dir.new/x/lib/modules/$release" "$dir.new/modules" || return 1
	else
		mv "$dir.new/x/usr/lib/modules/$release" "$dir.new/modules" || return 1
	fi
	echo "${dep#*=}" >"$dir.new/version" || return 1
	# written last: a kernel with this file is complete
	echo "$release" >"$dir.new/release" || return 1
	rm -rf "$dir.new/x" "$dir.new"/*.deb "$apt" "$dir"
	mv "$dir.new" "$dir"
}

# --- initramfs -------------------------------------------------------------

# copy_file SRC DEST_ROOT: copies SRC (symlinks followed) to the same path
# below DEST_ROOT, with /lib, /lib64, /bin and /sbin under /usr (the guest's
# /usr is merged and is what runc binds into the test containers).
copy_file() {
	local src=$1 root=$2 dest=$1
	case "$dest" in
	/lib/* | /lib64/* | /bin/* | /sbin/*) dest=/usr$dest ;;
	esac
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$src" "$root$dest"
}

# copy_with_libs BIN DEST_ROOT [DEST_PATH]: the binary and the shared
# libraries ldd says it loads.
copy_with_libs() {
	local bin=$1 root=$2 dest=${3:-$1}
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$bin" "$root$dest"
	local lib
	while read -r lib; do
		copy_file "$lib" "$root"
	done < <(LC_ALL=C ldd "$bin" 2>/dev/null | grep -oE '(^|[[:space:]])/[^ ]+' | tr -d ' \t' || true)
}

# The part every guest shares: busybox, runc, the build's binaries, /init.
make_base() {
	local r=$tmp/base bb
	mkdir -p "$r"/usr/{bin,sbin,lib,lib64} "$r"/{proc,sys,dev,tmp,run,root,newroot,etc/sc-platform}
	mknod -m 0600 "$r/dev/console" c 5 1
	ln -s usr/bin "$r/bin"
	ln -s usr/sbin "$r/sbin"
	ln -s usr/lib "$r/lib"
	ln -s usr/lib64 "$r/lib64"
	bb=$(command -v busybox)
	if [[ $(LC_ALL=C ldd "$bb" 2>&1 || true) != *"not a dynamic executable"* ]]; then
		echo "run.sh: $bb is not static (install busybox-static)" >&2
		return 1
	fi
	cp -L "$bb" "$r/usr/bin/busybox"
	local a
	for a in $("$bb" --list); do
		[[ $a == busybox || -e $r/usr/bin/$a ]] || ln -s busybox "$r/usr/bin/$a"
	done
	copy_with_libs "$(command -v runc)" "$r" /usr/sbin/runc
	local f
	for f in "${bins[@]}" "$build/src/exec/sc-exec" "$build/src/pause/sc-pause" "$build/src/nri/sc-rootfs-hook"; do
		copy_with_libs "$f" "$r"
		[[ -z $bench && $f == "$build"/test/kernel/* ]] && echo "$f" >>"$r/etc/sc-platform/tests"
	done
	local i=0 args
	while IFS= read -r args; do
		[[ -n ${args// /} ]] || continue
		i=$((i + 1))
		printf '#!/bin/sh\nexec %s %s\n' "$build/test/kernel/bench-inject" "$args" >"$r/bench-$i"
		chmod 755 "$r/bench-$i"
		echo "/bench-$i" >>"$r/etc/sc-platform/tests"
	done < <(tr ';' '\n' <<<"$bench")
	# test-proc checks a fake container sees the build directory (at /sc)
	# through this file
	cp "$build/build.ninja" "$r$build/build.ninja"
	echo "$binary_timeout" >"$r/etc/sc-platform/timeout"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\n' >"$r/etc/group"
	install -m 0755 "$repo/test/platform/init" "$r/init"
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$tmp/base.cpio"
}

# The modules to load (with what they depend on, in load order). overlayfs
# is a module in Debian's cloud kernels; cgroup v2, namespaces, tmpfs and
# devtmpfs are built in.
modules=(overlay)

# make_kernel_cpio SUITE OUT: base archive + the kernel's modules (decompressed;
# busybox insmod does not read .ko.xz) and their load order.
make_kernel_cpio() {
	local suite=$1 out=$2 mdir=$cache/$1/modules release r=$tmp/k-$1
	release=$(cat "$cache/$suite/release")
	rm -rf "$r"
	mkdir -p "$r/usr/lib/modules/$release" "$r/etc/sc-platform"
	local order=() seen=" "
	add_module() {
		local name=${1//-/_} file dep
		[[ $seen == *" $name "* ]] && return 0
		seen+="$name "
		file=$(find "$mdir" -regextype posix-extended \
			-regex ".*/(${name}|${name//_/-})\.ko(\.xz|\.zst|\.gz)?" | head -n1)
		if [[ -z $file ]]; then
			echo "run.sh: kernel $release has no module $name" >&2
			return 1
		fi
		for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
			add_module "$dep"
		done
		order+=("$file")
	}
	local m f base
	for m in "${modules[@]}"; do
		add_module "$m"
	done
	for f in "${order[@]}"; do
		base=${f##*/}
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$r/usr/lib/modules/$release/${base%.xz}" ;;
		*.ko.zst) zstd -qdc "$f" >"$r/usr/lib/modules/$release/${base%.zst}" ;;
		*.ko.gz) gzip -dc "$f" >"$r/usr/lib/modules/$release/${base%.gz}" ;;
		*) cp "$f" "$r/usr/lib/modules/$release/$base" ;;
		esac
		base=${base%.xz}
		base=${base%.zst}
		echo "/usr/lib/modules/$release/${base%.gz}" >>"$r/etc/sc-platform/modules"
	done
	# Appended to the base archive: the kernel unpacks both, in order.
	cp "$tmp/base.cpio" "$out"
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >>"$out"
}

# --- console log -------------------------------------------------------------

# parse_log LOG: per binary "BIN PASSED FAILED" lines (plus "# " detail lines
# to show on failure), from the framed TAP on the guest's console.
parse_log() {
	local log=$1 expected
	expected=$(for f in "${bins[@]}"; do basename "$f"; done | tr '\n' ' ')
	tr -d '\r' <"$log" | awk -v expected="$expected" '
	function finish(how,    failed, seen) {
		seen = ok + notok + skip
		failed = notok + skip
		if (plan < 0) { failed++; detail[cur] = detail[cur] "    no TAP plan\n" }
		else if (plan == 0) { failed++; detail[cur] = detail[cur] "    skipped: " planline "\n" }
		else if (seen < plan) {
			failed += plan - seen
			detail[cur] = detail[cur] "    ran " seen " of " plan " planned tests\n"
		} else if (seen > plan) {
			failed++
			detail[cur] = detail[cur] "    " seen " results for a plan of " plan "\n"
		}
		if (how == "") {
			if (failed == 0) failed = 1
			detail[cur] = detail[cur] "    no end marker: it crashed the guest or timed out\n"
		} else if (how != "0") {
			if (failed == 0) failed = 1
			detail[cur] = detail[cur] "    exit status " how "\n"
		}
		passed[cur] = ok; nfailed[cur] = failed; ran[cur] = 1
		cur = ""
	}
	/^=== sc-platform begin / {
		if (cur != "") finish("")
		cur = $4; plan = -1; ok = 0; notok = 0; skip = 0; diag = ""; planline = ""
		next
	}
	/^=== sc-platform end / {
		if (cur == "" || $4 != cur) next
		st = $5; sub(/^status=/, "", st)
		finish(st)
		next
	}
	/^=== sc-platform done ===$/ { done = 1; next }
	cur == "" { next }
	/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; planline = $0; next }
	/^ok [0-9]+/ {
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) { skip++; detail[cur] = detail[cur] "    " $0 "\n" }
		else ok++
		diag = ""
		next
	}
	/^not ok [0-9]+/ {
		notok++
		detail[cur] = detail[cur] diag "    " $0 "\n"
		diag = ""
		next
	}
	/^Bail out!/ { detail[cur] = detail[cur] "    " $0 "\n"; next }
	/^#/ { diag = diag "    " $0 "\n"; next }
	END {
		if (cur != "") finish("")
		n = split(expected, names, " ")
		for (i = 1; i <= n; i++) {
			b = names[i]
			if (!ran[b]) { print b, 0, 1; print "#     did not run"; continue }
			print b, passed[b], nfailed[b]
			if (detail[b] != "") printf "%s", detail[b]
		}
		if (!done) { print "(guest)", 0, 1; print "#     did not reach the end marker" }
	}' | sed 's/^    /#     /'
}

# --- run ---------------------------------------------------------------------

# boot SUITE INITRD CONSOLE: runs the guest; returns QEMU's status (124 when
# the timeout killed it).
boot() {
	local rc=0
	# -cx16: QEMU 7.2's TCG emulation of cmpxchg16b corrupts the per-CPU
	# freelists of 6.12's SLUB (a double fault in kmem_cache_alloc during
	# boot, in about one boot of three); without it the kernel takes its
	# lock-based path.
	timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max,-cx16 \
		-m "$mem" -smp "$cpus" -nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$3" -kernel "$cache/$1/vmlinuz" -initrd "$2" \
		-append "console=ttyS0 panic=-1 loglevel=1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1" \
		</dev/null >>"$logdir/$1.qemu.log" 2>&1 || rc=$?
	return "$rc"
}

make_base
echo "== initramfs base: $(du -m "$tmp/base.cpio" | cut -f1) MiB (${#bins[@]} test binaries, busybox, runc)"

total_p=0
total_f=0
# a broken harness still ends with the closing line (and counts as a failure)
trap 'echo "run.sh: line $LINENO failed" >&2; echo "$total_p passed, $((total_f + 1)) failed"' ERR
for suite in $kernels; do
	t0=$SECONDS
	kp=0
	kf=0
	console=$logdir/$suite.console.log
	rm -f "$console" "$logdir/$suite.console.crashed-boot.log" "$logdir/$suite.console.crashed-run.log" "$logdir/$suite.qemu.log"
	report=
	if ! fetch_kernel "$suite" >"$tmp/fetch.log" 2>&1; then
		cat "$tmp/fetch.log"
		cp "$tmp/fetch.log" "$console"
		report=$(printf '(fetch) 0 1\n#     could not download the kernel, see %s\n' "$console")
		version='?'
	else
		cat "$tmp/fetch.log"
		version=$(cat "$cache/$suite/version")
		make_kernel_cpio "$suite" "$tmp/initrd-$suite.cpio"
		rc=0
		boot "$suite" "$tmp/initrd-$suite.cpio" "$console" || rc=$?
		# A kernel that dies before /init started ran no test: under TCG
		# that is the emulator's fault often enough (see boot) that one
		# more boot is worth it; it is said, and the first log kept.
		if ((rc != 124)) && ! grep -q '^=== sc-platform boot ' "$console"; then
			oops=$(grep -m1 -E 'Oops|BUG|Kernel panic' "$console" | tr -d '\r' || true)
			echo "kernel $suite: crashed before /init (${oops:-no oops line}); booting once more"
			mv "$console" "$logdir/$suite.console.crashed-boot.log"
			boot "$suite" "$tmp/initrd-$suite.cpio" "$console" || rc=$?
		fi
		# A guest that died between two binaries or inside one (QEMU
		# exits at a panic: -no-reboot, panic=-1) before the end marker,
		# without the timeout: one more boot runs every binary again; the
		# crash and where it happened are said, and the first log kept.
		# A crash that comes back fails as before.
		if [[ -z $bench ]] && ((rc != 124)) && grep -q '^=== sc-platform boot ' "$console" &&
			! tr -d '\r' <"$console" | grep -q '^=== sc-platform done ===$'; then
			oops=$(tr -d '\r' <"$console" | grep -m1 -E 'Oops|BUG|Kernel panic|general protection' || true)
			last=$(tr -d '\r' <"$console" | grep -E '^=== sc-platform (begin|end) ' | tail -n1 || true)
			echo "kernel $suite: CRASHED after \"${last:-boot}\" (${oops:-no oops line}); log kept as $suite.console.crashed-run.log; booting once more"
			mv "$console" "$logdir/$suite.console.crashed-run.log"
			rc=0
			boot "$suite" "$tmp/initrd-$suite.cpio" "$console" || rc=$?
		fi
		if [[ -n $bench ]]; then
			# measurements, not results: each run's output as it is
			echo "kernel ${version%%-*} ($suite):"
			awk '/^=== sc-platform begin bench-/ { on = 1; next }
				/^=== sc-platform end bench-/ { on = 0; print "    (" $4 " " $5 ")"; next }
				on && !/^dmesg/ { sub(/\r$/, ""); print "    " $0 }' "$console"
			continue
		fi
		report=$(parse_log "$console")
		if ((rc == 124)); then
			report+=$'\n'"#     the guest was killed after $timeout_s s (--timeout)"
		fi
	fi
	while read -r name p f; do
		[[ $name == "#" ]] && continue
		kp=$((kp + p))
		kf=$((kf + f))
	done <<<"$report"
	elapsed=$((SECONDS - t0))
	echo "kernel ${version%%-*} ($suite): $kp passed, $kf failed in $elapsed s"
	# per binary, and what failed (the assertion lines before a "not ok")
	while IFS= read -r line; do
		if [[ $line == "#"* ]]; then
			((kf == 0)) || echo "      ${line#"#     "}"
			continue
		fi
		read -r name p f <<<"$line"
		printf '    %-16s %3d passed, %d failed\n' "$name" "$p" "$f"
	done <<<"$report"
	if ((kf > 0)); then
		echo "    console log: $console"
		[[ -s $logdir/$suite.qemu.log ]] && echo "    qemu log: $logdir/$suite.qemu.log"
	fi
	total_p=$((total_p + kp))
	total_f=$((total_f + kf))
done

trap - ERR
echo "$total_p passed, $total_f failed"
if ((total_f > 0)); then
	exit 1
fi
