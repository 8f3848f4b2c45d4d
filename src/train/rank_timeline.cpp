#include "train/rank_timeline.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <thread>

#include "core/error.hpp"
#include "h5/write.hpp"

namespace dpt {

namespace {

// A straggler: median busy step time more than 10 % and 1 ms above the others' median (on steps
// of a few microseconds, 10 % is scheduling noise).
constexpr double kBehind = 0.10, kMinExcessMs = 1.0;

double median(std::vector<float> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// DPTRAIN_TEST_SLOW_RANK=R:MS (tests only).
void read_slow_rank(int& rank, double& ms) {
  const char* v = std::getenv("DPTRAIN_TEST_SLOW_RANK");
  if (!v || !*v) return;
  if (std::sscanf(v, "%d:%lf", &rank, &ms) != 2 || rank < 0 || !(ms >= 0))
    fail("DPTRAIN_TEST_SLOW_RANK='{}': expected RANK:MILLISECONDS", v);
}

}  // namespace

RankTimeline::RankTimeline(const Comm& comm, const TraceSettings& s, std::string path, int64_t steps_per_epoch)
    : comm_(comm), s_(s), path_(std::move(path)) {
  read_slow_rank(slow_rank_, slow_ms_);
  busy_ms_.reserve(static_cast<size_t>(steps_per_epoch)), step_ms_.reserve(static_cast<size_t>(steps_per_epoch));
}

StepTimes* RankTimeline::begin_step(int64_t step) {
  if (in_window(step) && !tracing_ && !written_) {
    comm_.barrier("trace clock");  // the ranks leave it within microseconds: one origin for all
    t0_ = wall_time(), tracing_ = true, first_ = step;  // a resumed run may start inside the window
  }
  times_ = StepTimes{};
  spans_.clear();
  if (tracing_ && in_window(step)) times_.spans = &spans_;
  step_begin_ = wall_time();
  if (comm_.rank() == slow_rank_) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(slow_ms_));
  return &times_;
}

void RankTimeline::end_step(int64_t step) {
  const double end = wall_time(), wall = end - step_begin_;
  busy_ms_.push_back(static_cast<float>((wall - times_.comm) * 1e3));
  step_ms_.push_back(static_cast<float>(wall * 1e3));
  wait_s_ += times_.comm;
  if (!times_.spans) return;
  add_event({"step", step_begin_, end}, step);
  for (const Span& sp : spans_) add_event(sp, step);
  if (step + 1 == s_.start + s_.steps) write_trace();
}

void RankTimeline::span(const char* name, double begin, double end) {
  if (tracing_ && !written_) add_event({name, begin, end}, -1);
}

void RankTimeline::add_event(const Span& sp, int64_t step) {
  nlohmann::json e = {{"name", sp.name},
                      {"ph", "X"},
                      {"ts", (sp.begin - t0_) * 1e6},
                      {"dur", (sp.end - sp.begin) * 1e6},
                      {"pid", comm_.rank()},
                      {"tid", sp.lane}};
  if (step >= 0) e["args"]["step"] = step + 1;
  if (sp.floats) e["args"]["floats"] = sp.floats;
  if (!events_.empty()) events_ += ",\n";
  events_ += e.dump();
}

void RankTimeline::write_trace() {
  if (written_ || !tracing_) return;
  written_ = true;
  const int P = comm_.size(), r = comm_.rank();
  std::string mine = events_;
  for (const auto& [tid, name] : {std::pair{0, "phases"}, std::pair{1, "gradient sums"}})
    mine += fmt::format(",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":\"{}\"}}}}",
                        r, tid, name);
  mine += fmt::format(",\n{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{},\"args\":{{\"name\":\"rank {}\"}}}}", r, r);
  if (events_.empty()) mine = mine.substr(2);
  std::vector<int64_t> counts(static_cast<size_t>(P), 0);
  counts[static_cast<size_t>(r)] = static_cast<int64_t>(mine.size() + 2);  // + ",\n" between ranks
  comm_.allreduce_sum(counts.data(), P, "trace sizes");
  mine += ",\n";
  std::string all(r == 0 ? static_cast<size_t>(std::accumulate(counts.begin(), counts.end(), int64_t{0})) : 0, ' ');
  comm_.gatherv_rows(mine.data(), counts, r == 0 ? all.data() : nullptr, 1, 0, "trace events");
  events_.clear();
  if (r != 0 || path_.empty()) return;
  all.resize(all.size() - 2);  // the last ",\n"
  const std::string text = fmt::format("{{\"displayTimeUnit\":\"ms\",\"otherData\":{{\"ranks\":{},\"first_step\":{},"
                                       "\"steps\":{}}},\n\"traceEvents\":[\n{}\n]}}\n",
                                       P, first_ + 1, s_.start + s_.steps - first_, all);
  h5::write_atomically(path_, [&](const std::string& tmp) {
    std::ofstream f(tmp);
    f << text;
    if (!f.flush()) fail("{}: write failed (disk full?)", tmp);
  });
  spdlog::info("trace of steps {}-{} on {} ranks written to {} (chrome://tracing, ui.perfetto.dev)", first_ + 1,
               s_.start + s_.steps, P, path_);
}

void RankTimeline::finish() {
  if (s_.on && !tracing_ && comm_.rank() == 0)
    spdlog::warn("log.trace: the run ended before step {} (log.trace_start {}): no trace written", s_.start + 1,
                 s_.start);
  write_trace();
}

void RankTimeline::put_epoch_summary(nlohmann::json& rec) {
  const int P = comm_.size(), r = comm_.rank();
  std::vector<double> all(static_cast<size_t>(3 * P), 0.0);  // per rank: median busy ms, median step ms, wait s
  all[static_cast<size_t>(3 * r)] = median(busy_ms_);
  all[static_cast<size_t>(3 * r + 1)] = median(step_ms_);
  all[static_cast<size_t>(3 * r + 2)] = wait_s_;
  comm_.allreduce_sum(all.data(), 3 * P, "step time summary");
  busy_ms_.clear(), step_ms_.clear(), wait_s_ = 0;
  std::vector<float> busy;
  nlohmann::json ranks = nlohmann::json::array();
  for (int q = 0; q < P; ++q) {
    const double* v = &all[static_cast<size_t>(3 * q)];
    busy.push_back(static_cast<float>(v[0]));
    ranks.push_back({{"rank", q}, {"busy_ms", v[0]}, {"step_ms", v[1]}, {"comm_wait_s", v[2]}});
  }
  rec["ranks"] = ranks;
  if (P < 2) return;
  const auto slowest = static_cast<int>(std::max_element(busy.begin(), busy.end()) - busy.begin());
  std::vector<float> others = busy;
  others.erase(others.begin() + slowest);
  const double typical = median(others), behind = typical > 0 ? busy[static_cast<size_t>(slowest)] / typical - 1 : 0;
  if (behind <= kBehind || busy[static_cast<size_t>(slowest)] - typical < kMinExcessMs) return;
  rec["straggler"] = {{"rank", slowest}, {"behind", behind}};
  if (r != 0) return;  // logged once per job
  double others_wait = 0;
  for (int q = 0; q < P; ++q)
    if (q != slowest) others_wait += all[static_cast<size_t>(3 * q + 2)];
  spdlog::warn("straggler: rank {} is {:.0f} % behind (median busy step {:.1f} ms, the other ranks' median {:.1f} ms); the "
               "other ranks waited {:.1f} s in all for the gradient sums this epoch",
               slowest, 100 * behind, busy[static_cast<size_t>(slowest)], typical, others_wait);
}

}  // namespace dpt
