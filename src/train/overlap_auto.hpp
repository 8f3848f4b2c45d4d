// comm.overlap: auto. The run's first steps choose between summing the gradient buckets during
// backward (overlap on) and one all-reduce after it (off): after kWarmup steps with overlap on,
// kEach steps of each mode, alternated (ABAB: both see the same drift of a shared machine); the
// mode with the lower median step time, of the slowest rank (one allreduce_max of the medians,
// so that every rank picks the same), runs for the rest of the run, and rank 0 logs the choice and
// the numbers. The choice changes timing only: both modes give the same bits (the same buckets,
// the same sums), so results, determinism and exact resume do not depend on it; a resumed run
// calibrates again. Cost: one 2-double allreduce, once; kEach steps in the slower mode.
#pragma once
#include <cstdint>
#include <vector>

#include "comm/comm.hpp"

namespace dpt {

class OverlapAuto {
 public:
  static constexpr int kWarmup = 5, kEach = 8;
  // enabled: comm.overlap: auto (and the overlap is used: not with train.deterministic).
  // fixed: the mode when not enabled.
  OverlapAuto(const Comm& comm, bool enabled, bool fixed);
  bool overlap() const { return overlap_; }  // the mode of the next step
  // After each step with its wall time; collective in the step that ends the calibration.
  void step_done(double seconds);

 private:
  const Comm& comm_;
  bool calibrating_, overlap_;
  int64_t steps_ = 0;
  std::vector<double> on_, off_;  // step times with overlap on and off
};

}  // namespace dpt
