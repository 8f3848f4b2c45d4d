// Shared by the collective checkpoint suites: sample arrays (with the float values a lossy copy
// would change: -0, denormals, infinities, a NaN with a payload), sample metadata, and byte-level
// damage to a written file (done by rank 0 alone, between barriers).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_file.hpp"
#include "comm/comm.hpp"

namespace dpt::test {

struct SampleArrays {
  std::vector<float> params, optimizer, buffers;
  CheckpointArrays view();
};

// Random values of the given sizes, seeded, with the special values above at the front of params.
SampleArrays sample_arrays(int64_t n_params, int64_t n_optimizer, int64_t n_buffers, uint64_t seed);
// The same sizes as `a`, every value 0 (what a reader is given to fill).
SampleArrays zeros_like(const SampleArrays& a);
bool bitwise_equal(const SampleArrays& a, const SampleArrays& b);

CheckpointMeta sample_meta(int64_t step, const std::string& architecture = "input (5) | dense 5 -> (3)");

// Rank 0 only: XORs the byte `byte` of dataset `dataset` (contiguous) of the closed file `path` with 0xFF.
void flip_data_byte(const std::string& path, const std::string& dataset, int64_t byte);
// Rank 0 only: cuts the file to `fraction` of its size.
void truncate_file(const std::string& path, double fraction);
// Rank 0 only: overwrites the root attribute `name` (int64) with `value`.
void set_i64_attr(const std::string& path, const char* name, int64_t value);

}  // namespace dpt::test
