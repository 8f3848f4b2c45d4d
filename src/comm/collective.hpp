// Internal to src/comm (not part of the public API in comm.hpp): the bookkeeping around every
// collective call of this process. Each call of a Comm collective (and AsyncSum::wait_all) creates
// one Collective on the calling (main) thread, which numbers the call (1, 2, ... over every Comm of
// the process), applies a test-only DPTRAIN_FAULT meant for that number (fault.cpp) and tells the
// watchdog (watchdog.cpp) that the thread is inside the collective until the Collective ends.
#pragma once
#include <cstdint>
#include <string>

namespace dpt::detail {

enum class Op : int32_t { none, allreduce_sum, bcast, alltoallv, barrier, check_same, split, end_of_run, allgather };

// "allreduce_sum #12 (gradients) [float x 1024]": how messages name collective call `seq`.
std::string describe(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what);

// Marks one collective call for its lifetime. Cost: a counter increment, one compare, and while the
// watchdog runs two clock reads and two uncontended mutex locks (~0.1 us).
class Collective {
 public:
  Collective(Op op, const char* dtype, int64_t count, const char* what);
  ~Collective();
  Collective(const Collective&) = delete;
  Collective& operator=(const Collective&) = delete;
};

uint64_t collective_calls();  // collective calls of this process so far

// Throws dpt::Error "MPI <what> failed: <MPI's error string>" unless rc is MPI_SUCCESS.
void check_mpi(int rc, const char* what);
std::string mpi_error_text(int rc);  // MPI's error string (for a thread that must not throw)

}  // namespace dpt::detail
