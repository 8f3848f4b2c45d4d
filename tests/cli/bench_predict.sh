#!/usr/bin/env bash
# dptrain bench --predict-nodes on 1 and 2 ranks: the table on stderr, the "prediction" object in
# the JSON, its rows recomputed here from its own profile and link by the formulas of
# docs/scaling.md (an independent implementation), the calibrated link on 2 ranks, and the one-rank
# refusal without --link.
set -euo pipefail
mpiexec=$1 dptrain=$2
err=$(mktemp); trap 'rm -f "$err"' EXIT
check() {  # check NP JSON STDERR_FILE WANT_SOURCE WANT_ALPHA_US
  python3 - "$@" <<'PY'
import json, math, sys
np, r, table, source, alpha_us = int(sys.argv[1]), json.loads(sys.argv[2]), open(sys.argv[3]).read(), sys.argv[4], sys.argv[5]
p = r["prediction"]
assert p["link"]["source"].startswith(source), p["link"]
if alpha_us != "-":
    assert abs(p["link"]["alpha_us"] - float(alpha_us)) < 1e-9, p["link"]
assert p["link"]["alpha_us"] > 0 and p["link"]["beta_ns_per_byte"] > 0, p["link"]
prof = p["profile"]
assert prof["overlap"] is True and len(prof["buckets"]) >= 1, prof
assert all(0 <= b["ready_ms"] <= prof["backward_ms"] + 1e-9 and b["bytes"] > 0 for b in prof["buckets"]), prof
alpha, beta = p["link"]["alpha_us"] * 1e-6, p["link"]["beta_ns_per_byte"] * 1e-9
def allreduce(n, P):
    k = math.ceil(math.log2(P))
    return min(k * (alpha + n * beta), 2 * (P - 1) * alpha + 2 * (P - 1) / P * n * beta,
               2 * k * alpha + 2 * (P - 1) / P * n * beta)
f, b, a = prof["before_backward_ms"] * 1e-3, prof["backward_ms"] * 1e-3, prof["after_ms"] * 1e-3
assert [row["nodes"] for row in p["rows"]] == [2, 8] and [row["ranks"] for row in p["rows"]] == [2, 8], p["rows"]
for row in p["rows"]:
    end = 0.0
    for bk in prof["buckets"]:
        end = max(end, f + bk["ready_ms"] * 1e-3) + allreduce(bk["bytes"], row["ranks"])
    step = max(f + b, end) + a
    assert abs(row["step_ms"] - step * 1e3) < 1e-6 * step * 1e3, (row, step)
    assert abs(row["efficiency"] - (f + b + a) / step) < 1e-9, row
    assert abs(row["samples_per_s"] - r["per_rank_batch"] * row["ranks"] / step) < 1e-6 * row["samples_per_s"], row
    assert 0 < row["efficiency"] <= 1 and row["comm_exposed_ms"] >= 0, row
    assert f"{row['nodes']:>6} {row['ranks']:>6} {row['step_ms']:>10.3f}" in table, (row, table)
assert p["rows"][1]["comm_ms"] > p["rows"][0]["comm_ms"], p["rows"]  # 8 nodes: more hops, same bytes
assert p["rows"][1]["step_ms"] >= p["rows"][0]["step_ms"], p["rows"]
assert p["this_job"]["ranks"] == np and p["this_job"]["measured_step_ms"] == r["step_ms"]["median"], p["this_job"]
assert "predicted weak scaling" in table, table
print(f"ok: {np} ranks, {p['link']['source']}: 2 nodes {p['rows'][0]['efficiency']:.0%}, 8 nodes {p['rows'][1]['efficiency']:.0%}")
PY
}
bench=(bench -c good.yaml --steps 20 --warmup 2 --predict-nodes 2,8)
for np in 1 2; do
  out=$(timeout 120 "$mpiexec" -n $np "$dptrain" "${bench[@]}" --link 10gbit 2>"$err" < /dev/null)
  check $np "$out" "$err" "preset 10gbit" 10
  out=$(timeout 120 "$mpiexec" -n $np "$dptrain" "${bench[@]}" --link 1gbit --latency-us 50 2>"$err" < /dev/null)
  check $np "$out" "$err" "preset 1gbit" 50
