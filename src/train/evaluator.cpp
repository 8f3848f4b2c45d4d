#include "train/evaluator.hpp"

#include <algorithm>

namespace dpt {

EvalResult evaluate(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm) {
  const int64_t C = numel(model.output_shape());
  double sums[2] = {0, 0};  // loss sum, correct
  model.context().training = false;
  for (int64_t i = 0; i < shard.rows; i += model.max_batch()) {
    const int64_t b = std::min(model.max_batch(), shard.rows - i);
    const float* out = model.forward(shard.x_at(i), b);
    Targets t{shard.y.data() + i};
    const LossResult r = loss.compute(out, t, b, C, 1.0f, nullptr);
    sums[0] += r.loss_sum;
    sums[1] += static_cast<double>(r.correct);
  }
  int64_t n = shard.rows;
  comm.allreduce_sum(sums, 2);
  comm.allreduce_sum(&n, 1);
  EvalResult e;
  e.samples = n;
  if (n > 0) e.loss = sums[0] / static_cast<double>(n), e.accuracy = sums[1] / static_cast<double>(n);
  return e;
}

}  // namespace dpt
