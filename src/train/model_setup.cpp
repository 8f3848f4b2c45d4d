#include "train/model_setup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "core/memory.hpp"
#include "core/partition.hpp"

namespace dpt {

int64_t checked_model_batch(const TrainSettings& s, const Shape& input, const Comm& comm) {
  const int64_t train_b = per_rank_batch(s.batch_size, comm.size()), b = std::max(train_b, s.eval_batch_size);
  const Model probe(s.layers, input, 1, s.layers_origin);
  const std::string what = fmt::format(
      "config: batches of {} samples ({} = max(train.batch_size / {} ranks, "
      "train.eval_batch_size); {} floats each in the network)",
      b, b, comm.size(), probe.floats_per_sample());
  check_memory({{what, mul_bytes(b, 4 * probe.floats_per_sample()),
                 b > train_b ? "lower train.eval_batch_size" : "lower train.batch_size or use more ranks"}},
               memory_available(comm.local_size()));
  return b;
}

void copy_weights(const Model& m, std::vector<float>& params, std::vector<float>& buffers) {
  params.assign(m.store().params(), m.store().params() + m.store().size());
  buffers.assign(m.buffers().params(), m.buffers().params() + m.buffers().size());
}

}  // namespace dpt
