#!/usr/bin/env bash
# dptrain bench prints one JSON object with the fields the performance issue asks for, with sane
# values, on 1 and 2 ranks.
set -euo pipefail
mpiexec=$1 dptrain=$2
for np in 1 2; do
  out=$(timeout 120 "$mpiexec" -n $np "$dptrain" bench -c good.yaml --steps 20 --warmup 2 2>/dev/null < /dev/null)
  python3 - "$np" "$out" <<'PY'
import json, sys
np, r = int(sys.argv[1]), json.loads(sys.argv[2])
for k in ["samples_per_s", "step_ms", "breakdown_ms", "gflops_per_s_per_rank", "sgemm_gflops_per_s",
          "fraction_of_sgemm", "peak_rss_mb", "ranks", "threads_per_rank", "global_batch", "per_rank_batch", "blas", "parameters"]:
    assert k in r, f"missing {k}: {r}"
assert r["parameters"] == 12 * 8 + 8 + 8 * 4 + 4, r  # good.yaml: dense 12 -> 8 -> 4
assert r["ranks"] == np and r["global_batch"] == 16 and r["per_rank_batch"] == 16 // np, r
assert set(r["breakdown_ms"]) == {"data", "forward", "backward", "comm_exposed", "optimizer"}, r
assert all(v >= 0 for v in r["breakdown_ms"].values()), r
assert 0 < r["step_ms"]["median"] <= r["step_ms"]["p90"], r
parts = sum(r["breakdown_ms"].values())
assert parts <= 3 * r["step_ms"]["p90"] + 1, (parts, r)  # the parts are the step's (means vs median)
assert abs(r["samples_per_s"] - 16 / (r["step_ms"]["median"] / 1e3)) < 1e-6 * r["samples_per_s"], r
assert r["sgemm_gflops_per_s"] > 0 and r["fraction_of_sgemm"] > 0 and 0 < r["peak_rss_mb"] < 4096, r
print(f"ok: {np} ranks, {r['samples_per_s']:.0f} samples/s")
PY
done
