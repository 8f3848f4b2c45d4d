// Internal to src/comm: test-only fault injection, DPTRAIN_FAULT="KIND:rank=R:call=N[:secs=S]"
// (kinds and meaning: comm.hpp). Never set it in production runs.
#pragma once
#include <cstdint>

#include "comm/collective.hpp"

namespace dpt::detail {

// Parses DPTRAIN_FAULT once per process (when the first Comm is made); a malformed value logs the
// error and aborts the job (MPI_Abort, code 2).
void read_fault_once();
// Called by Collective before collective call `seq`: acts when the fault names this call and rank
// (stall, sleep, throw, exit, kill); otherwise one compare.
void fault_before(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what);

}  // namespace dpt::detail
