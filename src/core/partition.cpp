#include "core/partition.hpp"

#include <algorithm>

namespace dpt {

std::pair<int64_t, int64_t> block_range(int64_t n, int rank, int ranks) {
  return {n * rank / ranks, n * (rank + 1) / ranks};
}

std::pair<int64_t, int64_t> aligned_block_range(int64_t n, int rank, int ranks, int64_t align) {
  const auto [u0, u1] = block_range((n + align - 1) / align, rank, ranks);
  return {std::min(n, u0 * align), std::min(n, u1 * align)};
}

int block_owner(int64_t i, int64_t n, int ranks) {
  int r = static_cast<int>(std::min<int64_t>(ranks - 1, i * ranks / n));  // a guess, corrected below
  while (r > 0 && block_range(n, r, ranks).first > i) --r;
  while (r + 1 < ranks && block_range(n, r + 1, ranks).first <= i) ++r;
  return r;
}

}  // namespace dpt
