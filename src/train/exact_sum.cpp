#include "train/exact_sum.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "kernels/fixed_point.hpp"

namespace dpt {

namespace {
int64_t block_start(int64_t i) { return kern::fixed_blocks(i) * kern::kFixedBlock; }  // i rounded up to a block
}  // namespace

ExactSum::ExactSum(std::vector<int64_t> sizes, int64_t slots, int64_t terms, const std::vector<Range>& chunks)
    : sizes_(std::move(sizes)), slots_(slots), terms_(terms) {
  for (int64_t n : sizes_) {
    offsets_.push_back(total_), block_offsets_.push_back(blocks_);
    total_ += n, blocks_ += kern::fixed_blocks(n);
  }
  kept_data_.resize(static_cast<size_t>((slots_ - 1) * total_));
  live_.resize(sizes_.size());
  bmax_.resize(static_cast<size_t>(blocks_)), bmax_all_.resize(bmax_.size()), exps_.resize(bmax_.size());
  fixed_.resize(static_cast<size_t>(total_));
  // A block is final once the chunk holding its first element is: the chunks before (higher
  // offsets) hold the rest. So a chunk [lo, hi) sums the blocks that start in it; it may sum none.
  for (const Range& c : chunks) {
    const int64_t e0 = block_start(c.offset), e1 = std::min(sizes_[0], block_start(c.offset + c.count));
    if (c.offset < 0 || c.offset + c.count > sizes_[0])
      fail("internal: chunk [{}, +{}) of {}", c.offset, c.count, sizes_[0]);
    chunks_.push_back({e0, std::max(e0, e1), e0 / kern::kFixedBlock, kern::fixed_blocks(std::max(e0, e1))});
  }
  if (chunks_.empty()) return;
  for (size_t k = 1; k < sizes_.size(); ++k)  // the statistics: after the gradients
    chunks_.push_back(
        {offsets_[k], offsets_[k] + sizes_[k], block_offsets_[k], block_offsets_[k] + kern::fixed_blocks(sizes_[k])});
  int64_t covered = 0;
  for (const Unit& u : chunks_) covered += u.e1 - u.e0;
  if (covered != total_) fail("internal: the chunks cover {} of {} elements", covered, total_);
}

template <class F>
void ExactSum::for_parts(const Unit& u, F&& f) const {
  for (size_t k = 0; k < sizes_.size(); ++k) {
    const int64_t lo = std::max(u.e0, offsets_[k]), hi = std::min(u.e1, offsets_[k] + sizes_[k]);
    if (hi > lo) f(k, lo - offsets_[k], hi - offsets_[k]);
  }
}

void ExactSum::keep(std::initializer_list<const float*> arrays) {
  if (kept_ + 1 >= slots_ || arrays.size() != sizes_.size())
    fail("internal: keeping micro-shard {} of {} with {} arrays (expected {})", kept_ + 1, slots_, arrays.size(),
         sizes_.size());
  if (kept_ == 0) std::fill(bmax_.begin(), bmax_.end(), 0.0f);
  for (size_t k = 0; k < sizes_.size(); ++k)
    // An empty array (no batchnorm: no statistics) may be a null pointer: nothing to copy.
    if (sizes_[k] > 0)
      kern::copy_block_max_abs(arrays.begin()[k], sizes_[k], kept_data_.data() + kept_ * total_ + offsets_[k],
                               bmax_.data() + block_offsets_[k]);
  ++kept_;
}

// Written only before the step's first unit starts: the communication thread may be reading them later.
void ExactSum::set_live(std::initializer_list<float*> arrays) {
  if (arrays.size() != sizes_.size()) fail("internal: {} arrays for {} sums", arrays.size(), sizes_.size());
  if (started_ == 0) return (void)std::copy(arrays.begin(), arrays.end(), live_.begin());
  if (!std::equal(arrays.begin(), arrays.end(), live_.begin()))
    fail("internal: the exact sum's arrays moved in a step");
}

// bmax (u's blocks) <- max(kept micro-shards' maxima, the live values'). One pass over u.
void ExactSum::max_live(const Unit& u) {
  if (kept_ == 0) std::fill(bmax_.begin() + u.b0, bmax_.begin() + u.b1, 0.0f);
  for_parts(u, [&](size_t k, int64_t lo, int64_t hi) {
    kern::block_max_abs(live_[k] + lo, hi - lo, bmax_.data() + block_offsets_[k] + lo / kern::kFixedBlock);
  });
}

// fixed (u's elements) <- sum over this rank's micro-shards of round(x * 2^e), e from the maxima
// of every rank; zeros once a maximum is not finite. One pass over u per micro-shard.
void ExactSum::convert(const Unit& u) {
  for (int64_t b = u.b0; b < u.b1; ++b) bad_ = bad_ || !std::isfinite(bmax_[b]);
  if (bad_) return std::fill(fixed_.begin() + u.e0, fixed_.begin() + u.e1, 0);  // every rank sums zeros alike
  kern::fixed_exponents(bmax_.data() + u.b0, u.b1 - u.b0, terms_, exps_.data() + u.b0);
  for_parts(u, [&](size_t k, int64_t lo, int64_t hi) {
    int32_t* q = fixed_.data() + offsets_[k] + lo;
    const int32_t* e = exps_.data() + block_offsets_[k] + lo / kern::kFixedBlock;
    for (int64_t j = 0; j < kept_; ++j)
      kern::to_fixed(kept_data_.data() + j * total_ + offsets_[k] + lo, hi - lo, e, q, j > 0);
    kern::to_fixed(live_[k] + lo, hi - lo, e, q, kept_ > 0);
  });
}

// The caller's arrays (u's elements) <- the summed integers back in float. One pass over u.
void ExactSum::restore(const Unit& u) {
  if (bad_) return;
  for_parts(u, [&](size_t k, int64_t lo, int64_t hi) {
    kern::from_fixed(fixed_.data() + offsets_[k] + lo, hi - lo,
                     exps_.data() + block_offsets_[k] + lo / kern::kFixedBlock, live_[k] + lo);
  });
}

bool ExactSum::reduce(const Comm& comm, std::initializer_list<float*> arrays) {
  set_live(arrays);
  const Unit all{0, total_, 0, blocks_};
  max_live(all);
  std::copy(bmax_.begin(), bmax_.end(), bmax_all_.begin());
  comm.allreduce_max(bmax_all_.data(), blocks_, "gradient block maxima");  // max is exact: same on every rank
  std::copy(bmax_all_.begin(), bmax_all_.end(), bmax_.begin());            // floats: exact both ways
  convert(all);
  if (bad_) return false;  // every rank sees the same maxima: none sums
  comm.allreduce_sum(fixed_.data(), total_, "gradients (exact)");
  restore(all);
  return true;
}

// One unit through AsyncSum: its maxima now (the chunk was just written: in cache), the rest in
// order as the collectives complete. The steps capture [this, u]: stored without allocating.
void ExactSum::start_unit(AsyncSum& async, size_t u) {
  const Unit& c = chunks_[u];
  if (c.e1 == c.e0) return;  // every rank has the same units: all skip it
  max_live(c);
  async.start_max(bmax_.data() + c.b0, c.b1 - c.b0);
  async.then([this, u] { convert(chunks_[u]); });
  async.start_sum(fixed_.data() + c.e0, c.e1 - c.e0);
  async.then([this, u] { restore(chunks_[u]); });
}

void ExactSum::start(AsyncSum& async, size_t chunk, std::initializer_list<float*> arrays) {
  if (chunk != started_ || chunk + sizes_.size() > chunks_.size())
    fail("internal: exact-sum chunk {} started after {} of {}", chunk, started_, chunks_.size());
  set_live(arrays);
  start_unit(async, started_++);
}

bool ExactSum::finish(AsyncSum& async, std::initializer_list<float*> arrays) {
  set_live(arrays);
  while (started_ < chunks_.size()) start_unit(async, started_++);
  async.wait_all("gradients (exact)");
  return !bad_;
}

}  // namespace dpt
