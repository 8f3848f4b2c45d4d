#include "h5/feature_norm_io.hpp"

#include <cmath>

#include "core/error.hpp"
#include "h5/file.hpp"

namespace dpt {

namespace {
std::vector<double> read_coefficients(hid_t dset, const char* attr, const std::string& file, const std::string& name,
                                      int64_t D) {
  std::vector<double> v = h5::read_f64_attr(dset, attr, file + ": '" + name + "'");
  if (v.size() == 1) v.assign(static_cast<size_t>(D), v[0]);
  if (static_cast<int64_t>(v.size()) != D)
    fail("{}: '{}' attribute '{}' has {} values but the samples have {} features", file, name, attr, v.size(), D);
  for (size_t j = 0; j < v.size(); ++j)
    if (!std::isfinite(v[j]))
      fail("{}: '{}' attribute '{}' value {} (feature {}) is not finite", file, name, attr, v[j], j);
  return v;
}
}  // namespace

FeatureNorm read_feature_norm(hid_t dset, const std::string& file, const std::string& name, int64_t D) {
  FeatureNorm n;
  if (h5::has_attr(dset, "normalize")) n.method = h5::read_string_attr(dset, "normalize", file + ": '" + name + "'");
  const bool has_offset = h5::has_attr(dset, "offset"), has_scale = h5::has_attr(dset, "scale");
  if (has_offset != has_scale)
    fail(
        "{}: '{}' has the attribute '{}' but not '{}'; stored normalization needs both "
        "(x = (raw - offset) * scale)",
        file, name, has_offset ? "offset" : "scale", has_offset ? "scale" : "offset");
  if (!has_offset) return n;
  n.offset = read_coefficients(dset, "offset", file, name, D);
  n.scale = read_coefficients(dset, "scale", file, name, D);
  return n;
}

void write_feature_norm(hid_t dset, const FeatureNorm& norm) {
  h5::write_attr(dset, "normalize", norm.method.empty() ? std::string("none") : norm.method);
  if (!norm.active()) return;
  h5::write_attr(dset, "offset", norm.offset);
  h5::write_attr(dset, "scale", norm.scale);
}

}  // namespace dpt
