#include "train/overlap_auto.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dpt {

namespace {
double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}
}  // namespace

OverlapAuto::OverlapAuto(const Comm& comm, bool enabled, bool fixed)
    : comm_(comm), calibrating_(enabled), overlap_(enabled || fixed) {
  on_.reserve(kEach), off_.reserve(kEach);
}

void OverlapAuto::step_done(double seconds) {
  if (!calibrating_) return;
  const int64_t k = steps_++ - kWarmup;  // this step's place in the calibration
  if (k >= 0) (overlap_ ? on_ : off_).push_back(seconds);
  if (k + 1 < 2 * kEach) {
    overlap_ = k + 1 < 0 || (k + 1) % 2 == 0;  // warm-up on; then on, off, on, off, ...
    return;
  }
  double m[2] = {median(on_), median(off_)};
  comm_.allreduce_max(m, 2, "comm.overlap: auto");
  overlap_ = m[0] <= m[1], calibrating_ = false;
  spdlog::info(
      "comm.overlap: auto: overlap {} (median step {:.3f} ms with overlap, {:.3f} ms without: the slowest rank's, "
      "{} steps each after {} warm-up steps)",
      overlap_ ? "on" : "off", m[0] * 1e3, m[1] * 1e3, kEach, kWarmup);
}

}  // namespace dpt
