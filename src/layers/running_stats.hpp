// Running statistics: non-trained state that a layer updates in training passes and uses in
// evaluation (batchnorm's running mean and variance), saved with the model. A layer that keeps
// them exposes this interface through Layer::running_stats(); every other layer returns nullptr.
#pragma once
#include <cstdint>
#include <vector>

#include "layers/layer.hpp"

namespace dpt {

template <class T>
class RunningStats {
 public:
  virtual ~RunningStats() = default;
  // The statistics' tensors, laid out in order in the model's buffer of non-trained state.
  virtual std::vector<ParamDecl> buffers() const = 0;
  // Views into that buffer and into its sums (same layout): where train.deterministic's deferred
  // updates are summed (PassContext::defer_running_stats). `sums` may be null when nothing defers.
  virtual void bind_buffers(T* buffers, T* sums) = 0;
  // Applies the deferred update: the sums hold the statistics of the forward passes whose batch
  // sizes are `batch_rows` (every pass of the step on every rank, the same list on every rank).
  virtual void commit(const std::vector<int64_t>& batch_rows) = 0;
  // True when forward/backward call ctx.allreduce to sum the batch statistics (sync batchnorm):
  // every rank must then run them the same number of times, even on an empty batch.
  virtual bool collective() const = 0;
};

// The layer's running-statistics tensors (none for most layers).
template <class T>
std::vector<ParamDecl> stat_buffers(Layer<T>& layer) {
  const RunningStats<T>* s = layer.running_stats();
  return s ? s->buffers() : std::vector<ParamDecl>{};
}

}  // namespace dpt
