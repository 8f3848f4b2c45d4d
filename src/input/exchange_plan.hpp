// Block read + exchange: rank r reads only the contiguous block r of the file (1/P of it, once)
// and the ranks swap rows so that each ends up with exactly its samples of the epoch's global
// permutation. Without this, a random permutation touches every chunk of a compressed file, so
// every rank would decompress the whole file every epoch.
#pragma once
#include <cstdint>
#include <vector>

#include "input/sampler.hpp"

namespace dpt {

struct ExchangePlan {
  // send_rows[q]: rows of my block (offsets from its start) that rank q needs, in q's step order.
  std::vector<std::vector<int64_t>> send_rows;
  // recv_pos[r]: positions in my EpochPlan::indices filled by the rows rank r sends, in order.
  std::vector<std::vector<int64_t>> recv_pos;
};

// The sampler draws positions 0..m-1 of `rows` (file rows, ascending; empty: position = row).
// The file has n rows; the block of rank r is block_range(n, r, P). O(n) per call.
ExchangePlan make_exchange_plan(const Sampler& sampler, int64_t n, int64_t epoch, int rank, int ranks,
                                const std::vector<int64_t>& rows = {});

}  // namespace dpt
