#!/usr/bin/python3
"""The report of bench/compare_peers.sh: reads WORK/{dptrain,libtorch_mpi,pytorch_ddp}.ROUND.json and
prints each round's samples/s, the medians, the ratios, dptrain's fraction of the sgemm rate and one
JSON line. samples/s = global batch / rank 0's median step time for all three programs.

    peers_report.py WORK MODEL ROUNDS STEPS WARMUP PARAMS LOAD_START LOAD_END [PER_RANK_BATCH [PROGRAMS]]

PER_RANK_BATCH: default 64 (2 ranks); PROGRAMS: the programs that ran, space-separated (default all
three; the science models have no libtorch peer).
"""
import json
import statistics
import sys

work, model = sys.argv[1], sys.argv[2]
rounds, steps, warmup, params = (int(v) for v in sys.argv[3:7])
load = {"start": sys.argv[7], "end": sys.argv[8]}
PER_RANK = int(sys.argv[9]) if len(sys.argv) > 9 else 64
GLOBAL = 2 * PER_RANK
NAMES = {"dptrain": "dptrain", "libtorch_mpi": "libtorch+MPI", "pytorch_ddp": "PyTorch DDP"}
if len(sys.argv) > 10:
    NAMES = {p: n for p, n in NAMES.items() if p in sys.argv[10].split()}


def read(prog):
    rows = []
    for r in range(1, rounds + 1):
        with open(f"{work}/{prog}.{r}.json") as f:
            rows.append(json.load(f))
    return rows


def measures(prog, j):
    """(samples/s by the median step, wall-clock samples/s or None, parameter count) of one run."""
    if prog == "dptrain":
        return j["samples_per_s"], None, j["parameters"]
    if prog == "libtorch_mpi":
        return j["samples_per_s_median_step"], j["samples_per_s"], j["parameters"]
    b = j["bench"]
    return GLOBAL / (b["full_step"]["median_ms"] / 1e3), b["samples_per_s"], j["config"]["n_params"]


runs = {p: read(p) for p in NAMES}
sps, wall = {}, {}
for p, rows in runs.items():
    m = [measures(p, j) for j in rows]
    bad = {c for _, _, c in m if c != params}
    if bad:
        sys.exit(f"compare_peers.sh: {NAMES[p]} ran a {model} with {sorted(bad)} parameters, not {params}: "
                 "the programs do not run the same network")
    sps[p] = [s for s, _, _ in m]
    if m[0][1] is not None:
        wall[p] = [w for _, w, _ in m]
med = {p: statistics.median(v) for p, v in sps.items()}
ratio = {f"dptrain/{p}": med["dptrain"] / med[p] for p in NAMES if p != "dptrain"}
sgemm = statistics.median(j["fraction_of_sgemm"] for j in runs["dptrain"])

print(f"{model} ({params:,} parameters), 2 ranks x batch {PER_RANK}, {steps} timed steps after {warmup} warm-up, "
      f"{rounds} interleaved rounds; samples/s = {GLOBAL} / rank 0's median step")
print(f"  {'':13}" + "".join(f" {'round ' + str(r):>9}" for r in range(1, rounds + 1)) + f" {'median':>9}")
for p, name in NAMES.items():
    print(f"  {name:13}" + "".join(f" {v:9.1f}" for v in sps[p]) + f" {med[p]:9.1f}")
print("  ratio of the medians: " + ", ".join(f"dptrain / {NAMES[k.split('/')[1]]} {v:.2f}x" for k, v in ratio.items()))
print(f"  dptrain: {sgemm:.0%} of the sgemm rate at the model's shapes (median of the rounds)")
print("  the peers' wall-clock samples/s (timed steps / wall time), medians: "
      + ", ".join(f"{NAMES[p]} {statistics.median(v):.1f}" for p, v in wall.items()))
print(f"  load average (1, 5, 15 min): {load['start']} at the start, {load['end']} at the end")
print(json.dumps({"model": model, "parameters": params, "ranks": 2, "per_rank_batch": PER_RANK, "rounds": rounds,
                  "steps": steps, "warmup": warmup, "samples_per_s": sps,
                  "median": {p: round(v, 1) for p, v in med.items()},
                  "ratio": {k: round(v, 3) for k, v in ratio.items()},
                  "dptrain_fraction_of_sgemm": round(sgemm, 3),
                  "wall_samples_per_s_median": {p: round(statistics.median(v), 1) for p, v in wall.items()},
                  "loadavg": load}))
