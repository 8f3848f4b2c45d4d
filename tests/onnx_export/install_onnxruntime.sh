#!/usr/bin/env bash
# ONNX Runtime for Node.js, for the ctest onnx_export_runtime: installs onnxruntime-node into DIR
# (default build/onnxruntime) unless it is there. --ignore-scripts keeps the bundled Linux CPU
# library and skips its install script's download (which cannot work offline).
#   tests/onnx_export/install_onnxruntime.sh [DIR]
set -euo pipefail
VERSION=1.31.1
dir=${1:-build/onnxruntime}
if [ -f "$dir/node_modules/onnxruntime-node/package.json" ] &&
   grep -q "\"version\": \"$VERSION\"" "$dir/node_modules/onnxruntime-node/package.json"; then
  echo "install_onnxruntime: onnxruntime-node $VERSION already in $dir"
  exit 0
fi
command -v npm >/dev/null || { echo "install_onnxruntime: npm not found (cluster/install-deps.sh --onnx installs it)" >&2; exit 1; }
mkdir -p "$dir"
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error "onnxruntime-node@$VERSION"
echo "install_onnxruntime: onnxruntime-node $VERSION in $dir"
