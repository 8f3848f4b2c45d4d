#include "train/shards.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

#include "core/error.hpp"
#include "core/partition.hpp"
#include "kernels/elementwise.hpp"

namespace dpt {

std::vector<std::pair<int64_t, int64_t>> param_shards(int64_t n, int ranks) {
  std::vector<std::pair<int64_t, int64_t>> r;
  for (int q = 0; q < ranks; ++q) r.push_back(aligned_block_range(n, q, ranks, kern::kSquaresBlock));
  return r;
}

std::unique_ptr<Optimizer> make_run_optimizer(const TrainSettings& s, int64_t n, const Comm& comm) {
  if (!s.optim.shard || comm.size() == 1) return make_optimizer(s.optim.optimizer, n);
  if (n > INT_MAX)  // MPI's counts are int: the all-gather of the parameters takes them in one call
    fail("optimizer.shard = true: the model has {} parameters, more than this version can shard ({}); use "
         "optimizer.shard = false",
         n, INT_MAX);
  const auto ranges = param_shards(n, comm.size());
  const auto [begin, end] = ranges[static_cast<size_t>(comm.rank())];
  auto opt = make_optimizer(s.optim.optimizer, n, ParamShard{begin, end, true});
  int64_t largest = 0;
  for (const auto& [b, e] : ranges) largest = std::max(largest, e - b);
  if (comm.rank() == 0)
    spdlog::info(
        "optimizer.shard: each rank updates and keeps the state of at most {} of the {} parameters ({:.2f} "
        "of {:.2f} MB of {} state)",
        largest, n, static_cast<double>(largest * opt->slots()) * 4e-6, static_cast<double>(n * opt->slots()) * 4e-6,
        opt->name());
  return opt;
}

}  // namespace dpt
