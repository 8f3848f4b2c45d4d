#include "train/powersgd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "kernels/gemm.hpp"
#include "kernels/lowrank.hpp"

namespace dpt {

namespace {
// The tensor as a matrix (n, m) = (shape[0], the rest); (0, 0): never compressed (frozen, or a vector).
std::pair<int64_t, int64_t> matrix_of(const ParamView& v) {
  if (v.frozen || v.shape.size() < 2 || v.shape[0] <= 0) return {0, 0};
  return {v.shape[0], v.count / v.shape[0]};
}
}  // namespace

PowerSgd::PowerSgd(ParamStore& store, const std::vector<Range>& buckets, int64_t rank, uint64_t seed)
    : seed_(seed), grads_(store.grads()) {
  int64_t stage = 0, q_total = 0;
  std::vector<int64_t> q_sizes;
  for (const Range& br : buckets) {
    Bucket b;
    b.stage_at = stage;
    int64_t plain = 0, plain_from = br.offset;
    std::vector<Tensor> mine;
    for (const ParamView& v : store.views()) {
      if (v.offset < br.offset || v.offset >= br.offset + br.count) continue;
      const auto [n, m] = matrix_of(v);
      const int64_t r = std::min({rank, n, m});
      if (r == 0 || 2 * (n + m) * r >= n * m) continue;  // PyTorch's min_compression_rate 2
      if (v.offset > plain_from) b.plain.push_back({plain_from, v.offset - plain_from}), plain += v.offset - plain_from;
      plain_from = v.offset + v.count;
      mine.push_back({v.offset, n, m, r, errors_, 0});
      errors_ += n * m, dense_ += n * m;
    }
    const int64_t end = br.offset + br.count;
    if (end > plain_from) b.plain.push_back({plain_from, end - plain_from}), plain += end - plain_from;
    int64_t p_at = stage + plain;
    b.q_at = q_total;
    for (Tensor& t : mine) {
      t.p_at = p_at, p_at += t.n * t.r;
      q_offsets_.push_back(q_total), q_total += t.m * t.r;
      b.tensors.push_back(tensors_.size());
      tensors_.push_back(t);
    }
    b.stage_count = p_at - stage, b.q_count = q_total - b.q_at;
    wire_ += b.stage_count + b.q_count;
    stage = p_at;
    buckets_.push_back(std::move(b));
  }
  for (int64_t& q : q_offsets_) q += errors_;  // the factors follow the errors in state_
  for (Bucket& b : buckets_) b.q_at += errors_;
  state_.assign(static_cast<size_t>(errors_ + q_total), 0.0f);
  stage_.resize(static_cast<size_t>(stage));
  int64_t max_n = 0, max_m = 0;
  layout_ = fmt::format("powersgd rank {}:", rank);
  for (const Tensor& t : tensors_) {
    max_n = std::max(max_n, t.n), max_m = std::max(max_m, t.m);
    layout_ += fmt::format(" {}:{}x{}", t.offset, t.n, t.m);
  }
  scratch_.resize(static_cast<size_t>(max_n)), column_.resize(static_cast<size_t>(max_m));
  init_factors();
}

void PowerSgd::init_factors() {
  for (size_t i = 0; i < tensors_.size(); ++i)
    kern::fill_normal(state_.data() + q_offsets_[i], tensors_[i].m * tensors_[i].r, derive_seed(seed_, 0x9051d, i));
}

void PowerSgd::reset() {
  std::fill(state_.begin(), state_.begin() + errors_, 0.0f);
  init_factors();
}

// On the caller: the bucket's plain values and every tensor's P = (gradient + e) Q into the stage,
// then the chain of two sums and two local steps.
void PowerSgd::start(AsyncSum& async, size_t k) {
  if (k >= buckets_.size()) fail("internal: PowerSGD bucket {} of {}", k, buckets_.size());
  const float* grads = grads_;
  const Bucket& b = buckets_[k];
  float* stage = stage_.data() + b.stage_at;
  for (const Range& r : b.plain) stage = std::copy(grads + r.offset, grads + r.offset + r.count, stage);
  for (size_t i : b.tensors) {
    const Tensor& t = tensors_[i];
    float* M = state_.data() + t.e_at;
    const float* g = grads + t.offset;
    for (int64_t j = 0; j < t.n * t.m; ++j) M[j] += g[j];
    kern::gemm<float>(false, false, t.n, t.r, t.m, 1.0f, M, state_.data() + q_offsets_[i], 0.0f,
                      stage_.data() + t.p_at);
  }
  async.start(stage_.data() + b.stage_at, b.stage_count);
  async.then([this, k] { after_p(k); });
  if (b.q_count == 0) return;
  async.start(state_.data() + b.q_at, b.q_count);
  async.then([this, k] { after_q(k); });
}

void PowerSgd::after_p(size_t k) {
  const Bucket& b = buckets_[k];
  const float* stage = stage_.data() + b.stage_at;
  for (const Range& r : b.plain) std::copy(stage, stage + r.count, grads_ + r.offset), stage += r.count;
  for (size_t i : b.tensors) {
    const Tensor& t = tensors_[i];
    float* M = state_.data() + t.e_at;  // gradient + error
    float* P = stage_.data() + t.p_at;
    float* Q = state_.data() + q_offsets_[i];
    kern::orthonormalize_columns(P, t.n, t.r, scratch_.data());
    kern::gemm<float>(true, false, t.m, t.r, t.n, 1.0f, M, P, 0.0f, Q);    // Q = M^T P: this rank's part
    kern::gemm<float>(false, true, t.n, t.m, t.r, -1.0f, P, Q, 1.0f, M);  // e = M - P Q^T
  }
}

void PowerSgd::redraw_zero_columns(size_t i) {
  const Tensor& t = tensors_[i];
  float* Q = state_.data() + q_offsets_[i];
  uint64_t bits = 0;  // of Q's values: the same on every rank, and after a resume
  for (int64_t e = 0; e < t.m * t.r; ++e) {
    uint32_t w;
    std::memcpy(&w, Q + e, 4);
    bits = bits * 31 + w;
  }
  for (int64_t j = 0; j < t.r; ++j) {
    bool zero = true;
    for (int64_t c = 0; c < t.m && zero; ++c) zero = Q[c * t.r + j] == 0.0f;
    if (!zero) continue;
    kern::fill_normal(column_.data(), t.m, derive_seed(seed_, bits, static_cast<uint64_t>(i * 1024 + j)));
    for (int64_t c = 0; c < t.m; ++c) Q[c * t.r + j] = column_[static_cast<size_t>(c)];
  }
}

void PowerSgd::after_q(size_t k) {
  for (size_t i : buckets_[k].tensors) {
    const Tensor& t = tensors_[i];
    kern::gemm<float>(false, true, t.n, t.m, t.r, 1.0f, stage_.data() + t.p_at, state_.data() + q_offsets_[i], 0.0f,
                      grads_ + t.offset);
    redraw_zero_columns(i);  // the next step's start
  }
}

}  // namespace dpt
