// Gradient sums that overlap with backward: each bucket of the flat gradient buffer is started
// (MPI_Iallreduce, in place) as soon as backward has filled it, MPI is polled between layers so
// the sums progress while the rank computes, and wait_all() finishes them before the update.
// Cost: the same bytes as one allreduce of the whole buffer, in several messages; what it saves
// is the part of the communication that runs while later layers still compute.
#pragma once
#include <cstdint>
#include <memory>

#include "comm/comm.hpp"

namespace dpt {

class AsyncSum {
 public:
  explicit AsyncSum(const Comm& comm);
  ~AsyncSum();
  AsyncSum(const AsyncSum&) = delete;
  AsyncSum& operator=(const AsyncSum&) = delete;

  void start(float* buf, int64_t n);  // sum buf[0, n) across ranks, in place; every rank, same order
  void poll();                        // let MPI progress the started sums (MPI_Testall)
  void wait_all(const char* what);    // finish every started sum (one watched collective call)

 private:
  struct Impl;
  const Comm& comm_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpt
