// Stored feature normalization. A features dataset may carry the attributes
//   normalize  string     how the statistics were made ("minmax", "zscore"; informational)
//   offset     float64 (D) or (1)
//   scale      float64 (D) or (1)
// and the trainer then feeds  x[j] = (raw[j] - offset[j]) * scale[j] * data.scale  for every
// feature j of every sample (raw: the stored value as float32). The statistics are in the units of
// the stored values, so they apply before data.scale. `dptrain prepare csv` writes them from the
// training split only; the stored values stay raw, so users can inspect them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dpt {

struct FeatureNorm {
  std::string method;                 // the `normalize` attribute ("" when absent)
  std::vector<double> offset, scale;  // both empty (none) or both of length D
  bool active() const { return !offset.empty(); }
  bool operator==(const FeatureNorm&) const = default;
};

// Reading and writing the attributes: h5/feature_norm_io.hpp.

}  // namespace dpt
