// A rank's samples for one pass, held in memory in the order they will be used.
#pragma once
#include <cstdint>
#include <vector>

#include "h5/sample_source.hpp"

namespace dpt {

// Samples a training step can take batches from: rows [first, first + count) as float32
// features x: (count, D) and targets y: (count, target slots): an int32 class label, or the
// float32 bits of T regression targets (SampleSource::target_slots()).
class SampleRows {
 public:
  virtual ~SampleRows() = default;
  virtual int64_t size() const = 0;
  virtual void batch(int64_t first, int64_t count, float* x, int32_t* y) const = 0;
};

// Samples already converted to float32 (evaluation splits; tests).
struct Shard final : SampleRows {
  int64_t rows = 0, D = 0, slots = 1;
  Buffer<float> x;         // (rows, D)
  std::vector<int32_t> y;  // (rows, slots): class labels, or float32 targets' bits
  const int32_t* y_at(int64_t row) const { return y.data() + row * slots; }
  int64_t size() const override { return rows; }
  const float* x_at(int64_t row) const { return x.data() + row * D; }
  void batch(int64_t first, int64_t count, float* bx, int32_t* by) const override;
};

// A packed row, as RawRows hold them and the training data exchanges send them: one sample's
// features in the file's element type (src.row_bytes()), then its 4-byte target slots (a class
// label, or the float32 bits of each regression target; src.target_slots()).
int64_t packed_row_bytes(const SampleSource& src);
void pack_row(const SampleSource& src, const unsigned char* features, const int32_t* targets, unsigned char* row);
// -> float32 features x: (D) (scaled, normalized) and the target slots y.
void unpack_row(const SampleSource& src, const unsigned char* row, float* x, int32_t* y);

// Samples kept as packed rows (`row_bytes` = packed_row_bytes(*src) each), converted to float32
// only when a batch is taken: 4x less memory for byte images.
struct RawRows final : SampleRows {
  const SampleSource* src = nullptr;
  int64_t n = 0, row_bytes = 0;
  std::vector<unsigned char> bytes;  // (n, row_bytes)
  int64_t size() const override { return n; }
  void batch(int64_t first, int64_t count, float* bx, int32_t* by) const override;
};

// Reads exactly the rows `idx` of `src` (only this rank's samples).
Shard load_shard(const SampleSource& src, const std::vector<int64_t>& idx);
// Reads the contiguous rows [begin, end).
Shard load_block(const SampleSource& src, int64_t begin, int64_t end);

}  // namespace dpt
