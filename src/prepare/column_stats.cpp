#include "prepare/column_stats.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace dpt {

ColumnStats::ColumnStats(size_t c)
    : n_(c, 0),
      missing_(c, 0),
      mean_(c, 0.0),
      m2_(c, 0.0),
      min_(c, std::numeric_limits<double>::infinity()),
      max_(c, -std::numeric_limits<double>::infinity()) {}

void ColumnStats::add(size_t c, double v) {
  const double d = v - mean_[c];
  ++n_[c];
  mean_[c] += d / static_cast<double>(n_[c]);
  m2_[c] += d * (v - mean_[c]);
  min_[c] = std::min(min_[c], v);
  max_[c] = std::max(max_[c], v);
}

void ColumnStats::add_repeated(size_t c, double v, int64_t count) {
  if (count <= 0) return;
  const double na = static_cast<double>(n_[c]), nb = static_cast<double>(count), n = na + nb;
  const double d = v - mean_[c];
  mean_[c] += d * nb / n;
  m2_[c] += d * d * na * nb / n;  // Chan et al.: the second group has no spread
  n_[c] += count;
  min_[c] = std::min(min_[c], v);
  max_[c] = std::max(max_[c], v);
}

double ColumnStats::stddev(size_t c) const { return n_[c] > 0 ? std::sqrt(m2_[c] / static_cast<double>(n_[c])) : 0.0; }

Normalize parse_normalize(const std::string& name) {
  if (name == "none") return Normalize::None;
  if (name == "minmax") return Normalize::MinMax;
  if (name == "zscore") return Normalize::ZScore;
  fail("--normalize {}: expected none, minmax or zscore", name);
}

const char* normalize_name(Normalize n) {
  switch (n) {
    case Normalize::MinMax:
      return "minmax";
    case Normalize::ZScore:
      return "zscore";
    default:
      return "none";
  }
}

FeatureNorm make_norm(const ColumnStats& s, Normalize n) {
  FeatureNorm f;
  f.method = normalize_name(n);
  if (n == Normalize::None) return f;
  for (size_t c = 0; c < s.columns(); ++c) {
    const double spread = n == Normalize::MinMax ? s.max(c) - s.min(c) : s.stddev(c);
    f.offset.push_back(n == Normalize::MinMax ? s.min(c) : s.mean(c));
    f.scale.push_back(spread > 0 ? 1.0 / spread : 1.0);
  }
  return f;
}

}  // namespace dpt
