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
#include "tensor/shape.hpp"

namespace dpt {

// One matrix product a layer issues per pass (for benchmarks: the sgemm rate at the model's shapes).
struct GemmShape {
  bool trans_a, trans_b;
  int64_t M, N, K;
};

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
  // Layer::bind_buffer_sums) instead of updating its running statistics; the trainer sums them
  // exactly over the micro-shards of every rank and calls Model::commit_running_stats.
  bool defer_running_stats = false;
  // Sums `n` doubles across the ranks in place (sync batchnorm). Null: a single process.
  std::function<void(double*, int64_t)> allreduce;
};

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
  // Non-trained state saved with the model (batchnorm running statistics), laid out in order.
  virtual std::vector<ParamDecl> buffers() const { return {}; }
  virtual void bind_buffers(T* buffers) {}
  // Same layout as the buffers: where deferred running-statistics updates are summed.
  virtual void bind_buffer_sums(T* sums) {}
  // Applies the deferred update: the sums hold the statistics of the forward passes whose batch
  // sizes are `batch_rows` (every pass of the step on every rank, the same list on every rank).
  virtual void commit_running_stats(const std::vector<int64_t>& batch_rows) {}
  void set_context(const PassContext* ctx) { ctx_ = ctx; }
  // True when forward/backward call ctx.allreduce (sync batchnorm): every rank must then run
  // them the same number of times, even on an empty batch.
  virtual bool collective() const { return false; }
  // Floating-point operations of forward + backward for one sample (for GFLOP/s reports).
  virtual double flops() const { return 0; }
  // The GEMMs of one forward + backward over a batch of B.
  virtual std::vector<GemmShape> gemms(int64_t B) const { return {}; }
  virtual void init(Rng& rng) {}
  virtual void forward(const T* x, T* y, int64_t B) = 0;
  virtual void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) = 0;

 protected:
  bool training() const { return ctx_ && ctx_->training; }
  const PassContext* ctx_ = nullptr;
};

}  // namespace dpt
