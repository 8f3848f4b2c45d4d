#!/usr/bin/env bash
# with.sh [--netns] [--slurm STATE_DIR] -- COMMAND...: cluster/with-cluster.sh for ctest: exits 77
# (skipped) when this machine cannot host the local test cluster (not root, Slurm packages missing,
# no network namespaces); otherwise runs COMMAND inside it.
# The Slurm state goes to a fresh STATE_DIR.XXXXXX (two ctest runs of one build tree must not
# share a cluster), removed afterwards when the test passed.
source "$(dirname "$0")/lib.sh"
args=() state=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case "$1" in
    --netns) need_netns; args+=("$1"); shift ;;
    --slurm)
      need_slurm
      mkdir -p "$(dirname "$2")"
      state=$(mktemp -d "$2.XXXXXX") || fail "mktemp"
      args+=(--slurm "$state"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
bash "$(dirname "$0")/../../cluster/with-cluster.sh" "${args[@]}" "$@"
rc=$?
if [ -n "$state" ]; then
  if [ $rc -eq 0 ]; then rm -rf "$state"; else echo "(Slurm state and logs kept in $state)" >&2; fi
fi
exit $rc
