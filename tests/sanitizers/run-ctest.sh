#!/usr/bin/env bash
# Runs ctest in a sanitizer build (cmake -DDPTRAIN_SANITIZE=...) with the runtime options and the
# third-party suppressions in this directory. Every process the tests start (mpiexec's ranks
# included) inherits them. Usage: tests/sanitizers/run-ctest.sh BUILD_DIR [ctest arguments...]
# e.g. tests/sanitizers/run-ctest.sh build-asan -j2 -R '\.|_np[12]$|^cli_'
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [ctest arguments...]" >&2; exit 2; }
build=$1
shift
# halt_on_error: the first report fails the test (ASan always stops; UBSan and TSan go on by default).
# detect_leaks=0: Open MPI unloads its plugins (mca_*.so) in MPI_Finalize, so what they leak has no
# module left to name and no suppression can match it; every multi-rank suite would fail on Open
# MPI's leaks. Serial suites and the fuzzers check leaks: ASAN_OPTIONS=detect_leaks=1 (yours win).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:detect_stack_use_after_return=0:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$here/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
exec ctest --test-dir "$build" --output-on-failure "$@"