done
out=$(timeout 120 "$mpiexec" -n 2 "$dptrain" "${bench[@]}" 2>"$err" < /dev/null)
check 2 "$out" "$err" "calibrated: all-reduces on this job's 2 ranks" -
python3 -c 'import json,sys; f=json.loads(sys.argv[1])["prediction"]["link"]["fit"]; assert len(f["points"]) == 5 and f["A_us"] > 0 and f["B_ns_per_byte"] > 0, f' "$out"
# --ranks-per-node 4: P = 4 x nodes; each row also predicts comm.hierarchical: per bucket a node
# reduce and broadcast, 2 ceil(log2 4) x (1 us + n / 5 GB/s), around the leaders' all-reduce.
out=$(timeout 120 "$mpiexec" -n 1 "$dptrain" "${bench[@]}" --link 10gbit --ranks-per-node 4 2>"$err" < /dev/null)
python3 - "$out" "$err" <<'PY'
import json, math, sys
p, table = json.loads(sys.argv[1])["prediction"], open(sys.argv[2]).read()
alpha, beta = p["link"]["alpha_us"] * 1e-6, p["link"]["beta_ns_per_byte"] * 1e-9
def allreduce(n, P):
    if P == 1:
        return 0.0
    k = math.ceil(math.log2(P))
    return min(k * (alpha + n * beta), 2 * (P - 1) * alpha + 2 * (P - 1) / P * n * beta,
               2 * k * alpha + 2 * (P - 1) / P * n * beta)
prof = p["profile"]
f, b, a = prof["before_backward_ms"] * 1e-3, prof["backward_ms"] * 1e-3, prof["after_ms"] * 1e-3
assert p["ranks_per_node"] == 4 and [r["ranks"] for r in p["rows"]] == [8, 32], p["rows"]
for row in p["rows"]:
    for cost, got in ((lambda n: allreduce(n, row["ranks"]), row),
                      (lambda n: 2 * 2 * (1e-6 + n / 5e9) + allreduce(n, row["nodes"]), row["hierarchical"])):
        end = 0.0
        for bk in prof["buckets"]:
            end = max(end, f + bk["ready_ms"] * 1e-3) + cost(bk["bytes"])
        step = max(f + b, end) + a
        assert abs(got["step_ms"] - step * 1e3) < 1e-6 * step * 1e3, (row, step)
        assert abs(got["efficiency"] - (f + b + a) / step) < 1e-9, row
    assert f"hierarchical: step {row['hierarchical']['step_ms']:.3f} ms" in table, table
print(f"ok: 4 ranks per node: 8 nodes flat {p['rows'][1]['efficiency']:.0%}, hierarchical {p['rows'][1]['hierarchical']['efficiency']:.0%}")
PY
# comm.compress: powersgd on 1 rank (which compresses nothing): the profile carries the low-rank
# wire size. good.yaml at rank 1: W1 (8, 12) as (8 + 12) x 1, W2 (4, 8) as (4 + 8) x 1, the biases
# 8 + 4: 44 floats, 176 bytes (uncompressed: 140 floats, 560 bytes).
out=$(timeout 120 "$mpiexec" -n 1 "$dptrain" "${bench[@]}" --link 1gbit --set comm.compress=powersgd \
      --set comm.powersgd_rank=1 2>"$err" < /dev/null)
python3 -c 'import json,sys; b=json.loads(sys.argv[1])["prediction"]["profile"]["buckets"]; assert abs(sum(x["bytes"] for x in b) - 176) < 1e-9, b' "$out"
echo "ok: powersgd on 1 rank: 176 bytes a step in the profile"
# One rank has no link to calibrate: one error line, a non-zero exit.
rc=0; out=$(timeout 60 "$mpiexec" -n 1 "$dptrain" "${bench[@]}" 2>&1 < /dev/null) || rc=$?
[ $rc -ne 0 ] && [ $rc -lt 124 ] || { echo "FAIL: 1 rank without --link exited $rc"; echo "$out"; exit 1; }
[ "$(grep -c 'error:' <<<"$out")" -eq 1 ] || { echo "FAIL: expected one error line"; echo "$out"; exit 1; }
grep -q '^\[rank 0\] error: --predict-nodes on 1 rank needs --link' <<<"$out" || { echo "FAIL: $out"; exit 1; }
echo "ok: 1 rank without --link: $(grep 'error:' <<<"$out")"
