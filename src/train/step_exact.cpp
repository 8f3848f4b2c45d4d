// train.deterministic: the global batch of each step is cut into S = train.micro_shards fixed
// micro-shards, block_range(G, s, S); rank r of P computes micro-shards [S r / P, S (r+1) / P),
// which are exactly the rows of its usual slice of the global batch (P divides S). Each
// micro-shard's gradients (and batchnorm statistics) are computed on their own, with kernels whose
// results do not depend on the thread count, and summed exactly (ExactSum), so the step's result
// is the same bits for every P that divides S.
#include <algorithm>

#include "core/error.hpp"
#include "train/step.hpp"

namespace dpt {

namespace {

// The sizes of the forward passes of a step over all micro-shards of all ranks: a function of
// the global batch G, the micro-shards S and train.grad_accumulation k only.
void pass_sizes(int64_t G, int64_t S, int64_t k, std::vector<int64_t>& out) {
  out.clear();
  for (int64_t q = 0; q < S; ++q) {
    const auto [g0, g1] = block_range(G, static_cast<int>(q), static_cast<int>(S));
    for (int64_t m = 0; m < k; ++m) {
      const auto [lo, hi] = block_range(g1 - g0, static_cast<int>(m), static_cast<int>(k));
      if (hi > lo) out.push_back(hi - lo);
    }
  }
}

}  // namespace

std::unique_ptr<ExactSum> StepRunner::make_exact() const {
  if (!s_.deterministic) return nullptr;
  const int64_t S = s_.micro_shards, P = comm_.size();
  if (S % P != 0)
    fail(
        "train.micro_shards = {} is not a multiple of the rank count {}: train.deterministic needs the same number "
        "of micro-shards on every rank (use a multiple of every rank count you run on, e.g. 12 for 1, 2, 3, 4 or 6)",
        S, P);
  if (s_.batch_size < S)
    fail("train.batch_size = {} is smaller than train.micro_shards = {}: every micro-shard needs a sample",
         s_.batch_size, S);
  if (model_.has_collective_layers())
    fail(
        "batchnorm with sync: true sums statistics across ranks, which train.deterministic cannot make independent "
        "of the rank count; use sync: false (each micro-shard then normalizes with its own statistics)");
  model_.context().defer_running_stats = true;
  // comm.overlap: summed bucket by bucket as backward completes them; hierarchical sums run only
  // through AsyncSum (without comm.overlap: its buckets started after backward)
  std::vector<ExactSum::Range> chunks;
  if (s_.comm.overlap || async_.hierarchical())
    for (const Bucket& b : buckets_) chunks.push_back({b.offset, b.count});
  return std::make_unique<ExactSum>(std::vector<int64_t>{model_.store().size(), model_.buffers().size()}, S / P, S,
                                    chunks);
}

// This rank's micro-shards one after the other: all but the last kept by the ExactSum (a copy),
// the last one summed in place, with comm.overlap bucket by bucket during its backward pass.
StepResult StepRunner::run_micro_shards(const SampleRows& shard, const EpochPlan& plan, int64_t st, StepTimes& t,
                                        Laps& laps) {
  const int64_t S = s_.micro_shards, G = plan.global_size[st], off = plan.step_begin[st], k = s_.grad_accumulation;
  const float grad_scale = 1.0f / static_cast<float>(G);
  const int64_t slice_offset = block_range(G, comm_.rank(), comm_.size()).first;
  const auto [s0, s1] = block_range(S, comm_.rank(), comm_.size());
  ParamStore &store = model_.store(), &stats = model_.buffers();
  exact_->clear();
  started_ = 0;
  StepResult r;
  for (int64_t s = s0; s < s1; ++s) {
    const auto [g0, g1] = block_range(G, static_cast<int>(s), static_cast<int>(S));  // rows of the global batch
    if (s > s0) store.zero_grads();
    stats.zero_grads();
    for (int64_t m = 0; m < k; ++m) {  // train.grad_accumulation splits a micro-shard further
      const auto [lo, hi] = block_range(g1 - g0, static_cast<int>(m), static_cast<int>(k));
      if (hi == lo) continue;
      const bool hook = s_.comm.overlap && exact_->overlapped() && s == s1 - 1 && m == k - 1;  // gradients final
      const LossResult res = pass(shard, off + g0 - slice_offset + lo, hi - lo, g0 + lo, grad_scale, t, laps,
                                  hook ? layer_done_ : no_hook_);
      r.loss_sum += res.loss_sum, r.correct += res.correct, r.samples += hi - lo;
    }
    if (s == s1 - 1) break;
    exact_->keep({store.grads(), stats.grads()});
    laps.lap(t.comm, "comm wait");
  }
  bool ok = false;
  if (exact_->overlapped()) {
    while (started_ < buckets_.size()) start_bucket(started_++);  // not started in backward (an empty micro-shard)
    ok = exact_->finish(async_, {store.grads(), stats.grads()});
    if (spans_)  // each bucket's sum is known done when the wait ends
      for (Span& sp : *spans_)
        if (sp.lane == 1 && sp.end == 0) sp.end = wall_time();
  } else {
    ok = exact_->reduce(comm_, {store.grads(), stats.grads()});
  }
  if (ok) {
    pass_sizes(G, S, k, pass_rows_);
    model_.commit_running_stats(pass_rows_);
  } else {
    r.skipped = true;  // a NaN or Inf somewhere: finish() stops or skips
  }
  laps.lap(t.comm, "comm wait");
  return r;
}

}  // namespace dpt
