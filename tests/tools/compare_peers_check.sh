#!/usr/bin/env bash
# bench/compare_peers.sh without its peers (no libtorch build, no PyTorch): the script parses
# (bash -n; shellcheck when installed), `--check MODEL` passes for mlp, cnn and resnet on the real
# data shape (each config builds the peers' network: their parameter count), wrong arguments exit 2,
# and a config whose network differs from the peers' fails the check.
set -euo pipefail
root=$1 bin=$2
src=/usr/share/datasets/fashion-mnist
[ -f $src/train-images-idx3-ubyte.gz ] || { echo "dataset-fashion-mnist not installed: skipped"; exit 77; }
script=$root/bench/compare_peers.sh
bash -n "$script"
if command -v shellcheck > /dev/null; then shellcheck "$script" "$root/bench/libtorch_peer/build.sh"; fi
work=$(mktemp -d /tmp/dptrain-peers-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin" prepare fashion-mnist --out "$work/fm.h5" > "$work/prepare.log" 2>&1 || { cat "$work/prepare.log"; exit 1; }
export DPTRAIN_BIN=$bin DATA=$work/fm.h5
for m in mlp cnn resnet; do bash "$script" --check "$m" < /dev/null; done
for args in "" vgg "mlp 0" "mlp 3 x" "cnn 3 10 extra"; do
  rc=0
  # shellcheck disable=SC2086  # the words of args are the arguments
  bash "$script" --check $args > /dev/null 2>&1 < /dev/null || rc=$?
  [ "$rc" -eq 2 ] || { echo "FAIL: compare_peers.sh --check $args exited $rc, not 2"; exit 1; }
done
mkdir "$work/configs"
sed 's/units: 512/units: 500/' "$root/launch/configs/fashion_mlp.yaml" > "$work/configs/fashion_mlp.yaml"
if CONFIGS=$work/configs bash "$script" --check mlp > /dev/null 2> "$work/err" < /dev/null; then
  echo "FAIL: an MLP 784-500-256-10 passed as the peers' MLP"; exit 1
fi
grep -q "has 523326 parameters, the peers' mlp 535818" "$work/err" || { cat "$work/err"; exit 1; }
echo "ok"
