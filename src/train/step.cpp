#include "train/step.hpp"

#include <cmath>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"

namespace dpt {

StepRunner::StepRunner(Model& model, const Loss<float>& loss, Optimizer& opt, const Comm& comm, const TrainSettings& s)
    : model_(model), loss_(loss), opt_(opt), comm_(comm), s_(s),
      dout_(static_cast<size_t>(model.max_batch() * numel(model.output_shape()))) {}

StepResult StepRunner::run(const Shard& shard, const EpochPlan& plan, int64_t st, int64_t global_step, float lr) {
  const int64_t b = plan.local_size(st), off = plan.step_begin[st], C = numel(model_.output_shape());
  const int64_t slice_offset = block_range(plan.global_size[st], comm_.rank(), comm_.size()).first;
  const float grad_scale = 1.0f / static_cast<float>(plan.global_size[st]);
  ParamStore& store = model_.store();
  PassContext& ctx = model_.context();
  ctx.training = true, ctx.step = global_step;
  store.zero_grads();
  StepResult r;
  const int64_t k = s_.grad_accumulation;
  for (int64_t m = 0; m < k; ++m) {  // micro-batch m: rows [b*m/k, b*(m+1)/k) of the slice
    const auto [lo, hi] = block_range(b, static_cast<int>(m), static_cast<int>(k));
    if (hi == lo && !model_.has_collective_layers()) continue;
    ctx.sample_offset = slice_offset + lo;
    const float* x = shard.x_at(off + lo);
    const float* out = model_.forward(x, hi - lo);
    const LossResult lr_ = loss_.compute(out, Targets{shard.y.data() + off + lo}, hi - lo, C, grad_scale, dout_.data());
    model_.backward(x, dout_.data(), hi - lo);
    r.loss_sum += lr_.loss_sum, r.correct += lr_.correct, r.samples += hi - lo;
  }
  comm_.allreduce_sum(store.grads(), store.size());
  r.grad_norm = std::sqrt(kern::sum_squares(store.grads(), store.size()));  // same bits on every rank
  if (!std::isfinite(r.grad_norm)) {
    if (!s_.skip_nonfinite)
      fail("step {}: the gradient norm is {} (local loss sum {}): training diverged; lower optimizer.lr, set "
           "train.clip_grad_norm, or set train.nonfinite=skip. Earlier checkpoints are untouched.",
           global_step + 1, r.grad_norm, r.loss_sum);
    r.skipped = true;
    return r;
  }
  if (s_.clip_grad_norm > 0 && r.grad_norm > s_.clip_grad_norm)  // torch.nn.utils.clip_grad_norm_
    kern::scale(store.grads(), store.size(), static_cast<float>(s_.clip_grad_norm / (r.grad_norm + 1e-6)));
  opt_.step(store, lr);
  return r;
}

}  // namespace dpt
