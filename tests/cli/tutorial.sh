#!/usr/bin/env bash
# tutorial.sh ROOT DPTRAIN CHECK_OUTPUTS: the commands of docs/tutorial.md, as written there, in a
# scratch copy of the launch scripts, on the real Fashion-MNIST data, with training cut to 200 steps.
set -euo pipefail
root=$1 bin=$2 check=$3
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || { echo "dataset-fashion-mnist not installed: skipped"; exit 77; }
work=$(mktemp -d /tmp/dptrain-tutorial-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/build/src" && cp -r "$root/launch" "$work/" && ln -s "$bin" "$work/build/src/dptrain"
cd "$work"
export PATH=$PWD/build/src:$PATH
short=(-q --set train.max_steps=200)
mkdir -p data
dptrain prepare fashion-mnist --out data/fashion_mnist.h5
timeout 300 launch/local.sh 2 launch/configs/fashion_mlp.yaml --out runs/quickstart "${short[@]}" < /dev/null
dptrain evaluate --model runs/quickstart/model.h5 --data data/fashion_mnist.h5 | tee eval.txt
grep -q '^runs/quickstart/model.h5: 10000 samples of data/fashion_mnist.h5: loss' eval.txt
grep -q '^6 Shirt  ' eval.txt && grep -q '^true \\ predicted ' eval.txt
dptrain predict --model runs/quickstart/model.h5 --data data/fashion_mnist.h5 --out runs/quickstart/test_predictions.csv
head -1 runs/quickstart/test_predictions.csv | grep -qx 'row,predicted,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9'
"$check" predictions runs/quickstart/test_predictions.csv 10000 10
dptrain plot runs/quickstart
"$check" png runs/quickstart/curves.png 10000
timeout 300 launch/local.sh 2 launch/configs/fashion_mlp.yaml --out runs/lr01 --set optimizer.lr=0.1 --set train.epochs=5 "${short[@]}" < /dev/null
dptrain plot runs/quickstart runs/lr01 -o compare.png
"$check" png compare.png 10000
echo "ok"
