#!/usr/bin/env bash
# Trains every example config (launch/configs/*.yaml) for a few steps and prints one line per config:
# the sha256 of the saved model's parameters and buffers (raw float bits) and the final test metrics.
# Two builds that print the same lines train bit-identically; the check that a refactor changed no
# behaviour (run it with the old and the new binary and diff).
#   tests/tools/example_digests.sh DPTRAIN [NP] [STEPS]      (needs data/fashion_mnist.h5, data/diabetes.h5)
set -euo pipefail
dptrain=$(realpath "$1"); np=${2:-2}; steps=${3:-20}
cd "$(dirname "$0")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for cfg in launch/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  mpiexec -n "$np" "$dptrain" train -c "$cfg" --out "$tmp/$name" --set train.max_steps="$steps" \
    --set runtime.threads=1 >"$tmp/$name.log" 2>&1 || { echo "$name: FAILED"; tail -3 "$tmp/$name.log"; exit 1; }
  sums=""
  for d in $(h5ls -r "$tmp/$name/model.h5" | awk '$2 == "Dataset" {print $1}'); do
    h5dump -b NATIVE -d "$d" -o "$tmp/raw" "$tmp/$name/model.h5" >/dev/null
    sums+="$d $(sha256sum <"$tmp/raw" | cut -c1-16) "
  done
  final=$(grep -o 'final test .*after' "$tmp/$name.log" || true)
  echo "$name: $(echo "$sums" | sha256sum | cut -c1-16) ${final% after}"
done
