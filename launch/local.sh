#!/usr/bin/env bash
# launch/local.sh NP CONFIG [train options...]
#   Trains on NP ranks of this machine: mpirun with one block of cores per rank (cores / NP, so
#   ranks x threads never exceed the cores), oversubscription only when NP > cores, and the
#   variables mpirun needs when run as root. dptrain picks its threads from its core binding and
#   its OpenBLAS kernels from the CPU by itself.
#   Example: launch/local.sh 2 launch/configs/fashion_mlp.yaml --out runs/mlp
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
np=$1 config=$2
shift 2
[[ "$np" =~ ^[1-9][0-9]*$ ]] || { echo "local.sh: NP must be a positive integer, got '$np'" >&2; exit 2; }
[ -f "$config" ] || { echo "local.sh: config file not found: $config" >&2; exit 2; }
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -x "$bin" ] || { echo "local.sh: $bin not built (run: cmake -S . -B build && cmake --build build)" >&2; exit 2; }
cores=$(nproc)
args=(-np "$np")
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if [ "$np" -le "$cores" ]; then
  args+=(--map-by "slot:PE=$((cores / np))" --bind-to core)
else
  args+=(--oversubscribe --bind-to none)  # more ranks than cores: dptrain gives each 1 thread
fi
exec mpirun "${args[@]}" ${DPTRAIN_MPIRUN_ARGS:-} "$bin" train -c "$config" "$@"
