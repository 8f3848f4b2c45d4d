#include "checkpoint/array_io.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/error.hpp"
#include "core/partition.hpp"
#include "h5/arrays.hpp"

namespace dpt::ckpt {

int64_t crc32_of(const float* p, int64_t n, int64_t crc) {
  auto c = static_cast<uLong>(crc);
  const auto* bytes = reinterpret_cast<const Bytef*>(p);
  for (int64_t off = 0, total = n * 4; off < total; off += 1 << 30)
    c = crc32(c, bytes + off, static_cast<uInt>(std::min<int64_t>(1 << 30, total - off)));
  return static_cast<int64_t>(c);
}

int64_t whole_crc(const ArrayPart& a, const Comm& comm) {
  if (!a.sharded) return crc32_of(a.data, a.size);
  // Every rank's (begin, length, crc) per range, at its own place: the sum gathers them.
  const size_t per_rank = a.ranges.size(), P = static_cast<size_t>(comm.size());
  std::vector<int64_t> parts(3 * per_rank * P, 0);
  const float* p = a.data;
  for (size_t k = 0; k < per_rank; ++k) {
    const auto [lo, hi] = a.ranges[k];
    int64_t* slot = parts.data() + 3 * (static_cast<size_t>(comm.rank()) * per_rank + k);
    slot[0] = lo, slot[1] = hi - lo, slot[2] = crc32_of(p, hi - lo);
    p += hi - lo;
  }
  comm.allreduce_sum(parts.data(), static_cast<int64_t>(parts.size()), "checkpoint checksums");
  std::vector<std::array<int64_t, 3>> all;
  for (size_t i = 0; i < per_rank * P; ++i)
    if (parts[3 * i + 1] > 0) all.push_back({parts[3 * i], parts[3 * i + 1], parts[3 * i + 2]});
  std::sort(all.begin(), all.end());
  uLong crc = crc32(0L, Z_NULL, 0);
  int64_t next = 0;
  for (const auto& [lo, n, c] : all) {
    if (lo != next) fail("internal: the ranks' parts of '{}' leave a gap at element {}", a.name, next);
    crc = crc32_combine64(crc, static_cast<uLong>(c), static_cast<z_off64_t>(n * 4));
    next = lo + n;
  }
  if (next != a.size) fail("internal: the ranks' parts of '{}' cover {} of {} elements", a.name, next, a.size);
  return static_cast<int64_t>(crc);
}

Ranges written_ranges(const ArrayPart& a, const Comm& comm, const float*& from) {
  from = a.data;
  if (a.sharded) return a.ranges;
  const auto [lo, hi] = block_range(a.size, comm.rank(), comm.size());
  from = a.data + lo;
  return {{lo, hi}};
}

int64_t read_streamed(hid_t d, const ArrayPart& a, bool& ok) {
  constexpr int64_t kChunk = 1 << 20;
  std::vector<float> buf(static_cast<size_t>(std::min(kChunk, a.size)));
  int64_t crc = 0;
  ok = true;
  for (int64_t c0 = 0; c0 < a.size; c0 += kChunk) {
    const int64_t c1 = std::min(a.size, c0 + kChunk);
    if (!h5::read_f32_range(d, c0, c1 - c0, buf.data())) {
      ok = false;
      return 0;
    }
    crc = crc32_of(buf.data(), c1 - c0, crc);
    float* out = a.data;
    for (const auto& [lo, hi] : a.ranges) {  // the part of each wanted range inside this chunk
      const int64_t s0 = std::max(lo, c0), s1 = std::min(hi, c1);
      if (out && s1 > s0) std::memcpy(out + (s0 - lo), buf.data() + (s0 - c0), static_cast<size_t>(s1 - s0) * 4);
      if (out) out += hi - lo;
    }
  }
  return crc;
}

}  // namespace dpt::ckpt
