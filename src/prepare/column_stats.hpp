// Per-column statistics of the training split, in one streaming pass: count, mean and the sum of
// squared deviations (Welford's update, merged with Chan's formula), minimum and maximum, and the
// number of missing cells. Memory: 48 bytes per column.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "h5/feature_norm.hpp"

namespace dpt {

class ColumnStats {
 public:
  explicit ColumnStats(size_t columns = 0);
  void add(size_t col, double v);
  void add_missing(size_t col) { ++missing_[col]; }
  // Adds `count` copies of `v` (the effect of filling missing cells with v).
  void add_repeated(size_t col, double v, int64_t count);

  size_t columns() const { return n_.size(); }
  int64_t count(size_t col) const { return n_[col]; }
  int64_t missing(size_t col) const { return missing_[col]; }
  double mean(size_t col) const { return mean_[col]; }
  double stddev(size_t col) const;  // population (divides by n), as sklearn's StandardScaler
  double min(size_t col) const { return min_[col]; }
  double max(size_t col) const { return max_[col]; }

 private:
  std::vector<int64_t> n_, missing_;
  std::vector<double> mean_, m2_, min_, max_;
};

enum class Normalize { None, MinMax, ZScore };
Normalize parse_normalize(const std::string& name);  // none | minmax | zscore
const char* normalize_name(Normalize n);

// x_norm = (x - offset) * scale. minmax: offset = min, scale = 1 / (max - min), mapping the training
// range to [0, 1]; zscore: offset = mean, scale = 1 / stddev. A constant column gets scale 1 (it
// maps to 0). None: an inactive FeatureNorm.
FeatureNorm make_norm(const ColumnStats& s, Normalize n);

}  // namespace dpt
