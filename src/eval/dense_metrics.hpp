// The metrics of dense and multi-output models, from counts and per-row statistics:
//   segmentation (cross_entropy with class maps): per-position accuracy and intersection over union
//     from a confusion matrix of integer counts (exact over any rank count);
//   regression (mse): MSE, MAE and R^2 per output, where the outputs are a (T) output's elements
//     or, for a field output (T, ...), its T channels (each over all its positions).
// R^2's sums are made rank-count independent: each row's statistics per output (mean and centered
// sum of squares of the targets, squared and absolute errors) are gathered in row order and
// combined in row order (Chan et al.'s pairwise update), then shared.
#pragma once
#include <cstdint>
#include <vector>

#include "comm/comm.hpp"

namespace dpt {

struct OutputMetrics {
  double mse = 0, mae = 0, r2 = 0;  // r2: NaN when the output's targets are constant
  double sse = 0, sst = 0;          // sums of squared errors and of squared deviations from the mean
};

// IoU of class c = TP / (TP + FP + FN) from confusion (K, K) [truth][predicted]; NaN for a class
// absent from both truth and prediction. mean_iou: the mean over the other classes (NaN if none).
std::vector<double> class_iou(const std::vector<int64_t>& confusion, int64_t K);
double mean_iou(const std::vector<double>& iou);

// Per-row statistics of T outputs with P positions each: stats (4 T) = for each output t: mean of
// the targets, their centered sum of squares, the sum of squared errors, the sum of absolute errors.
// out, y: (T, P) (y as float32).
constexpr int64_t kRowStats = 4;
void row_output_stats(const float* out, const float* y, int64_t T, int64_t P, double* stats);

// Collective: `rows` x (4 T) row statistics of this rank (its rows, in order; ranks hold consecutive
// blocks in rank order) combined in global row order on rank 0 and shared with every rank.
std::vector<OutputMetrics> combine_output_stats(const std::vector<double>& stats, int64_t rows, int64_t T, int64_t P,
                                                const Comm& comm);

}  // namespace dpt
