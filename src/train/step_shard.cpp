// optimizer.shard on P > 1 ranks (ZeRO stage 1). Rank r owns the parameters param_shards(n, P)[r]:
// its optimizer updates only those and keeps only their state (1/P of the optimizer's memory and
// work). A step then is
//   backward, each bucket of gradients reduce-scattered as it completes (rank r receives the sum
//     of its part of the bucket: half an all-reduce's bytes; on the communication thread, the
//     default: with comm.progress: poll the bucket is all-reduced, see plan_shards),
//   the global gradient norm from the ranks' block sums (one all-reduce of n / 4096 doubles),
//   clipping and the update of rank r's range,
//   one all-gather of the parameters (the other half of an all-reduce's bytes).
// The same bytes on the wire as the plain all-reduce, plus the norm's block sums. With
// train.deterministic, comm.compress or comm.progress: poll the gradient sums stay whole (exact,
// bfloat16, all-reduced) and only the update and its state are sharded, then gathered.
// Every element gets the same update as unsharded, from the same summed gradient: the result is
// the unsharded one bit for bit wherever the sums are (train.deterministic; 2 ranks, whose sums
// a + b do not depend on the algorithm), and within float rounding of the sums otherwise.
#include <algorithm>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "train/shards.hpp"
#include "train/step.hpp"

namespace dpt {

void StepRunner::plan_shards() {
  const int64_t n = model_.store().size();
  own_ = opt_.shard();
  gather_ = s_.optim.shard && comm_.size() > 1;  // the same on every rank (a rank may own all or nothing)
  if (!gather_) return;
  const auto ranges = param_shards(n, comm_.size());
  const auto [lo, hi] = ranges[static_cast<size_t>(comm_.rank())];
  if (lo != own_.begin || hi != own_.end)
    fail("internal: this rank's optimizer owns parameters [{}, {}), the step expects [{}, {})", own_.begin, own_.end,
         lo, hi);
  param_split_ = BlockSplit::of(ranges);
  norm_blocks_.resize(static_cast<size_t>(kern::square_block_count(n)));
  // Open MPI's non-blocking reduce-scatter (libnbc, comm.progress: poll) reduces to rank 0 and then
  // scatters: slower than its all-reduce. There, as with the exact and bfloat16 sums, the sums stay
  // whole and only the update is sharded; the thread's blocking MPI_Reduce_scatter is the real one.
  scatter_ = !exact_ && wire_.empty() && async_.progress() == AsyncSum::Progress::thread;
  if (!scatter_) return;
  shard_grads_.resize(static_cast<size_t>(own_.size()));
  for (Bucket& b : buckets_) {  // rank q's part of the bucket: its range clipped to the bucket
    std::vector<std::pair<int64_t, int64_t>> parts;
    for (const auto& [q0, q1] : ranges)
      parts.emplace_back(std::clamp(q0, b.offset, b.offset + b.count) - b.offset,
                         std::clamp(q1, b.offset, b.offset + b.count) - b.offset);
    b.split = BlockSplit::of(parts);
    const auto [p0, p1] = parts[static_cast<size_t>(comm_.rank())];  // this rank's part, in the bucket
    b.recv_at = p1 > p0 ? b.offset + p0 - lo : 0;  // an empty part receives nothing: any valid place
  }
}

double StepRunner::grad_norm_squared() {
  ParamStore& store = model_.store();
  if (!scatter_) return kern::sum_squares(store.grads(), store.size());
  // Rank r's blocks are whole (param_shards): their sums are the ones the whole buffer would give.
  // Every other rank adds zeros to them, which leaves them exact.
  std::fill(norm_blocks_.begin(), norm_blocks_.end(), 0.0);
  kern::square_blocks(store.grads() + own_.begin, own_.size(), norm_blocks_.data() + own_.begin / kern::kSquaresBlock);
  comm_.allreduce_sum(norm_blocks_.data(), static_cast<int64_t>(norm_blocks_.size()), "gradient norm blocks");
  return kern::sum_in_order(norm_blocks_.data(), static_cast<int64_t>(norm_blocks_.size()));
}

void StepRunner::gather_params(StepTimes& t, Laps& laps) {
  comm_.allgather_blocks(model_.store().params(), param_split_, "parameters");
  laps.lap(t.comm, "allgather");
}

}  // namespace dpt
