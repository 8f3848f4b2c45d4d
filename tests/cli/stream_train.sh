#!/usr/bin/env bash
# Streaming mode end to end through the executable on 2 ranks: data.memory_budget set with --set
# (well below the training split), a few epochs with step checkpoints, then a resume from a
# checkpoint inside an epoch that must end with the same final train loss as the uninterrupted run.
set -euo pipefail
mpiexec=$1 bin=$2
work=$(mktemp -d /tmp/dptrain-stream-XXXXXX)
trap 'rm -rf "$work"' EXIT
common=(train -q -c good.yaml --set data.memory_budget=6KiB --set data.block_rows=8 --set train.epochs=3
        --set train.batch_size=8 --set checkpoint.every_epoch=false)
timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --out "$work/whole" < /dev/null
grep -q "streaming (data.memory_budget = 6KiB)" "$work/whole/train.log"
python3 - "$work/whole/metrics.jsonl" <<'PY'
import json, math, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
epochs = [r for r in recs if "epoch" in r]
assert len(epochs) == 3, recs
assert all(math.isfinite(r["train_loss"]) and r["data_s"] >= 0 for r in epochs), epochs
PY
# Stop at step 13 (inside epoch 2 of 8 steps each) with a checkpoint, resume to the end.
timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --set train.max_steps=13 --set checkpoint.every_steps=13 \
  --out "$work/part" < /dev/null
timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --out "$work/part" --resume auto < /dev/null
grep -q "resumed from .* at step 13" "$work/part/train.log"
python3 - "$work/whole/metrics.jsonl" "$work/part/metrics.jsonl" <<'PY'
import json, sys
last = [[json.loads(l) for l in open(p) if '"epoch"' in l][-1] for p in sys.argv[1:]]
assert last[0]["train_loss"] == last[1]["train_loss"], last
PY
echo ok
