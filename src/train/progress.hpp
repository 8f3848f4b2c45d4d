// Rank 0's progress display: epoch, step, loss, samples/s and ETA. On a terminal it rewrites one
// line (4 times a second); otherwise (CI, Slurm logs, a pipe) it prints a plain line
// "[rank 0] progress: epoch 2/15 step 120/469 loss 0.4012 9120 samples/s ETA 0:41" every
// `interval` seconds, never a carriage return.
#pragma once
#include <cstdint>
#include <cstdio>

namespace dpt {

class Progress {
 public:
  // `out` (stderr by default) decides the mode: a terminal or anything else.
  Progress(bool enabled, double interval_s, int64_t epochs, int64_t steps_per_epoch, std::FILE* out = stderr);
  // Called after every step; cheap when nothing is printed.
  void update(int64_t epoch, int64_t step_in_epoch, double loss, double samples_per_s, double eta_s);
  void finish_line();  // ends the terminal line before other output

 private:
  std::FILE* out_;
  bool enabled_, tty_;
  double interval_, last_ = 0;
  int64_t epochs_, steps_;
  bool dirty_ = false;
};

}  // namespace dpt
