#include "train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "comm/comm.hpp"

namespace dpt {

Progress::Progress(bool enabled, double interval_s, int64_t epochs, int64_t steps_per_epoch, std::FILE* out)
    : out_(out),
      enabled_(enabled),
      tty_(isatty(fileno(out)) != 0),
      interval_(tty_ ? 0.25 : interval_s),
      last_(wall_time()),
      epochs_(epochs),
      steps_(steps_per_epoch) {}

static std::string hms(double s) {
  if (!(s >= 0 && s < 1e9)) return "?";  // no estimate yet
  const auto t = static_cast<int64_t>(s + 0.5);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                   : fmt::format("{}:{:02}", t / 60, t % 60);
}

void Progress::update(int64_t epoch, int64_t step, double loss, double sps, double eta) {
  if (!enabled_) return;
  const double now = wall_time();
  if (now - last_ < interval_) return;
  last_ = now;
  const std::string line = fmt::format("epoch {}/{} step {}/{} loss {:.4f} {:.0f} samples/s ETA {}", epoch + 1, epochs_,
                                       step + 1, steps_, loss, sps, hms(eta));
  if (tty_) {
    fmt::print(out_, "\r{:<78}", line);
    dirty_ = true;
  } else {
    fmt::print(out_, "[rank 0] progress: {}\n", line);
  }
  std::fflush(out_);
}

void Progress::finish_line() {
  if (dirty_) fmt::print(out_, "\r{:<78}\r", ""), std::fflush(out_);
  dirty_ = false;
}

}  // namespace dpt
