#include "data/shard_loader.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace dpt {

Shard load_shard(const SampleSource& src, const std::vector<int64_t>& idx) {
  Shard s;
  s.rows = static_cast<int64_t>(idx.size());
  s.D = src.sample_numel();
  s.slots = src.target_slots();
  s.x.resize(static_cast<size_t>(s.rows * s.D));
  s.y.resize(static_cast<size_t>(s.rows * s.slots));
  src.read(idx, s.x.data(), s.y.data());
  return s;
}

void Shard::batch(int64_t first, int64_t count, float* bx, int32_t* by) const {
  std::copy_n(x.data() + first * D, count * D, bx);
  std::copy_n(y.data() + first * slots, count * slots, by);
}

void RawRows::batch(int64_t first, int64_t count, float* bx, int32_t* by) const {
  const int64_t D = src->sample_numel(), feature_bytes = src->row_bytes(), slots = src->target_slots();
  for (int64_t i = 0; i < count; ++i) {
    const unsigned char* row = bytes.data() + (first + i) * row_bytes;
    src->convert_row(row, bx + i * D);
    std::memcpy(by + i * slots, row + feature_bytes, static_cast<size_t>(4 * slots));
  }
}

Shard load_block(const SampleSource& src, int64_t begin, int64_t end) {
  std::vector<int64_t> idx(static_cast<size_t>(end - begin));
  std::iota(idx.begin(), idx.end(), begin);
  return load_shard(src, idx);
}

}  // namespace dpt
