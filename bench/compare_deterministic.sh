#!/usr/bin/env bash
# bench/compare_deterministic.sh [ROUNDS]
# The speed cost of train.deterministic (docs/reproducibility.md): `dptrain bench` on the
# Fashion-MNIST MLP and CNN, 2 ranks x per-rank batch 64, with deterministic off, on with
# micro_shards 2 (one micro-shard per rank) and on with micro_shards 4 (two per rank), interleaved
# ROUNDS times (default 3) in one sitting; prints the median samples/s of each and its ratio to off.
# Needs a built dptrain (DPTRAIN_BIN to pick another build) and data/fashion_mnist.h5 (made if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -x "$bin" ] || { echo "compare_deterministic.sh: build dptrain first" >&2; exit 2; }
data=${DATA:-$root/data/fashion_mnist.h5}
[ -f "$data" ] || { mkdir -p "$(dirname "$data")"; "$bin" prepare fashion-mnist --out "$data"; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/dptrain-det-XXXXXX)
trap 'rm -rf "$work"' EXIT
modes=("off:train.deterministic=false" "s2:train.deterministic=true --set train.micro_shards=2"
       "s4:train.deterministic=true --set train.micro_shards=4")
for model in mlp cnn; do
  steps=200; [ "$model" = cnn ] && steps=60
  for round in $(seq "$rounds"); do
    for m in "${modes[@]}"; do
      name=${m%%:*} set=${m#*:}
      # shellcheck disable=SC2086
      mpirun -np 2 --map-by slot:PE=$(( $(nproc) / 2 )) --bind-to core "$bin" bench \
        -c "$root/launch/configs/fashion_$model.yaml" --steps "$steps" --set data.file="$data" \
        --set train.batch_size=128 --set $set < /dev/null > "$work/$model-$name-$round.json" 2> "$work/log" \
        || { cat "$work/log"; exit 1; }
    done
  done
done
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
for model in ("mlp", "cnn"):
    med = {}
    for name in ("off", "s2", "s4"):
        runs = [json.load(open(f"{work}/{model}-{name}-{r}.json")) for r in range(1, rounds + 1)]
        med[name] = statistics.median(r["samples_per_s"] for r in runs)
        comm = statistics.median(r["breakdown_ms"]["comm_exposed"] for r in runs)
        print(f"{model} {name:>3}: {med[name]:8.0f} samples/s  comm+sum {comm:.2f} ms/step  "
              f"ratio to off {med[name] / med['off']:.3f}")
PY
