#!/usr/bin/env bash
# bench/compare_peers.sh [--check] MODEL [ROUNDS] [STEPS]      MODEL: mlp | cnn | resnet | cosmo3d | unet
# dptrain (`dptrain bench`), the PyTorch DDP peer and the libtorch + MPI peer on the same model, 2 ranks
# x per-rank batch 64 (global 128; cosmo3d and unet: 16, global 32), in ROUNDS interleaved rounds
# (default 3; each round runs the programs once, starting with a different one) of STEPS timed steps
# (default mlp 200, cnn 100, resnet 30, cosmo3d and unet 10)
# after max(3, STEPS/10) warm-up steps; prints each round's samples/s, the medians, the ratios
# dptrain / libtorch+MPI and dptrain / PyTorch DDP, dptrain's fraction of the sgemm rate, and one
# JSON line. samples/s = global batch / rank 0's median step time, for all three (dptrain bench's
# measure; the peers' wall-clock rates, timed steps / their wall time, are in the JSON too).
#   mlp, cnn: launch/configs/fashion_{mlp,cnn}.yaml = ../shared/bench/pytorch/ddp_train.py's nets,
#             SGD lr 0.05 momentum 0.9 constant (dptrain: schedule.name=constant).
#   resnet:   launch/configs/fashion_resnet.yaml = bench/pytorch_resnet.py = bench/libtorch_peer's
#             --model resnet: the config's SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 0.0005)
#             and augmentation (pad 2 + random crop, flip with probability 1/2, per sample, inside the
#             timed step) in all three.
#   cosmo3d, unet: launch/configs/cosmo3d.yaml, unet_shapes.yaml = bench/pytorch_science.py's nets
#             (Adam, lr 0.001; data/cosmo3d.h5, data/shapes2d.h5 from datasets/, made when missing);
#             no libtorch peer: dptrain and PyTorch DDP only.
# Identical in the three: the layers and parameter count (each program reports its count; a
# mismatch stops the script), per-rank batch, mean cross-entropy, gradients averaged over the ranks
# every step, batchnorm with each rank's batch statistics, one thread per core the rank gets.
# Not identical: the batch (dptrain bench: one fixed batch of uniform [0,1) values; PyTorch: one fixed
# real batch, x / 255; libtorch: a new real batch every step, gathered by index, x / 255 for mlp/cnn
# and x as in the resnet config, data.scale 1); the gradient sum (dptrain: buckets summed on a
# communication thread while backward runs, comm.overlap; PyTorch: DDP's gloo buckets overlapped
# with backward, plus its broadcast of batchnorm buffers each step; libtorch: one MPI_Allreduce
# after backward); placement (dptrain and libtorch: mpirun --map-by slot:PE=nproc/2 --bind-to core;
# PyTorch: spawned processes, unbound, nproc/2 threads each); dptrain places a barrier before each
# timed step, the peers do not; each draws its own augmentation randomness (PyTorch with tensor
# indexing over the batch, dptrain and libtorch with dptrain's per-sample loop); initial weights.
# --check: checks the arguments, this repository's files the run needs, and that dptrain builds
# MODEL's config with the peers' parameter count (1 rank, 1 step); runs no peer (ctest
# bench_compare_peers_check). Env: DPTRAIN_BIN, DATA, PEER (the PyTorch peer's directory, default
# ../shared/bench/pytorch), LIBTORCH_PEER (a built peer; default: bench/libtorch_peer/build.sh into
# build/libtorch_peer), CONFIGS (default launch/configs).
# Needs: cluster/install-deps.sh --torch --libtorch, a built dptrain, data/fashion_mnist.h5 (made
# when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: bench/compare_peers.sh [--check] MODEL [ROUNDS] [STEPS]   (MODEL: mlp | cnn | resnet | cosmo3d | unet)" >&2; exit 2; }
check=0
[ "${1:-}" = --check ] && { check=1; shift; }
model=${1:-}
batch=64 cfg_name=fashion_$model dataset=fashion_mnist
case "$model" in  # params: the peers' nets (ddp_train.py's docstring, bench/pytorch_resnet.py, pytorch_science.py)
  mlp) params=535818 default_steps=200 ;;
  cnn) params=184586 default_steps=100 ;;
  resnet) params=272186 default_steps=30 ;;
  cosmo3d) params=184610 default_steps=10 batch=16 cfg_name=cosmo3d dataset=cosmo3d ;;
  unet) params=116804 default_steps=10 batch=16 cfg_name=unet_shapes dataset=shapes2d ;;
  *) usage ;;
