#include "eval/dense_metrics.hpp"

#include <cmath>
#include <limits>

namespace dpt {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

std::vector<double> class_iou(const std::vector<int64_t>& confusion, int64_t K) {
  std::vector<double> iou(static_cast<size_t>(K), kNaN);
  for (int64_t c = 0; c < K; ++c) {
    int64_t truth = 0, predicted = 0;
    for (int64_t j = 0; j < K; ++j) truth += confusion[c * K + j], predicted += confusion[j * K + c];
    const int64_t tp = confusion[c * K + c], uni = truth + predicted - tp;
    if (uni > 0) iou[c] = static_cast<double>(tp) / static_cast<double>(uni);
  }
  return iou;
}

double mean_iou(const std::vector<double>& iou) {
  double s = 0;
  int64_t n = 0;
  for (double v : iou)
    if (!std::isnan(v)) s += v, ++n;
  return n > 0 ? s / static_cast<double>(n) : kNaN;
}

void row_output_stats(const float* out, const float* y, int64_t T, int64_t P, double* stats) {
  for (int64_t t = 0; t < T; ++t) {
    const float* o = out + t * P;
    const float* v = y + t * P;
    double mean = 0, m2 = 0, sse = 0, sae = 0;
    for (int64_t p = 0; p < P; ++p) mean += v[p];
    mean /= static_cast<double>(P);
    for (int64_t p = 0; p < P; ++p) {
      const double c = v[p] - mean, d = static_cast<double>(o[p]) - v[p];
      m2 += c * c, sse += d * d, sae += std::abs(d);
    }
    double* s = stats + kRowStats * t;
    s[0] = mean, s[1] = m2, s[2] = sse, s[3] = sae;
  }
}

namespace {
// Rank 0: rows x (4 T) statistics in row order -> per-output metrics (Chan's update, row by row).
std::vector<OutputMetrics> combine_in_order(const double* all, int64_t rows, int64_t T, int64_t P) {
  std::vector<OutputMetrics> m(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    double n = 0, mean = 0, m2 = 0, sse = 0, sae = 0;
    const double p = static_cast<double>(P);
    for (int64_t r = 0; r < rows; ++r) {
      const double* s = all + r * kRowStats * T + kRowStats * t;
      const double delta = s[0] - mean, total = n + p;
      mean += delta * p / total;
      m2 += s[1] + delta * delta * n * p / total;
      sse += s[2], sae += s[3], n = total;
    }
    if (n > 0) m[t] = {sse / n, sae / n, m2 > 0 ? 1.0 - sse / m2 : kNaN, sse, m2};
  }
  return m;
}
}  // namespace

std::vector<OutputMetrics> combine_output_stats(const std::vector<double>& stats, int64_t rows, int64_t T, int64_t P,
                                                const Comm& comm) {
  std::vector<int64_t> counts(static_cast<size_t>(comm.size()), 0);
  counts[static_cast<size_t>(comm.rank())] = rows;
  comm.allreduce_sum(counts.data(), static_cast<int64_t>(counts.size()), "evaluation row counts");
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  const int64_t width = kRowStats * T;
  std::vector<double> all(comm.rank() == 0 ? static_cast<size_t>(total * width) : 0);
  comm.gatherv_rows(stats.data(), counts, all.data(), width * static_cast<int64_t>(sizeof(double)), 0,
                    "regression statistics");
  // Rank 0's values, shared by a sum in which every other rank adds zeros (exact: x + 0 = x).
  constexpr int64_t F = 5;
  std::vector<double> flat(static_cast<size_t>(F * T), 0.0);
  if (comm.rank() == 0) {
    const auto m = combine_in_order(all.data(), total, T, P);
    for (int64_t t = 0; t < T; ++t) {
      double* f = flat.data() + F * t;
      f[0] = m[t].mse, f[1] = m[t].mae, f[2] = m[t].r2, f[3] = m[t].sse, f[4] = m[t].sst;
    }
  }
  comm.allreduce_sum(flat.data(), static_cast<int64_t>(flat.size()), "regression metrics");
  std::vector<OutputMetrics> m(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    const double* f = flat.data() + F * t;
    m[t] = {f[0], f[1], f[2], f[3], f[4]};
  }
  return m;
}

}  // namespace dpt
