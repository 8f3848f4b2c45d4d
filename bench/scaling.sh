#!/usr/bin/env bash
# bench/scaling.sh [ROUNDS] [STEPS]
# Weak scaling of 2 ranks against 1, over shared memory and over TCP between the two
# network-namespace hosts of cluster/ (h1, h2: one rank each, 1 core each, TCP over a veth pair,
# `tc tbf` rate limits), for the MLP and the CNN example (per-rank batch 64, 1 thread per rank,
# `dptrain bench` on synthetic batches), with and without comm.compress=bf16.
# Efficiency = samples/s of 2 ranks / (2 x samples/s of 1 rank). Every configuration runs once per
# round, rounds interleaved (default 3, STEPS timed steps each, default 200), medians reported.
# Env: RATES (default "none 10gbit 1gbit"), COMPRESS (default "none bf16"), OVERLAP (default
# "true"; "true false" adds comm.overlap=false), MODELS (default "mlp cnn"), PREDICT (default 1:
# also check `dptrain bench --predict-nodes` against the measurement, docs/scaling.md: every 2-rank
# run predicts its own step from a link calibrated on its ranks, and for each tbf rate a 1-rank run
# predicts the 2-host step from that rate's --link preset; a second table compares them; 0: off),
# WAIT_IDLE (seconds, default 0: before each run wait up to this long for 2 s in which the CPUs
# are >= 80 % idle; on a shared machine other work otherwise decides the numbers; the log says
# how many runs started without such a window).
# PER_HOST=2: instead, the hierarchical sum (comm.hierarchical) against the flat one with 2 ranks on
# each host (4 ranks, per-rank batch 64, shared memory within a host, TCP between them): for each
# model and rate (RATES, default "10gbit 1gbit"), comm.hierarchical=off and =on in interleaved
# rounds; medians of samples/s and their ratio, and the load average at each run's start.
# Needs root (network namespaces), iproute2 (cluster/install-deps.sh --slurm), a built dptrain
# (DPTRAIN_BIN), data/fashion_mnist.h5 (made when missing). Leaves h1/h2 down unless they were up.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3} steps=${2:-200}
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -x "$bin" ] || { echo "scaling.sh: build dptrain first ($bin)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "scaling.sh: needs root (network namespaces)" >&2; exit 2; }
data=${DATA:-$root/data/fashion_mnist.h5}
[ -f "$data" ] || { mkdir -p "$(dirname "$data")"; "$bin" prepare fashion-mnist --out "$data"; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/dptrain-scaling-XXXXXX)
was_up=0; [ -e /run/netns/h1 ] && was_up=1
cleanup() { [ "$was_up" -eq 1 ] || bash "$root/cluster/netns-down.sh" > /dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "scaling.sh: keeping $work" >&2
bash "$root/cluster/netns-up.sh" > /dev/null 2>&1
printf 'h1 slots=1\nh2 slots=1\n' > "$work/hostfile"
printf 'rank 0=h1 slot=0\nrank 1=h2 slot=%d\n' $(( $(nproc) > 1 ? 1 : 0 )) > "$work/rankfile"
tcp=(mpirun -np 2 --hostfile "$work/hostfile" --rankfile "$work/rankfile" --mca plm_rsh_agent "$root/cluster/netns-rsh.sh"
     --mca btl tcp,self --mca btl_tcp_if_include 10.99.0.0/24 --mca oob_tcp_if_include 10.99.0.0/24
     -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
cmd_for() {  # cmd_for MODEL GLOBAL_BATCH KEY=VALUE...: the bench command line in CMD
  local model=$1 batch=$2; shift 2
  CMD=("$bin" bench -c "$root/launch/configs/fashion_$model.yaml" --set data.file="$data"
       --set train.batch_size="$batch" --set runtime.threads=1 --steps "$steps" --warmup 20)
  for s in "$@"; do CMD+=(--set "$s"); done
}
rate_now=""
set_rate() { [ "$rate_now" = "$1" ] || { bash "$root/cluster/netns-up.sh" --rate "$1" > /dev/null 2>&1; rate_now=$1; }; }
idle_pct() {  # the CPUs' idle share over 2 s, in %
  local a b c d u n s i w q sq st
  read -r _ u n s i w q sq st _ < /proc/stat; a=$((u + n + s + q + sq + st)); b=$((a + i + w))
  sleep 2
  read -r _ u n s i w q sq st _ < /proc/stat; c=$((u + n + s + q + sq + st)); d=$((c + i + w))
  echo $((100 - 100 * (c - a) / (d - b)))
}
busy_starts=0
wait_idle() {
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "${WAIT_IDLE:-0}" ]; do [ "$(idle_pct)" -ge 80 ] && return; done
  [ "${WAIT_IDLE:-0}" -gt 0 ] && busy_starts=$((busy_starts + 1))
  return 0
}
run_one() {  # run_one KEY ROUND: one measurement into $work/KEY.ROUND.json
  local key=$1 r=$2 model place rate comp ovl
  wait_idle
  IFS=: read -r model place rate comp ovl <<<"$key"
  local out="$work/$key.$r.json"
  case "$place" in
    one) cmd_for "$model" 64 comm.compress="$comp" comm.overlap="$ovl"
         [ "$rate" = - ] || CMD+=(--predict-nodes 2 --link "$rate")
         "${CMD[@]}" < /dev/null > "$out" 2>> "$work/log" ;;
    shm) cmd_for "$model" 128 comm.compress="$comp" comm.overlap="$ovl"
         [ "$predict" = 1 ] && CMD+=(--predict-nodes 2)
         mpirun -np 2 --bind-to core "${CMD[@]}" < /dev/null > "$out" 2>> "$work/log" ;;
    tcp) set_rate "$rate"
         cmd_for "$model" 128 comm.compress="$comp" comm.overlap="$ovl"
         [ "$predict" = 1 ] && CMD+=(--predict-nodes 2)
         "$root/cluster/nsrun.sh" h1 "${tcp[@]}" "${CMD[@]}" < /dev/null > "$out" 2>> "$work/log" ;;
  esac
}
if [ "${PER_HOST:-1}" = 2 ]; then  # hierarchical vs flat, 2 ranks per host
  # ranks 0, 1 on h1 and 2, 3 on h2, unbound (4 ranks, 2 cores: waiting ranks must yield); vader: shared
  # memory within a host
  tcp4=(mpirun -np 4 --host h1:2,h2:2 --map-by ppr:2:node --bind-to none --mca mpi_yield_when_idle 1 --mca plm_rsh_agent "$root/cluster/netns-rsh.sh"
        --mca btl tcp,vader,self --mca btl_tcp_if_include 10.99.0.0/24 --mca oob_tcp_if_include 10.99.0.0/24
        -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
  keys=()
  for m in ${MODELS:-mlp cnn}; do
    for rate in ${RATES:-10gbit 1gbit}; do for h in off on; do keys+=("$m:$rate:$h"); done; done
  done
  for r in $(seq "$rounds"); do
    for k in "${keys[@]}"; do
      IFS=: read -r model rate h <<<"$k"
      wait_idle
      set_rate "$rate"
      cmd_for "$model" 256 comm.hierarchical="$h"
      echo "$k.$r $(cut -d' ' -f1 /proc/loadavg)" >> "$work/load"
      "$root/cluster/nsrun.sh" h1 "${tcp4[@]}" "${CMD[@]}" < /dev/null > "$work/$k.$r.json" 2>> "$work/log" \
        || { tail -20 "$work/log"; exit 1; }
    done
  done
  set_rate none
  grep -m1 "comm.hierarchical" "$work/log" || true
  python3 - "$work" "$rounds" "$steps" "${keys[@]}" <<'PY'
import json, statistics, sys
work, rounds, steps, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
load = dict(l.split() for l in open(f"{work}/load"))
def runs(k):
    return [json.load(open(f"{work}/{k}.{r}.json"))["samples_per_s"] for r in range(1, rounds + 1)]
print(f"2 hosts x 2 ranks (per-rank batch 64, 1 thread per rank), {rounds} interleaved rounds x {steps} steps, medians")
print(f"{'model':5} {'link':8} {'flat':>9} {'hier.':>9} {'hier./flat':>10}  load at start (flat | hier.)")
for k in keys:
    model, rate, h = k.split(":")
    if h != "off":
        continue
    on = f"{model}:{rate}:on"
    f, o = statistics.median(runs(k)), statistics.median(runs(on))
    loads = lambda key: " ".join(load[f"{key}.{r}"] for r in range(1, rounds + 1))
    print(f"{model:5} {rate:8} {f:9.0f} {o:9.0f} {o / f:10.2f}  {loads(k)} | {loads(on)}")
PY
  exit 0
fi
predict=${PREDICT:-1}
keys=()
for m in ${MODELS:-mlp cnn}; do
  keys+=("$m:one:-:none:true")
  for c in ${COMPRESS:-none bf16}; do
    for o in ${OVERLAP:-true}; do
      keys+=("$m:shm:-:$c:$o")
      for rate in ${RATES:-none 10gbit 1gbit}; do
        keys+=("$m:tcp:$rate:$c:$o")
        [ "$predict" = 1 ] && [ "$rate" != none ] && keys+=("$m:one:$rate:$c:$o")
      done
    done
  done
done
for r in $(seq "$rounds"); do
  for k in "${keys[@]}"; do run_one "$k" "$r" || { tail -20 "$work/log"; exit 1; }; done
done
set_rate none
[ "${WAIT_IDLE:-0}" -gt 0 ] && echo "scaling.sh: $busy_starts of $((rounds * ${#keys[@]})) runs started without an idle window"
python3 - "$work" "$rounds" "$steps" "${keys[@]}" <<'PY'
import json, statistics, sys
work, rounds, steps, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def med(k):
    return statistics.median(json.load(open(f"{work}/{k}.{r}.json"))["samples_per_s"]
                             for r in range(1, rounds + 1))
print(f"weak scaling, 2 ranks vs 1 (per-rank batch 64, 1 thread per rank), {rounds} interleaved rounds x {steps} steps, medians")
print(f"{'model':5} {'link':12} {'compress':8} {'overlap':7} {'samples/s':>10} {'efficiency':>10}")
base = {}
for k in keys:
    model, place, rate, comp, ovl = k.split(":")
    if place == "one" and rate != "-":
        continue  # a 1-rank prediction run (the table below)
    s = med(k)
    if place == "one":
        base[model] = s
        print(f"{model:5} {'1 rank':12} {'-':8} {'-':7} {s:10.0f} {'':>10}")
        continue
    link = "shm" if place == "shm" else f"TCP {rate if rate != 'none' else 'no limit'}"
    print(f"{model:5} {link:12} {comp:8} {ovl:7} {s:10.0f} {100 * s / (2 * base[model]):9.0f} %")
if not any("prediction" in json.load(open(f"{work}/{k}.1.json")) for k in keys):
    sys.exit(0)
def medf(k, f):
    return statistics.median(f(json.load(open(f"{work}/{k}.{r}.json"))) for r in range(1, rounds + 1))
row2 = lambda j: j["prediction"]["rows"][0]
print()
print("predicted (bench --predict-nodes 2) vs measured, 2 ranks; medians; efficiency against the 1-rank run")
print(f"{'model':5} {'link':12} {'compress':8} {'overlap':7} {'step ms':>8} {'efficiency':>10}"
      f" {'calibrated: step ms':>19} {'eff.':>5} {'preset, from 1 rank: step ms':>28} {'eff.':>5}")
for k in keys:
    model, place, rate, comp, ovl = k.split(":")
    if place == "one":
        continue
    step = medf(k, lambda j: j["step_ms"]["median"])
    eff = 100 * med(k) / (2 * base[model])
    cal = medf(k, lambda j: row2(j)["step_ms"])
    cal_eff = medf(k, lambda j: 100 * row2(j)["efficiency"])
    pre = pre_eff = ""
    one = f"{model}:one:{rate}:{comp}:{ovl}"
    if place == "tcp" and one in keys:
        pre = f"{medf(one, lambda j: row2(j)['step_ms']):.2f} ({100 * (medf(one, lambda j: row2(j)['step_ms']) / step - 1):+.0f} %)"
        pre_eff = f"{medf(one, lambda j: 100 * row2(j)['efficiency']):.0f} %"
    link = "shm" if place == "shm" else f"TCP {rate if rate != 'none' else 'no limit'}"
    print(f"{model:5} {link:12} {comp:8} {ovl:7} {step:8.2f} {eff:9.0f} % "
          f"{cal:10.2f} ({100 * (cal / step - 1):+4.0f} %) {cal_eff:4.0f} % {pre:>28} {pre_eff:>5}")
PY
