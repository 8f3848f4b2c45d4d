#!/usr/bin/env bash
# The quickstart path on the real data, shortened: prepare Fashion-MNIST from the Debian package,
# train the quickstart MLP on 2 ranks for 300 steps through launch/local.sh, evaluate the saved model.
set -euo pipefail
root=$1 bin=$2
src=/usr/share/datasets/fashion-mnist
[ -f $src/train-images-idx3-ubyte.gz ] || { echo "dataset-fashion-mnist not installed: skipped"; exit 77; }
work=$(mktemp -d /tmp/dptrain-smoke-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin" prepare fashion-mnist --out "$work/fm.h5"
DPTRAIN_BIN=$bin timeout 240 "$root/launch/local.sh" 2 "$root/launch/configs/fashion_mlp.yaml" -q \
  --set data.file="$work/fm.h5" --set train.max_steps=300 --out "$work/run" < /dev/null
json=$("$bin" evaluate --model "$work/run/model.h5" --data "$work/fm.h5" --json)
echo "$json"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["samples"]==10000, r; assert r["accuracy"]>=0.78, r' "$json"
grep -c '"epoch"' "$work/run/metrics.jsonl" | grep -qx 1
# lr-find on the quickstart MLP suggests an lr within 3x of the one its config was tuned with (0.05).
json=$(timeout 120 "$bin" lr-find -c "$root/launch/configs/fashion_mlp.yaml" --set data.file="$work/fm.h5" -o "" --json \
  < /dev/null | tail -1)
echo "lr-find: $json"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert 0.05/3 <= r["suggested_lr"] <= 0.05*3, r' "$json"
# Every example config parses and its model builds and steps on the real data shape (configs of
# other data sets, e.g. diabetes_regression.yaml, are pointed at the Fashion-MNIST datasets; the
# scientific examples at a few samples of their generated data sets, datasets/*.py).
for cfg in "$root"/launch/configs/*.yaml; do
  case "$(basename "$cfg" .yaml)" in
    cosmo3d) gen=cosmo3d ;;
    unet_shapes) gen=shapes2d ;;
    signal1d) gen=signal1d ;;
    *) gen= ;;
  esac
  data=(--set data.file="$work/fm.h5" --set data.train_features=/train/images --set data.train_labels=/train/labels)
  if [ -n "$gen" ]; then
    [ -f "$work/$gen.h5" ] || /usr/bin/python3 "$root/datasets/$gen.py" --out "$work/$gen.h5" --n-train 8 --n-test 4 > /dev/null \
      || { echo "FAIL: datasets/$gen.py"; exit 1; }
    data=(--set data.file="$work/$gen.h5")
  fi
  timeout 120 "$bin" bench -c "$cfg" "${data[@]}" --steps 2 --warmup 0 > "$work/bench.json" \
    || { echo "FAIL: $cfg"; exit 1; }
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["samples_per_s"] > 0, r' "$work/bench.json"
  echo "ok: $(basename "$cfg")"
done
echo "ok"
