// How work is split over ranks: contiguous near-equal blocks of items (data blocks, evaluation
// shards, a global batch's per-rank slices) and the per-rank batch size.
#pragma once
#include <cstdint>
#include <utility>

namespace dpt {

// Contiguous near-equal block [begin, end) of n items for `rank` of `ranks`.
std::pair<int64_t, int64_t> block_range(int64_t n, int rank, int ranks);
// block_range over whole units of `align` items (the last unit may be short): [begin, end) with
// begin a multiple of align, end a multiple of align or n; the ranks' ranges tile [0, n) in order.
std::pair<int64_t, int64_t> aligned_block_range(int64_t n, int rank, int ranks, int64_t align);
// The rank whose block_range(n, rank, ranks) holds item i (0 <= i < n).
int block_owner(int64_t i, int64_t n, int ranks);
// The most samples of a global batch of `batch` one rank computes: ceil(batch / ranks).
inline int64_t per_rank_batch(int64_t batch, int ranks) { return (batch + ranks - 1) / ranks; }

}  // namespace dpt
