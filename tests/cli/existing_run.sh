#!/usr/bin/env bash
# A finished run directory survives a second `train --out` into it: refused, files unchanged.
set -u
mpiexec="$1" dptrain="$2"
rm -rf existing && mkdir -p existing
timeout 60 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --out existing < /dev/null > first.log 2>&1 \
  || { echo "FAIL: first run failed"; cat first.log; exit 1; }
for f in metrics.jsonl model.h5 config.yaml; do [ -s "existing/$f" ] || { echo "FAIL: no $f"; exit 1; }; done
before=$(md5sum existing/metrics.jsonl existing/model.h5 existing/config.yaml)
out=$(timeout 60 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --set optimizer.lr=0.5 --out existing 2>&1 < /dev/null); rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "FAIL: second run exited $rc"; echo "$out"; exit 1; }
grep -q "already holds a run (metrics.jsonl, model.h5, checkpoints); choose another --out, continue it with --resume auto, or pass --overwrite" <<<"$out" \
  || { echo "FAIL: message"; echo "$out"; exit 1; }
after=$(md5sum existing/metrics.jsonl existing/model.h5 existing/config.yaml)
[ "$before" = "$after" ] || { echo "FAIL: the earlier run's files changed"; exit 1; }
# A run that fails on bad data after --overwrite still leaves the earlier model in place.
out=$(timeout 60 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --set data.file=badlabels.h5 --out existing --overwrite 2>&1 < /dev/null)
[ "$(md5sum existing/metrics.jsonl existing/model.h5)" = "$(grep -E 'model.h5|metrics.jsonl' <<<"$before")" ] \
  || { echo "FAIL: a failed --overwrite run damaged the earlier results"; exit 1; }
echo "ok"
