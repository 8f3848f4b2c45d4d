#include "input/sample_rows.hpp"

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

int64_t packed_row_bytes(const SampleSource& src) { return src.row_bytes() + 4 * src.target_slots(); }

void pack_row(const SampleSource& src, const unsigned char* features, const int32_t* targets, unsigned char* row) {
  std::memcpy(row, features, static_cast<size_t>(src.row_bytes()));
  std::memcpy(row + src.row_bytes(), targets, static_cast<size_t>(4 * src.target_slots()));
}

void unpack_row(const SampleSource& src, const unsigned char* row, float* x, int32_t* y) {
  src.convert_row(row, x);
  std::memcpy(y, row + src.row_bytes(), static_cast<size_t>(4 * src.target_slots()));
}

void RawRows::batch(int64_t first, int64_t count, float* bx, int32_t* by) const {
  const int64_t D = src->sample_numel(), slots = src->target_slots();
  for (int64_t i = 0; i < count; ++i)
    unpack_row(*src, bytes.data() + (first + i) * row_bytes, bx + i * D, by + i * slots);
}

Shard load_block(const SampleSource& src, int64_t begin, int64_t end) {
  std::vector<int64_t> idx(static_cast<size_t>(end - begin));
  std::iota(idx.begin(), idx.end(), begin);
  return load_shard(src, idx);
}

}  // namespace dpt
