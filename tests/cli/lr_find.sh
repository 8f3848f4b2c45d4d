#!/usr/bin/env bash
# dptrain lr-find on good.yaml (synthetic, separable) on 2 ranks: a JSON suggestion inside the
# range with the linear-scaling table, a CSV with one row per step taken and an increasing lr,
# a PNG; nothing of a run is written (no run directory, no checkpoint).
set -euo pipefail
mpiexec=$1 bin=$2
work=$(mktemp -d /tmp/dptrain-lrfind-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
before=$(ls)
timeout 60 "$mpiexec" -n 2 "$bin" lr-find -c good.yaml --set train.batch_size=32 --start 1e-4 --end 100 \
  --steps 120 --csv "$work/lr.csv" -o "$work/lr.png" --json < /dev/null > "$work/out" 2> "$work/err" \
  || { cat "$work/out" "$work/err"; fail "lr-find failed"; }
[ "$(ls)" = "$before" ] || fail "lr-find wrote into the working directory"
[ -s "$work/lr.png" ] || fail "no PNG"
python3 - "$work" <<'PY'
import csv, json, sys
work = sys.argv[1]
r = json.loads(open(f"{work}/out").read().strip().splitlines()[-1])
rows = list(csv.DictReader(open(f"{work}/lr.csv")))
lrs = [float(x["lr"]) for x in rows]
assert len(rows) == r["steps"] and 10 < len(rows) <= 120, (len(rows), r)
assert all(a < b for a, b in zip(lrs, lrs[1:])) and abs(lrs[0] - 1e-4) < 1e-9, lrs[:3]
assert 1e-4 < r["suggested_lr"] < 100 and abs(r["suggested_lr"] - r["min_loss_lr"] / 10) < 1e-9 * r["min_loss_lr"], r
assert r["global_batch"] == 32 and abs(r["linear_scaling"]["64"] - 2 * r["suggested_lr"]) < 1e-12, r
ema = 0.0  # the smoothed column is the bias-corrected moving average (beta 0.98) of the loss column
for i, x in enumerate(rows, 1):
    ema = 0.98 * ema + 0.02 * float(x["loss"])
    want = ema / (1 - 0.98 ** i)
    assert abs(float(x["smoothed_loss"]) - want) <= 2e-5 * abs(want), (i, x, want)
smooth = [float(x["smoothed_loss"]) for x in rows]
best = min(range(len(smooth)), key=smooth.__getitem__)
assert abs(r["min_loss_lr"] - lrs[best]) <= 1e-5 * lrs[best], (r, lrs[best])  # the minimum of the curve
assert smooth[best] < 0.9 * smooth[5], (smooth[5], smooth[best])  # the loss really fell
print(f"ok: suggested lr {r['suggested_lr']:.3g} after {r['steps']} steps (diverged: {r['diverged']})")
PY
echo "lr-find ok"
