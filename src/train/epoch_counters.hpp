// The training loss, accuracy and sample count of the current epoch, summed so that the result does
// not depend on where checkpoints split the epoch: each step's loss is first summed over the ranks
// (in rank order), then the steps are added in step order into a running total that checkpoints
// store. A resumed epoch therefore reports exactly the loss of the uninterrupted one (same ranks).
#pragma once
#include <cstdint>
#include <vector>

#include "comm/comm.hpp"

namespace dpt {

class EpochCounters {
 public:
  // Buffers for an epoch of `steps_per_epoch` steps are allocated once, here.
  EpochCounters(int64_t steps_per_epoch, const Comm& comm);
  // This rank's sums over the samples of the step it just ran.
  void add_step(double loss_sum, int64_t samples, int64_t correct);
  // Collective: adds the steps since the last fold, over every rank, into the running totals.
  void fold(double& loss_sum, double& seen, double& correct);
  // This rank's mean loss since the epoch began in this process (for the progress display).
  double local_mean_loss() const { return shown_loss_ / (shown_seen_ > 0 ? shown_seen_ : 1.0); }
  double local_seen() const { return shown_seen_; }
  void begin_epoch() { shown_loss_ = shown_seen_ = 0; }

 private:
  const Comm& comm_;
  std::vector<double> steps_;  // this rank's loss per step since the last fold
  std::vector<double> all_;    // (P, steps) after the fold's sum: every rank's per-step losses
  int64_t pending_ = 0;        // steps since the last fold
  double seen_ = 0, correct_ = 0, shown_loss_ = 0, shown_seen_ = 0;
};

}  // namespace dpt
