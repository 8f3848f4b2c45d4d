#!/usr/bin/env bash
# bench/libtorch_peer/build.sh [BUILD_DIR]
# Builds the libtorch + MPI peer into BUILD_DIR (default /tmp/dptrain_libtorch_peer) and prints the
# executable's path. Needs libtorch-dev (cluster/install-deps.sh --libtorch, run here when missing)
# besides the MPI and HDF5 packages dptrain builds with. Rebuilds only what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/dptrain_libtorch_peer}
dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q "install ok installed" \
  || "$here/../../cluster/install-deps.sh" --libtorch >&2
mkdir -p "$out"
[ -f "$out/CMakeCache.txt" ] || cmake -S "$here" -B "$out" -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1 \
  || { cat "$out/configure.log" >&2; exit 1; }
cmake --build "$out" -j2 > "$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
echo "$out/peer"
