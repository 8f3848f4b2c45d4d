// Per-rank timing of a real run, the way to find "which rank, which phase?":
//   - every step's busy time (the step's wall time minus the time it waited for the gradient
//     sums) and wait time, per rank; each epoch a collective summary: per rank the median busy and
//     step time and the total wait, and the slowest rank named (log warning, metrics.jsonl
//     "straggler") when its median busy time is more than 10 % (and 1 ms) above the median of the
//     others;
//   - log.trace: a Chrome-trace JSON file (RUN/trace.json; chrome://tracing, ui.perfetto.dev) with
//     every rank's phases for log.trace_steps steps from step log.trace_start (data, forward,
//     backward, comm wait, optimizer, each gradient bucket's sum on a second lane) and the
//     evaluations and checkpoints in that window. Ranks' clocks are aligned by a barrier at the
//     window's first step. Written by rank 0 when the window closes (or the run ends).
// Test hook (never in production): DPTRAIN_TEST_SLOW_RANK=R:MS sleeps MS ms in each step of rank R.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "train/step.hpp"

namespace dpt {

class RankTimeline {
 public:
  // path: the trace file ("" : none, e.g. no run directory); steps_per_epoch: reserved once, so
  // that recording a step never allocates.
  RankTimeline(const Comm& comm, const TraceSettings& s, std::string path, int64_t steps_per_epoch);
  // Around each optimizer step `step` (counted from 0): pass begin_step's StepTimes to
  // StepRunner::run. Collective at the trace window's first and last step.
  StepTimes* begin_step(int64_t step);
  void end_step(int64_t step);
  // An evaluation or checkpoint, recorded while the trace window is open.
  void span(const char* name, double begin, double end);
  // Collective: the epoch's per-rank summary (rec["ranks"], rec["straggler"]); rank 0 logs a
  // straggler. Starts the next epoch's counts.
  void put_epoch_summary(nlohmann::json& rec);
  // Collective: writes the trace if its window started and it is not written yet.
  void finish();

 private:
  bool in_window(int64_t step) const { return s_.on && step >= s_.start && step < s_.start + s_.steps; }
  void add_event(const Span& sp, int64_t step);
  void write_trace();

  const Comm& comm_;
  TraceSettings s_;
  std::string path_;
  int slow_rank_ = -1;
  double slow_ms_ = 0;
  double t0_ = 0, step_begin_ = 0;  // trace clock origin; the current step's start
  int64_t first_ = 0;               // the first traced step
  bool tracing_ = false, written_ = false;
  StepTimes times_;
  std::vector<Span> spans_;
  std::string events_;                     // this rank's Chrome-trace events, comma-separated JSON objects
  std::vector<float> busy_ms_, step_ms_;   // this epoch's steps
  double wait_s_ = 0;
};

}  // namespace dpt
