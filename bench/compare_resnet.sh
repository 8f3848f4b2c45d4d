#!/usr/bin/env bash
# bench/compare_resnet.sh [ROUNDS] [STEPS]
# `dptrain bench -c launch/configs/fashion_resnet.yaml` beside the PyTorch DDP peer running the same
# ResNet (bench/pytorch_resnet.py: ../shared/bench/pytorch's ddp_train.py with that model), on 2
# ranks x batch 64 (global 128), in ROUNDS interleaved rounds (default 3) of STEPS timed steps
# (default 30) each, in one sitting; prints each round's samples/s and the ratio of the medians.
# Needs: cluster/install-deps.sh --torch, a built dptrain (DPTRAIN_BIN to pick another build),
# data/fashion_mnist.h5 (made when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3} steps=${2:-30}
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -x "$bin" ] || { echo "compare_resnet.sh: build dptrain first ($bin)" >&2; exit 2; }
data=${DATA:-$root/data/fashion_mnist.h5}
[ -f "$data" ] || { mkdir -p "$(dirname "$data")"; "$bin" prepare fashion-mnist --out "$data"; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/dptrain-resnet-XXXXXX)
trap 'rm -rf "$work"' EXIT
for r in $(seq "$rounds"); do
  mpirun -np 2 --map-by slot:PE=$(( $(nproc) / 2 )) --bind-to core "$bin" bench -c "$root/launch/configs/fashion_resnet.yaml" \
    --set data.file="$data" --steps "$steps" --warmup 3 < /dev/null > "$work/dpt$r.json" 2> "$work/dpt.log" \
    || { cat "$work/dpt.log"; exit 1; }
  /usr/bin/python3 "$root/bench/pytorch_resnet.py" --world-size 2 --batch 64 --bench-steps "$steps" --bench-warmup 3 \
    --data "$data" --out "$work/torch$r.json" < /dev/null > "$work/torch.log" 2>&1 || { cat "$work/torch.log"; exit 1; }
done
/usr/bin/python3 - "$work" "$rounds" "$steps" <<'PY'
import json, statistics, sys
work, rounds, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = [json.load(open(f"{work}/dpt{r}.json"))["samples_per_s"] for r in range(1, rounds + 1)]
t = [json.load(open(f"{work}/torch{r}.json"))["bench"]["samples_per_s"] for r in range(1, rounds + 1)]
print(f"fashion_resnet (ResNet-20 style, 272,186 parameters), 2 ranks x batch 64, {steps} steps, {rounds} interleaved rounds")
print("  dptrain     samples/s " + " ".join(f"{v:7.1f}" for v in d) + f"   median {statistics.median(d):7.1f}")
print("  PyTorch DDP samples/s " + " ".join(f"{v:7.1f}" for v in t) + f"   median {statistics.median(t):7.1f}")
print(f"  ratio dptrain / PyTorch: {statistics.median(d) / statistics.median(t):.2f}x")
PY
