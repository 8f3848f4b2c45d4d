// Layer interface. Activations are batch-major and contiguous: x: (B, in...), y: (B, out...).
// Parameters and their gradients live in the model's flat buffers; a layer only holds views.
// Backward writes dx (when it is not null) and ACCUMULATES into its parameter gradients, so
// several micro-batches can add up before one optimizer step.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "layers/cost.hpp"
#include "tensor/shape.hpp"

namespace dpt {

struct ParamDecl {
  std::string name;  // "weight", "bias"
  Shape shape;       // e.g. weight: (out, in)
};

// What a pass needs beyond its input; the model owns one and the trainer fills it per step.
struct PassContext {
  bool training = false;      // dropout active, batchnorm uses batch statistics
  uint64_t seed = 0;          // run seed: dropout masks are a function of (seed, step, layer, sample)
  int64_t step = 0;           // optimizer step
  int64_t sample_offset = 0;  // global-batch position of this rank's first sample
  // train.deterministic: batchnorm adds each batch's statistics to its buffer sums (see
  // RunningStats::bind_buffers) instead of updating its running statistics; the trainer sums them
  // exactly over the micro-shards of every rank and calls Model::commit_running_stats.
  bool defer_running_stats = false;
  // Sums `n` doubles across the ranks in place (sync batchnorm). Null: a single process.
  std::function<void(double*, int64_t)> allreduce;
};

template <class T>
class RunningStats;  // layers/running_stats.hpp

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string type() const = 0;
  virtual std::string describe() const = 0;  // "dense 784 -> 512"
  virtual Shape in_shape() const = 0;        // per sample
  virtual Shape out_shape() const = 0;       // per sample
  virtual std::vector<ParamDecl> params() const { return {}; }
  // Views into the flat parameter / gradient buffers, laid out in params() order.
  virtual void bind(T* params, T* grads) {}
  // Running statistics (batchnorm), or nullptr: a layer without non-trained state.
  virtual RunningStats<T>* running_stats() { return nullptr; }
  // For benchmark reports: flops per sample and the GEMMs of one pass over a batch of B.
  virtual Cost cost(int64_t B) const { return {}; }
  void set_context(const PassContext* ctx) { ctx_ = ctx; }
  virtual void init(Rng& rng) {}
  virtual void forward(const T* x, T* y, int64_t B) = 0;
  virtual void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) = 0;
  // Fusion (model/graph.cpp): takes over the ReLU layer whose output only this layer reads. From
  // then on x is the ReLU's input: forward applies the ReLU itself and backward writes the
  // gradient of the ReLU's input, with the same bits as the two layers one after the other.
  // Returns false when the layer cannot (the default).
  virtual bool fuse_relu_before() { return false; }

 protected:
  bool training() const { return ctx_ && ctx_->training; }
  const PassContext* ctx_ = nullptr;
};

}  // namespace dpt
