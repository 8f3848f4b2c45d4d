#!/usr/bin/env bash
# sweep.sh MODE REPO DPTRAIN CHECK_OUTPUTS (in the CLI test directory, after make_cli_data)
#   local   launch/sweep.sh --local: a 4-point grid (2 ranks each) on good.yaml; `dptrain compare`
#           ranks it by test accuracy (order checked against each run's metrics.jsonl), shows the two
#           swept keys and nothing else as columns, writes the same table as CSV, sorts by a key;
#           `dptrain plot sweep/*` draws it; the same sweep again resumes without training (every
#           file of the finished points unchanged but train.log, which logs the attempt); a plan whose points have not run lists them as
#           "not started"
#   errors  wrong sweeps through launch/sweep.sh: exactly one error line naming the file, key and
#           value, and nothing written (no --out directory, or an existing one unchanged)
set -u
mode=$1 repo=$2 dptrain=$3 check=$4
export DPTRAIN_BIN=$dptrain
sweep=$repo/launch/sweep.sh
fail() {
  echo "FAIL: $*"
  exit 1
}
sums() { (cd "$1" && find . -type f ! -path './logs/*' ! -name train.log -print0 | sort -z | xargs -0 sha256sum); }

# expect_sweep_error REGEX OUT GRID [ARGS...]: sweep.sh fails with one error line matching REGEX and
# leaves OUT as it was (absent, or every file unchanged).
expect_sweep_error() {
  local regex=$1 out=$2 before="" got n
  shift 2
  [ -d "$out" ] && before=$(sums "$out")
  got=$(timeout 60 bash "$sweep" "$@" --out "$out" --local 2>&1 < /dev/null) && fail "sweep.sh $* succeeded: $got"
  n=$(grep -c 'error:' <<< "$got")
  [ "$n" -eq 1 ] || fail "sweep.sh $*: $n error lines, expected one: $got"
  grep -qE -- "$regex" <<< "$got" || fail "sweep.sh $*: the error does not match '$regex': $got"
  if [ -z "$before" ]; then
    [ -e "$out" ] && fail "sweep.sh $*: $out was created"
  else
    [ "$(sums "$out")" = "$before" ] || fail "sweep.sh $*: files of $out changed"
  fi
  echo "ok: $(grep 'error:' <<< "$got")"
}

grid() {  # grid FILE LINES...: a grid file
  local f=$1
  shift
  printf '%s\n' "$@" > "$f"
}

case "$mode" in
  local)
    rm -rf sweep sweep_plan_only sweep.csv sweep.png
    grid sweep_grid.yaml "config: good.yaml" "ranks: 2" "grid:" "  optimizer.lr: [0.001, 0.3]" \
      "  train.batch_size: [8, 32]" "set: {train.epochs: 3}"
    t0=$(date +%s.%N)
    out=$(timeout 240 bash "$sweep" sweep_grid.yaml --out sweep --local 2>&1) || fail "sweep.sh --local failed: $out"
    t1=$(date +%s.%N)
    grep -q 'sweep.sh: 4 points done' <<< "$out" || fail "no '4 points done' line: $out"
    [ "$(($(wc -l < sweep/points.tsv) - 1))" -eq 4 ] || fail "points.tsv does not list 4 points"
    cmp -s sweep_grid.yaml sweep/sweep.yaml || fail "sweep/sweep.yaml is not a copy of the grid file"
    for p in optimizer.lr=0.001,train.batch_size=8 optimizer.lr=0.001,train.batch_size=32 \
      optimizer.lr=0.3,train.batch_size=8 optimizer.lr=0.3,train.batch_size=32; do
      [ -s "sweep/$p/model.h5" ] || fail "sweep/$p/model.h5 missing"
      grep -q '"epoch":3,' "sweep/$p/metrics.jsonl" || fail "sweep/$p did not train 3 epochs"
    done
    echo "ok: 4 points trained in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
    # compare: best test accuracy first (ties in points.tsv order), the swept keys as columns
    table=$(timeout 60 "$dptrain" compare sweep --csv sweep.csv 2> /dev/null) || fail "compare failed"
    echo "$table"
    head -1 sweep.csv | grep -qE '^run,optimizer\.lr,train\.batch_size,test_accuracy,test_loss,train_loss,epochs,time_s,status$' ||
      fail "CSV header: $(head -1 sweep.csv)"
    [ "$(tail -n +2 sweep.csv | grep -c ',done$')" -eq 4 ] || fail "the CSV does not have 4 done rows"
    [ "$(tail -n +2 <<< "$table" | wc -l)" -eq 4 ] || fail "the table does not have 4 rows"
    python3 - sweep.csv sweep << 'PY' || fail "the CSV does not rank the runs by their metrics.jsonl"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
points = [line.rstrip("\n").split("\t") for line in open(sys.argv[2] + "/points.tsv")][1:]
end = {}
for p in points:
    run = sys.argv[2] + "/" + p[1]
    end[run] = [r for r in map(json.loads, open(run + "/metrics.jsonl")) if r.get("event") == "end"][-1]
expect = sorted(end, key=lambda run: -end[run]["test_accuracy"])  # stable: ties in points.tsv order
got = [r["run"] for r in rows]
assert got == expect, f"compare's order {got}, by metrics.jsonl {expect}"
for r in rows:
    for m in ("test_accuracy", "test_loss"):
        assert abs(float(r[m]) - end[r["run"]][m]) < 1e-12, f"{r['run']}: {m} {r[m]} != {end[r['run']][m]}"
    assert r["optimizer.lr"] == r["run"].split("optimizer.lr=")[1].split(",")[0], r
    assert r["train.batch_size"] == r["run"].split("train.batch_size=")[1], r
