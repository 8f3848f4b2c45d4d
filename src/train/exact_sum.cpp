#include "train/exact_sum.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "kernels/fixed_point.hpp"

namespace dpt {

ExactSum::ExactSum(std::vector<int64_t> sizes, int64_t slots, int64_t terms)
    : sizes_(std::move(sizes)), slots_(slots), terms_(terms) {
  for (int64_t n : sizes_) {
    offsets_.push_back(total_), block_offsets_.push_back(blocks_);
    total_ += n, blocks_ += kern::fixed_blocks(n);
  }
  if (slots_ > 1) slots_data_.resize(static_cast<size_t>(slots_ * total_));
  slot_ptrs_.resize(static_cast<size_t>(slots_) * sizes_.size());
  bmax_.resize(static_cast<size_t>(blocks_)), bmax_all_.resize(bmax_.size()), exps_.resize(bmax_.size());
  fixed_.resize(static_cast<size_t>(total_));
}

void ExactSum::add(std::initializer_list<const float*> arrays) {
  if (used_ == slots_ || arrays.size() != sizes_.size())
    fail("internal: micro-shard {} of {} with {} arrays (expected {})", used_ + 1, slots_, arrays.size(),
         sizes_.size());
  for (size_t k = 0; k < sizes_.size(); ++k) {
    const float* p = arrays.begin()[k];
    if (slots_ > 1) {  // the caller reuses its arrays for the next micro-shard: keep a copy
      float* copy = slots_data_.data() + used_ * total_ + offsets_[k];
      // An empty array (no batchnorm: no statistics) may be a null pointer: memcpy(_, nullptr, 0) is UB.
      if (sizes_[k] > 0) std::memcpy(copy, p, static_cast<size_t>(sizes_[k]) * sizeof(float));
      p = copy;
    }
    slot_ptrs_[static_cast<size_t>(used_) * sizes_.size() + k] = p;
  }
  ++used_;
}

bool ExactSum::reduce(const Comm& comm, std::initializer_list<float*> out) {
  if (out.size() != sizes_.size()) fail("internal: {} output arrays for {} sums", out.size(), sizes_.size());
  std::fill(bmax_.begin(), bmax_.end(), 0.0f);
  for (int64_t j = 0; j < used_; ++j)
    for (size_t k = 0; k < sizes_.size(); ++k)
      kern::block_max_abs(slot(j, k), sizes_[k], bmax_.data() + block_offsets_[k]);
  std::copy(bmax_.begin(), bmax_.end(), bmax_all_.begin());
  comm.allreduce_max(bmax_all_.data(), blocks_, "gradient block maxima");  // max is exact: same on every rank
  for (int64_t b = 0; b < blocks_; ++b) {
    if (!std::isfinite(bmax_all_[b])) return false;  // every rank sees the same maxima
    bmax_[b] = static_cast<float>(bmax_all_[b]);
  }
  kern::fixed_exponents(bmax_.data(), blocks_, terms_, exps_.data());
  for (size_t k = 0; k < sizes_.size(); ++k) {
    int32_t* q = fixed_.data() + offsets_[k];
    const int32_t* e = exps_.data() + block_offsets_[k];
    if (used_ == 0) std::fill(q, q + sizes_[k], 0);
    for (int64_t j = 0; j < used_; ++j) kern::to_fixed(slot(j, k), sizes_[k], e, q, j > 0);
  }
  comm.allreduce_sum(fixed_.data(), total_, "gradients (exact)");
  for (size_t k = 0; k < sizes_.size(); ++k)
    kern::from_fixed(fixed_.data() + offsets_[k], sizes_[k], exps_.data() + block_offsets_[k], out.begin()[k]);
  return true;
}

}  // namespace dpt
