#include "train/step.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "kernels/bf16.hpp"
#include "kernels/elementwise.hpp"

namespace dpt {

StepRunner::StepRunner(Model& model, const Loss<float>& loss, Optimizer& opt, const Comm& comm, const TrainSettings& s)
    : model_(model),
      loss_(loss),
      opt_(opt),
      comm_(comm),
      s_(s),
      async_(comm, s.comm.overlap && s.comm.comm_thread ? AsyncSum::Progress::thread : AsyncSum::Progress::poll,
             s.comm.hierarchy),
      overlap_(comm, s.comm.overlap_auto && !s.deterministic, s.comm.overlap),
      augment_(s.data.augment, model.input_shape(), s.seed),
      dout_(static_cast<size_t>(model.max_batch() * numel(model.output_shape()))),
      x_(static_cast<size_t>(model.max_batch() * numel(model.input_shape()))),
      y_(static_cast<size_t>(model.max_batch() * loss.target_slots(numel(model.output_shape())))) {
  // One rank sends nothing: its gradients stay float32 (comm.compress changes nothing there).
  if (s.comm.compress_bf16 && comm.size() > 1) wire_.resize(static_cast<size_t>(model.store().size()));
  outputs_ = numel(model.output_shape());
  // Starts every bucket whose layers backward has finished (made once: no allocation per step).
  layer_done_ = [this](size_t layer) {
    while (started_ < buckets_.size() && layer <= buckets_[started_].lowest_layer) start_bucket(started_++);
    async_.poll();
  };
  // Buckets: whole layers, from the last one backwards, closed once they hold bucket_floats.
  const auto& views = model.store().views();
  int64_t lo = model.store().size(), hi = lo;
  for (size_t k = views.size(); k-- > 0;) {
    lo = views[k].offset;
    const bool layer_start = k == 0 || views[k - 1].layer != views[k].layer;
    if (layer_start && (hi - lo >= s.comm.bucket_floats || k == 0)) {
      buckets_.push_back({views[k].layer, lo, hi - lo, {}});
      hi = lo;
    }
  }
  exact_ = make_exact();
  if (s.comm.compress_powersgd && comm.size() > 1) make_powersgd();
  plan_shards();  // after exact_: the exact sum keeps the gradient sums whole
  log_hierarchy();
}

void StepRunner::log_hierarchy() const {
  if (s_.comm.hierarchy == Hierarchy::off || comm_.size() == 1) return;
  const char* mode = s_.comm.hierarchy == Hierarchy::on ? "on" : "auto";
  const Topology& t = async_.topology();
  if (!async_.hierarchical())  // on one node (most runs) only at debug level
    return spdlog::log(t.nodes > 1 ? spdlog::level::info : spdlog::level::debug,
                       "comm.hierarchical: {}: flat all-reduce ({}: a leaders' all-reduce would be the flat one)", mode,
                       t.describe());
  spdlog::info(
      "comm.hierarchical: {}: {}: gradient sums reduce to each node's leader, all-reduce among the {} leaders, "
      "broadcast on the node{}",
      mode, t.describe(), t.nodes,
      scatter_ ? "; except optimizer.shard's reduce-scatter, which stays flat (each rank receives only its own "
                 "block: a node-level form would carry the blocks of the node's other ranks through its leader "
                 "twice)"
               : "");
}

void StepRunner::make_powersgd() {
  std::vector<PowerSgd::Range> ranges;
  for (const Bucket& b : buckets_) ranges.push_back({b.offset, b.count});
  psgd_ = std::make_unique<PowerSgd>(model_.store(), ranges, s_.comm.powersgd_rank, s_.seed);
  const int64_t n = model_.store().size(), wire = psgd_->wire_floats();
  if (comm_.rank() == 0)
    spdlog::info(
        "comm.compress powersgd: {} weight matrices ({} of {} parameters) summed at rank {}: {} floats on the wire "
        "per step instead of {} ({:.1f}x fewer)",
        psgd_->compressed_tensors(), psgd_->compressed_floats(), n, s_.comm.powersgd_rank, wire, n,
        static_cast<double>(n) / static_cast<double>(std::max<int64_t>(wire, 1)));
}

void StepRunner::Laps::lap(double& acc, const char* name) {
  const double now = wall_time();
  acc += now - mark;
  if (spans) spans->push_back({name, mark, now});
  mark = now;
}

void StepRunner::start_bucket(size_t k) {
  const Bucket& b = buckets_[k];
  if (spans_) spans_->push_back({"allreduce", wall_time(), 0, 1, psgd_ ? psgd_->bucket_wire(k) : b.count});
  if (exact_) return exact_->start(async_, k, {model_.store().grads(), model_.buffers().grads()});
  if (psgd_) return psgd_->start(async_, k);
  float* grads = model_.store().grads() + b.offset;
  if (scatter_) return async_.start_scatter(grads, shard_grads_.data() + b.recv_at, b.split);
  if (wire_.empty()) return async_.start(grads, b.count);
  kern::to_bf16(grads, wire_.data() + b.offset, b.count);
  async_.start_bf16(wire_.data() + b.offset, b.count);
}

LossResult StepRunner::pass(const SampleRows& shard, int64_t row, int64_t n, int64_t sample_offset, float grad_scale,
                            StepTimes& t, Laps& laps, const std::function<void(size_t)>& layer_done) {
  PassContext& ctx = model_.context();
  ctx.sample_offset = sample_offset;
  shard.batch(row, n, x_.data(), y_.data());
  augment_.apply(x_.data(), n, ctx.step, sample_offset);
  laps.lap(t.data, "data");
  const float* out = model_.forward(x_.data(), n);
  const LossResult res = loss_.compute(out, Targets{y_.data()}, n, outputs_, grad_scale, dout_.data());
  laps.lap(t.forward, "forward");
  model_.backward(x_.data(), dout_.data(), n, layer_done);
  laps.lap(t.backward, "backward");
  return res;
}

StepResult StepRunner::run(const SampleRows& shard, const EpochPlan& plan, int64_t st, int64_t global_step, float lr,
                           StepTimes* times) {
  StepTimes local;
  StepTimes& t = times ? *times : local;
  Laps laps;
  const double t0 = laps.mark;
  laps.spans = spans_ = t.spans;
  const int64_t b = plan.local_size(st), off = plan.step_begin[st];
  const int64_t slice_offset = block_range(plan.global_size[st], comm_.rank(), comm_.size()).first;
  const float grad_scale = 1.0f / static_cast<float>(plan.global_size[st]);
  ParamStore& store = model_.store();
  PassContext& ctx = model_.context();
  ctx.training = true, ctx.step = global_step;
  store.zero_grads();
  laps.lap(t.optimizer, "optimizer");  // zeroing the gradients belongs to the update's cost
  if (exact_) return finish(run_micro_shards(shard, plan, st, t, laps), global_step, lr, t, laps);
  StepResult r;
  const bool overlap = overlap_.overlap();
  const int64_t k = s_.grad_accumulation;
  started_ = 0;
  for (int64_t m = 0; m < k; ++m) {  // micro-batch m: rows [b*m/k, b*(m+1)/k) of the slice
    const auto [lo, hi] = block_range(b, static_cast<int>(m), static_cast<int>(k));
    if (hi == lo && !model_.has_collective_layers()) continue;
    const bool last = m == k - 1;
    const LossResult lr_ = pass(shard, off + lo, hi - lo, slice_offset + lo, grad_scale, t, laps,
                                overlap && last ? layer_done_ : no_hook_);
    r.loss_sum += lr_.loss_sum, r.correct += lr_.correct, r.samples += hi - lo;
  }
  if (overlap || !wire_.empty() || scatter_ || psgd_ || async_.hierarchical()) {  // (else flat: one allreduce)
    while (started_ < buckets_.size()) start_bucket(started_++);  // not started in backward (an empty slice)
    async_.wait_all("gradients");
    if (!wire_.empty()) kern::from_bf16(wire_.data(), store.grads(), store.size());
    if (scatter_) std::copy(shard_grads_.begin(), shard_grads_.end(), store.grads() + own_.begin);
    if (spans_)  // each bucket's sum is known done when the wait ends
      for (Span& sp : *spans_)
        if (sp.lane == 1 && sp.end == 0) sp.end = wall_time();
  } else {
    comm_.allreduce_sum(store.grads(), store.size(), "gradients");
  }
  laps.lap(t.comm, "comm wait");
  r = finish(r, global_step, lr, t, laps);
  overlap_.step_done(laps.mark - t0);
  return r;
}

StepResult StepRunner::finish(StepResult r, int64_t global_step, float lr, StepTimes& t, Laps& laps) {
  ParamStore& store = model_.store();
  store.zero_frozen_grads();  // `trainable: false` layers count neither in the norm nor in clipping
  if (!r.skipped) r.grad_norm = std::sqrt(grad_norm_squared());  // same bits on every rank
  if (r.skipped || !std::isfinite(r.grad_norm)) {
    if (!s_.skip_nonfinite)
      fail(
          "step {}: the gradient norm is {} (local loss sum {}): training diverged; lower optimizer.lr, set "
          "train.clip_grad_norm, or set train.nonfinite=skip. Earlier checkpoints are untouched.",
          global_step + 1, r.skipped ? std::numeric_limits<double>::infinity() : r.grad_norm, r.loss_sum);
    r.skipped = true;
    if (psgd_) psgd_->reset();  // its errors hold the step's NaN or inf
    return r;
  }
  if (s_.clip_grad_norm > 0 && r.grad_norm > s_.clip_grad_norm)  // torch.nn.utils.clip_grad_norm_ (own_: all
    kern::scale(store.grads() + own_.begin, own_.size(),         // unless sharded)
                static_cast<float>(s_.clip_grad_norm / (r.grad_norm + 1e-6)));
  opt_.step(store, lr);
  laps.lap(t.optimizer, "optimizer");
  if (gather_) gather_params(t, laps);
  return r;
}

}  // namespace dpt
