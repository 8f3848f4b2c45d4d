#!/usr/bin/env bash
# bench/compare_pytorch.sh [MODEL] [MODE] [EPOCHS]
#   MODEL: mlp (default) | cnn       MODE: train (default) | bench
# dptrain and the PyTorch DDP peer (../shared/bench/pytorch) on the same data, model and
# hyper-parameters (SGD lr 0.05 momentum 0.9 constant, 2 ranks, per-rank batch 64), one after the
# other in the same sitting, and their ratio:
#   train: median epoch samples/s of a real training run (EPOCHS, default 10 for mlp, 3 for cnn)
#   bench: samples/s of 200 timed steps on in-memory data (dptrain bench / ddp_train.py --bench-steps),
#          and the peak RSS of the largest process of each (dptrain: its largest rank)
# Needs: cluster/install-deps.sh --torch, a built dptrain (DPTRAIN_BIN to pick another build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER:-$root/../shared/bench/pytorch}
model=${1:-mlp} mode=${2:-train}
case "$model" in mlp) epochs=${3:-10} ;; cnn) epochs=${3:-3} ;; *) echo "MODEL must be mlp or cnn" >&2; exit 2 ;; esac
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -f "$peer/ddp_train.py" ] || { echo "compare_pytorch.sh: PyTorch peer not found at $peer (set PEER=)" >&2; exit 2; }
[ -x "$bin" ] || { echo "compare_pytorch.sh: build dptrain first" >&2; exit 2; }
work=$(mktemp -d /tmp/dptrain-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
data=${DATA:-$root/data/fashion_mnist.h5}
[ -f "$data" ] || { mkdir -p "$(dirname "$data")"; "$bin" prepare fashion-mnist --out "$data"; }
cfg=$root/launch/configs/fashion_$model.yaml
common=(--set data.file="$data" --set schedule.name=constant --set train.batch_size=128 --set optimizer.name=sgd
        --set optimizer.lr=0.05 --set optimizer.momentum=0.9)
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# torch_peer ARGS...: runs ddp_train.py and writes the peak RSS (MB) of its largest process (the
# launcher or one rank; ru_maxrss of the waited-for children) to $work/torch_rss, like dptrain's
# peak_rss_mb (the largest rank).
torch_peer() {
  (cd "$peer" && /usr/bin/python3 -c '
import resource, subprocess, sys
rc = subprocess.call([sys.executable, "ddp_train.py"] + sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
sys.exit(rc)' "$work/torch_rss" "$@" < /dev/null > "$work/torch.log" 2>&1) || { cat "$work/torch.log"; exit 1; }
}

if [ "$mode" = bench ]; then
  mpirun -np 2 --map-by slot:PE=$(( $(nproc) / 2 )) --bind-to core "$bin" bench -c "$cfg" "${common[@]}" \
    < /dev/null > "$work/dpt.json" 2> "$work/dpt.log" || { cat "$work/dpt.log"; exit 1; }
  torch_peer --model "$model" --world-size 2 --batch 64 --bench-steps 200 --data "$data" --out "$work/torch.json"
else
  DPTRAIN_BIN=$bin "$root/launch/local.sh" 2 "$cfg" -q --out "$work/dpt" "${common[@]}" --set train.epochs="$epochs" \
    --set checkpoint.every_epoch=false < /dev/null > "$work/dpt.log" 2>&1 || { cat "$work/dpt.log"; exit 1; }
  torch_peer --model "$model" --world-size 2 --batch 64 --epochs "$epochs" --data "$data" --out "$work/torch.json"
fi

/usr/bin/python3 - "$mode" "$model" "$work" <<'PY'
import json, statistics, sys
mode, model, work = sys.argv[1:4]
torch = json.load(open(f"{work}/torch.json"))
if mode == "bench":
    d = json.load(open(f"{work}/dpt.json"))
    ds, ts = d["samples_per_s"], torch["bench"]["samples_per_s"]
    print(f"{model} bench, 2 ranks x batch 64, 200 steps on in-memory data, same sitting")
    print(f"  dptrain     {ds:9.0f} samples/s  step {d['step_ms']['median']:.2f} ms median, "
          f"{d['fraction_of_sgemm']:.0%} of the sgemm rate at the model's shapes; breakdown ms "
          + ", ".join(f"{k} {v:.2f}" for k, v in d["breakdown_ms"].items()))
    print(f"  PyTorch DDP {ts:9.0f} samples/s")
    rss = float(open(f"{work}/torch_rss").read())
    print(f"  peak RSS, largest process: dptrain {d['peak_rss_mb']:.0f} MB, PyTorch DDP {rss:.0f} MB "
          f"(dptrain / PyTorch {d['peak_rss_mb'] / rss:.2f}x)")
else:
    dpt = [json.loads(l) for l in open(f"{work}/dpt/metrics.jsonl") if '"event"' not in l]
    ds = statistics.median(r["samples_per_s"] for r in dpt)
    ts = torch["summary"]["median_samples_per_s"]
    print(f"{model} training, 2 ranks x batch 64, {len(dpt)} epochs, same sitting (median epoch)")
    print(f"  dptrain     {ds:9.0f} samples/s  final test accuracy {dpt[-1]['test_accuracy']:.4f}")
    print(f"  PyTorch DDP {ts:9.0f} samples/s  final test accuracy {torch['epochs'][-1]['test_acc']:.4f}")
print(f"  ratio dptrain / PyTorch DDP: {ds / ts:.2f}x")
PY
