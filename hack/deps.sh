#!/usr/bin/env bash
# Installs the Debian packages StoppableContainer needs to build and test.
# Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config clang clang-format libclang-rt-14-dev
	musl-tools
	libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev
	# the images' static build (hack/build-lean-deps.sh, hack/images.sh)
	libmbedtls-dev zlib1g-dev dpkg-dev xz-utils
	# tests and tools
	git jq python3 python3-yaml openssl curl iproute2 kmod util-linux shellcheck
	# the plugin's completion scripts are parsed by the shells themselves
	zsh fish
	# the platform tier (test/platform/run.sh): Debian kernels under QEMU
	qemu-system-x86 busybox-static runc cpio xz-utils
)
# The local cluster's packages are installed by hack/cluster/cluster.sh itself.

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} > 0)); then
	echo "deps: installing ${missing[*]}" >&2
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: need root to install packages (run as root or with sudo)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
