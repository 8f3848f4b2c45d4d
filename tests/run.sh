#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a passing test suite: installs the packages,
# builds dptrain and its tests, runs ctest (multi-rank suites under mpiexec at 1-4 ranks).
#   tests/run.sh [ctest options, e.g. -R cli_, or -L quick: the serial unit suites and the include checks]
set -euo pipefail
cd "$(dirname "$0")/.."
# --slurm: the local test cluster (tests/cluster); --torch: tools_dptrain_torch; --onnx: onnx_export_runtime
bash cluster/install-deps.sh --slurm --torch --onnx
bash tests/onnx_export/install_onnxruntime.sh build/onnxruntime   # npm onnxruntime-node, for onnx_export_runtime
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDPTRAIN_BUILD_TESTS=ON -DDPTRAIN_WERROR=ON > build-configure.log 2>&1 \
  || { cat build-configure.log; exit 1; }
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600 "$@"
