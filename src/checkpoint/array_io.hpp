// Internal to checkpoint/: one checkpoint dataset as a rank holds it (all of it, or its ranges of
// a sharded optimizer state), its checksum, and reading it back in chunks.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "comm/comm.hpp"
#include "h5/file.hpp"

namespace dpt::ckpt {

using Ranges = std::vector<std::pair<int64_t, int64_t>>;  // [begin, end) element ranges, increasing

struct ArrayPart {
  const char* name;
  float* data;    // what this rank holds: the elements of `ranges`, one range after the other
  int64_t size;   // elements of the whole dataset
  Ranges ranges;  // {[0, size)} unless sharded
  bool sharded;   // the ranks hold different ranges (the same on every rank)
};

// crc32 (zlib) of n floats' bytes, continuing `crc` (start with crc32_of(nullptr, 0) = 0).
int64_t crc32_of(const float* p, int64_t n, int64_t crc = 0);

// Collective when a.sharded (one allreduce of 3 x ranges x P int64): the crc32 of the whole dataset
// from every rank's ranges, combined in file order (zlib's crc32_combine); else computed locally.
int64_t whole_crc(const ArrayPart& a, const Comm& comm);

// What this rank writes: its block_range of a replicated array, its own ranges of a sharded one;
// `from` is where their elements start in a.data.
Ranges written_ranges(const ArrayPart& a, const Comm& comm, const float*& from);

// Reads dataset `d` (a.size elements, checked by the caller) in chunks of at most 1 Mi floats,
// keeping a.ranges' elements in a.data; returns the crc32 of the whole dataset (false in `ok` when
// a read failed). With a.data null only the checksum is computed.
int64_t read_streamed(hid_t d, const ArrayPart& a, bool& ok);

}  // namespace dpt::ckpt
