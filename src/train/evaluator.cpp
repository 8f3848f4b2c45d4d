#include "train/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/softmax.hpp"

namespace dpt {

namespace {
// Forward passes over the shard; adds this rank's loss sum and correct count to sums[0..1] and,
// when confusion is not null, its (C, C) counts.
void run_batches(Model& model, const Loss<float>& loss, const Shard& shard, double sums[2], int64_t* confusion) {
  const int64_t C = numel(model.output_shape());
  std::vector<int32_t> pred(confusion ? static_cast<size_t>(model.max_batch()) : 0);
  model.context().training = false;
  for (int64_t i = 0; i < shard.rows; i += model.max_batch()) {
    const int64_t b = std::min(model.max_batch(), shard.rows - i);
    const float* out = model.forward(shard.x_at(i), b);
    Targets t{shard.y.data() + i};
    const LossResult r = loss.compute(out, t, b, C, 1.0f, nullptr);
    sums[0] += r.loss_sum;
    sums[1] += static_cast<double>(r.correct);
    if (!confusion) continue;
    kern::argmax_rows(out, b, C, pred.data());
    for (int64_t k = 0; k < b; ++k) ++confusion[shard.y[i + k] * C + pred[k]];
  }
}

EvalResult mean_of(const double sums[2], int64_t n) {
  EvalResult e;
  e.samples = n;
  if (n > 0) e.loss = sums[0] / static_cast<double>(n), e.accuracy = sums[1] / static_cast<double>(n);
  return e;
}
}  // namespace

EvalResult evaluate(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm) {
  double sums[2] = {0, 0};  // loss sum, correct
  run_batches(model, loss, shard, sums, nullptr);
  int64_t n = shard.rows;
  comm.allreduce_sum(sums, 2);
  comm.allreduce_sum(&n, 1);
  return mean_of(sums, n);
}

ClassEval evaluate_classes(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm) {
  ClassEval e;
  e.classes = numel(model.output_shape());
  std::vector<int64_t> counts(static_cast<size_t>(e.classes * e.classes + 1), 0);  // confusion, then n
  double sums[2] = {0, 0};
  run_batches(model, loss, shard, sums, counts.data());
  counts.back() = shard.rows;
  comm.allreduce_sum(sums, 2, "evaluation sums");
  comm.allreduce_sum(counts.data(), static_cast<int64_t>(counts.size()), "confusion matrix");
  e.overall = mean_of(sums, counts.back());
  counts.pop_back();
  e.confusion = std::move(counts);
  return e;
}

int64_t ClassEval::class_samples(int64_t c) const {
  int64_t s = 0;
  for (int64_t p = 0; p < classes; ++p) s += count(c, p);
  return s;
}

double ClassEval::class_accuracy(int64_t c) const {
  const int64_t n = class_samples(c);
  return n > 0 ? static_cast<double>(count(c, c)) / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace dpt
