#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a trained model: installs the packages, builds
# dptrain, converts Fashion-MNIST (Debian package dataset-fashion-mnist) to HDF5, trains the MLP
# 784-512-256-10 on 2 MPI ranks and prints the test accuracy of the saved model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cluster/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
cmake --build build -j"$(nproc)" --target dptrain
mkdir -p data runs
[ -f data/fashion_mnist.h5 ] || ./build/src/dptrain prepare fashion-mnist --out data/fashion_mnist.h5
./launch/local.sh 2 launch/configs/fashion_mlp.yaml --out runs/quickstart --overwrite "$@"
echo
./build/src/dptrain evaluate --model runs/quickstart/model.h5 --data data/fashion_mnist.h5
echo "run directory: runs/quickstart (config.yaml, metrics.jsonl, train.log, model.h5)"
