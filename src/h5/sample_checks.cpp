// SampleSource's label and target checks (the reads themselves: sample_source.cpp).
#include <cmath>

#include "core/error.hpp"
#include "h5/sample_layout.hpp"
#include "h5/sample_source.hpp"

namespace dpt {

void SampleSource::check_labels(int64_t begin, int64_t end, const LabelRule& rule) const {
  const int64_t classes = check_target_shape(paths_, paths_.file, target_shape_, rule.output);
  if (paths_.float_targets) return check_targets(begin, end);
  const int64_t S = target_slots_;
  std::vector<int64_t> y;  // at full width: an out-of-range label is reported as stored
  for_windows(begin, end, [&](size_t part, int64_t first, int64_t count) {
    y.resize(static_cast<size_t>(count * S));
    read_labels(part, first, count, LabelRead::I64, y.data());
    for (int64_t i = 0; i < count * S; ++i) {
      if ((y[i] >= 0 && y[i] < classes) || (rule.has_ignore && y[i] == rule.ignore)) continue;
      fail("{}: '{}' ({}) row {}{} has label {}, outside [0, {}) for a model with {} {}{}", part_path(part),
           paths_.labels, paths_.labels_option, first - part_begin(part) + i / S, position_text(target_shape_, i % S),
           y[i], classes, classes, S == 1 ? "outputs" : "classes",
           rule.has_ignore ? fmt::format(" (and not loss_ignore_index = {})", rule.ignore) : std::string());
    }
  });
}

void SampleSource::check_targets(int64_t begin, int64_t end) const {
  std::vector<float> y;
  const int64_t S = target_slots_;
  for_windows(begin, end, [&](size_t part, int64_t first, int64_t count) {
    y.resize(static_cast<size_t>(count * S));
    read_labels(part, first, count, LabelRead::F32, y.data());
    for (int64_t i = 0; i < count * S; ++i)
      if (!std::isfinite(y[i]))
        fail("{}: '{}' ({}) row {}{} has target {}; regression targets must be finite (as float32)", part_path(part),
             paths_.labels, paths_.labels_option, first - part_begin(part) + i / S, position_text(target_shape_, i % S),
             y[i]);
  });
}

}  // namespace dpt
