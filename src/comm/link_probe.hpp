// Timed all-reduces on a communicator: the latency and the per-byte time of its links as MPI's
// all-reduce sees them (for `dptrain bench --predict-nodes`; allreduce_model turns them into a Link).
#pragma once
#include <cstdint>
#include <vector>

#include "comm/comm.hpp"

namespace dpt::perf {

struct LinkFit {
  double A = 0;  // s: median time of an all-reduce of one float
  double B = 0;  // s per byte: least-squares slope of (t - A) over the larger sizes
  struct Point {
    double bytes, seconds;  // the median over the repetitions, the slowest rank's
  };
  std::vector<Point> points;
};

// Collective (every rank of `comm`, same arguments). All-reduces of 1 float and of 64 KiB to
// max_bytes (x4 each size), each size `reps` times after one untimed call; every rank gets the same
// fit (the slowest rank's medians). Cost: ~reps x (sum of sizes) x 2 beta + 30 alpha.
LinkFit probe_link(const Comm& comm, int64_t max_bytes, int reps = 7);

}  // namespace dpt::perf
