#include "train/epoch_counters.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace dpt {

EpochCounters::EpochCounters(int64_t steps_per_epoch, const Comm& comm)
    : comm_(comm),
      steps_(static_cast<size_t>(std::max<int64_t>(steps_per_epoch, 1))),
      all_(steps_.size() * static_cast<size_t>(comm.size()) + 2) {}

void EpochCounters::add_step(double loss_sum, int64_t samples, int64_t correct) {
  if (pending_ >= static_cast<int64_t>(steps_.size()))
    fail("EpochCounters: more than {} steps in one epoch", steps_.size());
  steps_[static_cast<size_t>(pending_++)] = loss_sum;
  seen_ += static_cast<double>(samples), correct_ += static_cast<double>(correct);
  shown_loss_ += loss_sum, shown_seen_ += static_cast<double>(samples);
}

void EpochCounters::fold(double& loss_sum, double& seen, double& correct) {
  // Each rank writes its per-step losses into its own row of zeros; the sum over ranks then only
  // adds zeros to each value (exact), so every rank receives every rank's values unchanged.
  const int64_t P = comm_.size(), n = pending_;
  std::fill(all_.begin(), all_.begin() + P * n + 2, 0.0);
  std::copy(steps_.begin(), steps_.begin() + n, all_.begin() + comm_.rank() * n);
  all_[static_cast<size_t>(P * n)] = seen_, all_[static_cast<size_t>(P * n + 1)] = correct_;  // integers: exact
  comm_.allreduce_sum(all_.data(), P * n + 2, "epoch loss");
  for (int64_t s = 0; s < n; ++s) {
    double step = 0;
    for (int64_t r = 0; r < P; ++r) step += all_[static_cast<size_t>(r * n + s)];
    loss_sum += step;
  }
  seen += all_[static_cast<size_t>(P * n)], correct += all_[static_cast<size_t>(P * n + 1)];
  pending_ = 0, seen_ = correct_ = 0;
}

}  // namespace dpt
