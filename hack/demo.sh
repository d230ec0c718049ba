#!/usr/bin/env bash
# The README's main command. Today it installs the build dependencies, builds
# every component and runs sc-pause's self-check; as the operator lands it will
# bring up the local cluster, deploy StoppableContainer and run the quick example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/deps.sh
[[ -d build ]] || meson setup build
ninja -C build
echo "built:"
find build/src -maxdepth 2 -type f -perm -u+x -printf '  %p\n' | sort
build/src/pause/sc-pause --version
