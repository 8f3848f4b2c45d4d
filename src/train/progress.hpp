// Rank 0's progress display: epoch, step, loss, samples/s and ETA. On a terminal it rewrites one
// line; otherwise (CI, Slurm logs) it prints a plain line every `interval` seconds.
#pragma once
#include <cstdint>

namespace dpt {

class Progress {
 public:
  Progress(bool enabled, double interval_s, int64_t epochs, int64_t steps_per_epoch);
  // Called after every step; cheap when nothing is printed.
  void update(int64_t epoch, int64_t step_in_epoch, double loss, double samples_per_s, double eta_s);
  void finish_line();  // ends the terminal line before other output

 private:
  bool enabled_, tty_;
  double interval_, last_ = 0;
  int64_t epochs_, steps_;
  bool dirty_ = false;
};

}  // namespace dpt
