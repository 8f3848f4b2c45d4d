#include "h5/sample_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "h5/sample_source.hpp"

namespace dpt {

namespace {
constexpr std::array<const char*, 7> kLayouts = {"NF", "NL", "NCL", "NHW", "NCHW", "NDHW", "NCDHW"};

Shape from_layout(const SplitPaths& p, const std::string& path, const std::vector<int64_t>& dims,
                  const std::string& layout) {
  const bool known = std::find(kLayouts.begin(), kLayouts.end(), layout) != kLayouts.end();
  if (!known || layout.size() != dims.size())
    fail("{}: '{}' ({}) has layout attribute '{}' but shape {}; the layout must name its {} axes, one of: {}", path,
         p.features, p.features_option, layout, shape_str(dims), dims.size(), fmt::join(kLayouts, ", "));
  Shape s(dims.begin() + 1, dims.end());
  if (layout != "NF" && layout[1] != 'C') s.insert(s.begin(), 1);  // no channel axis: one channel
  return s;
}
}  // namespace

Shape sample_view(const SplitPaths& p, const std::string& path, const std::vector<int64_t>& dims,
                  const std::string& layout) {
  const Shape stored(dims.begin() + 1, dims.end());
  if (!p.sample_shape.empty()) {
    if (numel(p.sample_shape) != numel(stored))
      fail("{}: '{}' ({}) holds samples of shape {} ({} values), which data.sample_shape {} ({} values) cannot view",
           path, p.features, p.features_option, shape_str(stored), numel(stored), shape_str(p.sample_shape),
           numel(p.sample_shape));
    return p.sample_shape;
  }
  if (!layout.empty()) return from_layout(p, path, dims, layout);
  Shape s = stored;
  if (dims.size() == 3) s.insert(s.begin(), 1);  // (N, H, W): one-channel images
  return s;
}

void check_label_dims(const SplitPaths& p, const std::string& path, const std::string& kind,
                      const std::vector<int64_t>& dims) {
  if (dims.empty() || dims.size() > 6)
    fail("{}: dataset '{}' ({}) has shape {}; {} must be (N) or (N, ...) with up to 5 dims per sample", path, p.labels,
         p.labels_option, shape_str(dims), kind);
}

int64_t check_target_shape(const SplitPaths& p, const std::string& path, const Shape& target, const Shape& output) {
  const int64_t slots = numel(target), outputs = numel(output);
  if (p.float_targets) {
    if (slots != outputs)
      fail(
          "{}: '{}' ({}) has regression targets of shape {} ({} values) per sample but the model's output per "
          "sample is {} ({} values)",
          path, p.labels, p.labels_option, shape_str(target), slots, shape_str(output), outputs);
    return outputs;
  }
  if (slots == 1) return outputs;  // one class label per sample: the outputs are the classes
  const Shape positions(output.begin() + std::min<size_t>(1, output.size()), output.end());
  Shape map = target;
  if (map.size() == positions.size() + 1 && map[0] == 1) map.erase(map.begin());  // (N, 1, H, W)
  if (output.size() < 2 || map != positions)
    fail(
        "{}: '{}' ({}) holds class maps of shape {} per sample but the model's output per sample is {}; a class "
        "map must have the output's positions {} (output (K, ...): K class scores at each position)",
        path, p.labels, p.labels_option, shape_str(target), shape_str(output),
        output.size() < 2 ? std::string("(none: the output has one axis)") : shape_str(positions));
  return output[0];
}

std::string position_text(const Shape& shape, int64_t at) {
  if (numel(shape) <= 1) return "";
  std::vector<int64_t> idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) idx[k] = at % shape[k], at /= shape[k];
  return fmt::format(" position ({})", fmt::join(idx, ", "));
}

}  // namespace dpt
