#include "input/exchange_plan.hpp"

#include <algorithm>

namespace dpt {

ExchangePlan make_exchange_plan(const Sampler& sampler, int64_t n, int64_t epoch, int rank, int ranks,
                                const std::vector<int64_t>& rows) {
  const std::vector<int64_t> perm = sampler.permutation(epoch);
  const int64_t m = static_cast<int64_t>(perm.size());
  const int64_t batch = sampler.global_batch();
  const int64_t my_begin = block_range(n, rank, ranks).first;
  ExchangePlan x;
  x.send_rows.resize(static_cast<size_t>(ranks));
  x.recv_pos.resize(static_cast<size_t>(ranks));
  std::vector<int64_t> filled(static_cast<size_t>(ranks), 0);  // positions used so far in each rank's plan
  for (int64_t lo = 0; lo < m; lo += batch) {
    const int64_t len = std::min(batch, m - lo);
    for (int q = 0; q < ranks; ++q) {
      const auto [a, b] = block_range(len, q, ranks);
      for (int64_t j = lo + a; j < lo + b; ++j) {
        const int64_t pos = perm[static_cast<size_t>(j)];
        const int64_t g = rows.empty() ? pos : rows[static_cast<size_t>(pos)];
        const int src = block_owner(g, n, ranks);
        if (src == rank) x.send_rows[q].push_back(g - my_begin);
        if (q == rank) x.recv_pos[src].push_back(filled[q]);
        ++filled[q];
      }
    }
  }
  return x;
}

}  // namespace dpt