esac
science=0
case "$model" in cosmo3d | unet) science=1 ;; esac
rounds=${2:-3} steps=${3:-$default_steps}
[[ $rounds =~ ^[1-9][0-9]*$ && $steps =~ ^[1-9][0-9]*$ && $# -le 3 ]] || usage
warmup=$(( steps / 10 > 3 ? steps / 10 : 3 ))
cfg=${CONFIGS:-$root/launch/configs}/$cfg_name.yaml
peer=${PEER:-$root/../shared/bench/pytorch}
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
for f in "$cfg" "$root/bench/pytorch_resnet.py" "$root/bench/pytorch_science.py" "$root/bench/libtorch_peer/peer.cpp" "$root/bench/libtorch_peer/nets.hpp" \
         "$root/bench/libtorch_peer/CMakeLists.txt" "$root/bench/libtorch_peer/build.sh"; do
  [ -f "$f" ] || { echo "compare_peers.sh: missing $f" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "compare_peers.sh: build dptrain first ($bin)" >&2; exit 2; }
data=${DATA:-$root/data/$dataset.h5}
if [ ! -f "$data" ]; then
  if [ "$science" -eq 1 ]; then /usr/bin/python3 "$root/datasets/$dataset.py" --out "$data" >&2
  else mkdir -p "$(dirname "$data")"; "$bin" prepare fashion-mnist --out "$data"; fi
fi
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/dptrain-peers-XXXXXX)
trap 'rm -rf "$work"' EXIT
dpt=("$bin" bench -c "$cfg" --set data.file="$data")
[ "$model" = resnet ] || [ "$science" -eq 1 ] || dpt+=(--set schedule.name=constant --set optimizer.name=sgd --set optimizer.lr=0.05
                               --set optimizer.momentum=0.9)

if [ "$check" -eq 1 ]; then
  "${dpt[@]}" --set train.batch_size=$batch --steps 1 --warmup 0 < /dev/null > "$work/check.json" 2> "$work/check.log" \
    || { cat "$work/check.log" >&2; exit 1; }
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["parameters"])' "$work/check.json")
  [ "$got" = "$params" ] || { echo "compare_peers.sh: $cfg has $got parameters, the peers' $model $params" >&2; exit 1; }
  echo "compare_peers.sh --check $model: ok ($params parameters, $rounds rounds x $steps steps)"
  exit 0
fi

[ -f "$peer/ddp_train.py" ] || { echo "compare_peers.sh: PyTorch peer not found at $peer (set PEER=)" >&2; exit 2; }
export PEER=$peer  # bench/pytorch_resnet.py imports ddp_train.py from there
if [ "$science" -eq 0 ]; then
  ltp=${LIBTORCH_PEER:-$(bash "$root/bench/libtorch_peer/build.sh" "$root/build/libtorch_peer")}
  [ -x "$ltp" ] || { echo "compare_peers.sh: libtorch peer not found at $ltp" >&2; exit 2; }
fi
bind=(--map-by "slot:PE=$(( $(nproc) / 2 ))" --bind-to core)
lt=(--model "$model" --data "$data" --batch "$batch" --bench-steps "$steps" --warmup "$warmup")
[ "$model" = resnet ] && lt+=(--lr 0.1 --nesterov 1 --weight-decay 0.0005 --crop-padding 2 --hflip 1 --scale 1)
torch=(/usr/bin/python3 "$peer/ddp_train.py" --model "$model")
[ "$model" = resnet ] && torch=(/usr/bin/python3 "$root/bench/pytorch_resnet.py" --lr 0.1)
[ "$science" -eq 1 ] && torch=(/usr/bin/python3 "$root/bench/pytorch_science.py" --net "$model")
torch+=(--world-size 2 --batch "$batch" --bench-steps "$steps" --bench-warmup "$warmup" --data "$data")

run_one() {  # run_one PROGRAM ROUND: one measurement into $work/PROGRAM.ROUND.json
  local out="$work/$1.$2.json" log="$work/$1.log"
  case "$1" in
    dptrain) mpirun -np 2 "${bind[@]}" "${dpt[@]}" --set train.batch_size=$(( 2 * batch )) --steps "$steps" --warmup "$warmup" \
               < /dev/null > "$out" 2> "$log" ;;
    libtorch_mpi) mpirun -np 2 "${bind[@]}" "$ltp" "${lt[@]}" < /dev/null > "$log" 2>&1 && tail -1 "$log" > "$out" ;;
    pytorch_ddp) "${torch[@]}" --out "$out" < /dev/null > "$log" 2>&1 ;;
  esac || { echo "compare_peers.sh: $1 failed in round $2:" >&2; tail -20 "$log" >&2; exit 1; }
}
progs=(dptrain libtorch_mpi pytorch_ddp)
[ "$science" -eq 1 ] && progs=(dptrain pytorch_ddp)
np=${#progs[@]}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$rounds"); do
  for i in $(seq 0 $(( np - 1 ))); do
    p=${progs[$(( (r - 1 + i) % np ))]}
    echo "compare_peers.sh: round $r/$rounds: $p" >&2
    run_one "$p" "$r"
  done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
python3 "$root/bench/peers_report.py" "$work" "$model" "$rounds" "$steps" "$warmup" "$params" "$load0" "$load1" \
  "$batch" "${progs[*]}"