PY
    echo "ok: compare ranks the 4 points by test accuracy; CSV matches metrics.jsonl"
    by_lr=$("$dptrain" compare sweep --sort optimizer.lr --desc --csv sweep.csv 2> /dev/null | tail -n +2 | awk '{ print $2 }' | tr '\n' ' ')
    [ "$by_lr" = "0.3 0.3 0.001 0.001 " ] || fail "--sort optimizer.lr --desc gave: $by_lr"
    echo "ok: --sort optimizer.lr --desc"
    # plot: the glob includes points.tsv, sweep.yaml and logs/, which are left out
    "$dptrain" plot sweep/* -o sweep.png > /dev/null 2>&1 || fail "dptrain plot sweep/* failed: $("$dptrain" plot sweep/* -o sweep.png 2>&1)"
    "$check" png sweep.png 10000 || exit 1
    echo "ok: dptrain plot sweep/*"
    # the same sweep again: resumed, nothing trained, every file of the points unchanged
    before=$(sums sweep)
    out=$(timeout 120 bash "$sweep" sweep_grid.yaml --out sweep --local 2>&1) || fail "the rerun failed: $out"
    grep -q 'resuming it' <<< "$out" || fail "the rerun did not say it resumes: $out"
    [ "$(grep -c '^\[rank 0\] warning: .* already finished' <<< "$out")" -eq 4 ] || fail "the rerun did not find 4 finished points: $out"
    [ "$(sums sweep)" = "$before" ] || fail "the rerun changed files of the sweep"
    echo "ok: the rerun resumed: 4 points already finished, no file changed (train.log aside)"
    # a plan whose points have not run: compare lists them, plot refuses with one line
    "$dptrain" sweep-plan sweep_grid.yaml --out sweep_plan_only > /dev/null 2>&1 || fail "sweep-plan failed"
    table=$("$dptrain" compare sweep_plan_only 2> /dev/null) || fail "compare of a sweep not started failed"
    [ "$(grep -c 'not started$' <<< "$table")" -eq 4 ] || fail "compare of a sweep not started: $table"
    grep -q '^run  *optimizer.lr  *train.batch_size  *status$' <<< "$table" || fail "columns of a sweep not started: $table"
    echo "ok: a sweep not started: 4 rows 'not started'"
    ;;
  errors)
    rm -rf sweep_err sweep_ok notsweep
    grid e_ok.yaml "config: good.yaml" "grid: {optimizer.lr: [0.1, 0.2]}" "set: {train.epochs: 1}"
    expect_sweep_error "error: nogrid.yaml: grid file not found" sweep_err nogrid.yaml
    grid e_config.yaml "config: nothere.yaml" "grid: {optimizer.lr: [0.1]}"
    expect_sweep_error "error: e_config.yaml:1: config nothere.yaml not found" sweep_err e_config.yaml
    grid e_key.yaml "config: good.yaml" "grid:" "  optimizer.lrate: [0.1, 0.2]"
    expect_sweep_error "error: e_key.yaml:3: unknown config key 'optimizer.lrate' \(did you mean 'optimizer.lr'\?\)" sweep_err e_key.yaml
    grid e_empty.yaml "config: good.yaml" "grid: {}"
    expect_sweep_error "error: e_empty.yaml: the grid is empty" sweep_err e_empty.yaml
    grid e_value.yaml "config: good.yaml" "grid: {optimizer.lr: [0.1, -1]}"
    expect_sweep_error "error: e_value.yaml: point 1 \(optimizer.lr=-1\): --set: optimizer.lr = -1 is out of range" sweep_err e_value.yaml
    grid e_scalar.yaml "config: good.yaml" "grid: {train.batch_size: 16}"
    expect_sweep_error "error: e_scalar.yaml:2: grid.train.batch_size must be a list of values, e.g. \[0.05, 0.1\]; got '16'" sweep_err e_scalar.yaml
    grid e_random.yaml "config: good.yaml" "grid: {optimizer.lr: [0.1, 0.2]}" "random: 3"
    expect_sweep_error "error: e_random.yaml: random = 3 is more than the 2 points of the grid" sweep_err e_random.yaml
    grid e_top.yaml "config: good.yaml" "grids: {optimizer.lr: [0.1]}"
    expect_sweep_error "error: e_top.yaml:2: unknown grid file key 'grids'" sweep_err e_top.yaml
    mkdir -p notsweep && echo x > notsweep/file
    expect_sweep_error "error: notsweep: exists and is not a sweep directory \(no points.tsv\)" notsweep e_ok.yaml
    "$dptrain" sweep-plan e_ok.yaml --out sweep_ok > /dev/null 2>&1 || fail "sweep-plan e_ok.yaml failed"
    grid e_other.yaml "config: good.yaml" "grid: {optimizer.lr: [0.1, 0.3]}" "set: {train.epochs: 1}"
    expect_sweep_error "error: sweep_ok: holds a different sweep: line 3 of its points.tsv is .*optimizer.lr=0.2.* but e_other.yaml plans .*optimizer.lr=0.3" sweep_ok e_other.yaml
    out=$(bash "$sweep" e_ok.yaml --out sweep_err --local -N2 2>&1) && fail "--local with sbatch options succeeded"
    grep -q 'sweep.sh: --local takes no sbatch options' <<< "$out" || fail "--local -N2: $out"
    [ -e sweep_err ] && fail "sweep_err was created"
    echo "ok: --local with sbatch options refused"
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "ok"
