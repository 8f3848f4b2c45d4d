#!/usr/bin/env bash
# bench/compare_pytorch.sh [EPOCHS]: dptrain and the PyTorch DDP peer (../shared/bench/pytorch) on
# the same data, model and hyper-parameters (MLP 784-512-256-10, SGD lr 0.05 momentum 0.9 constant,
# 2 ranks, per-rank batch 64), one after the other in the same sitting. Prints the median epoch
# samples/s of each and their ratio. Needs: cluster/install-deps.sh --torch, a built dptrain.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER:-$root/../shared/bench/pytorch}
epochs=${1:-10}
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -f "$peer/ddp_train.py" ] || { echo "compare_pytorch.sh: PyTorch peer not found at $peer (set PEER=)" >&2; exit 2; }
[ -x "$bin" ] || { echo "compare_pytorch.sh: build dptrain first" >&2; exit 2; }
work=$(mktemp -d /tmp/dptrain-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
data=${DATA:-$root/data/fashion_mnist.h5}
[ -f "$data" ] || { mkdir -p "$(dirname "$data")"; "$bin" prepare fashion-mnist --out "$data"; }

DPTRAIN_BIN=$bin "$root/launch/local.sh" 2 "$root/launch/configs/fashion_mlp.yaml" -q --out "$work/dpt" \
  --set data.file="$data" --set schedule.name=constant --set train.epochs="$epochs" --set train.batch_size=128 \
  < /dev/null > "$work/dpt.log" 2>&1 || { cat "$work/dpt.log"; exit 1; }
(cd "$peer" && /usr/bin/python3 ddp_train.py --model mlp --world-size 2 --batch 64 --epochs "$epochs" \
  --data "$data" --out "$work/torch.json" < /dev/null > "$work/torch.log" 2>&1) || { cat "$work/torch.log"; exit 1; }

/usr/bin/python3 - "$work/dpt/metrics.jsonl" "$work/torch.json" <<'PY'
import json, statistics, sys
dpt = [json.loads(l) for l in open(sys.argv[1])]
torch = json.load(open(sys.argv[2]))
d = statistics.median(r["samples_per_s"] for r in dpt)
t = torch["summary"]["median_samples_per_s"]
print(f"MLP 784-512-256-10, 2 ranks x batch 64, {len(dpt)} epochs, same sitting")
print(f"  dptrain     {d:9.0f} samples/s  final test accuracy {dpt[-1]['test_accuracy']:.4f}")
print(f"  PyTorch DDP {t:9.0f} samples/s  final test accuracy {torch['epochs'][-1]['test_acc']:.4f}")
print(f"  ratio dptrain / PyTorch DDP: {d / t:.2f}x")
PY
