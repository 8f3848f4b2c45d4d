// A sequential network: layers built from the YAML description with shape inference from the
// per-sample input shape, parameters in one ParamStore, activation buffers sized once for the
// largest batch (no allocation per step).
#pragma once
#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"
#include "model/param_store.hpp"

namespace dpt {

class Model {
 public:
  // layers: the model.layers list; input: per-sample input shape, e.g. (1, 28, 28);
  // max_batch: the largest batch forward() will see; origin: config name for errors.
  Model(const YAML::Node& layers, Shape input, int64_t max_batch, const std::string& origin);

  // Fills the parameters from `seed` (layer by layer, in order: independent of rank count).
  void init(uint64_t seed);
  // x: (B, input...) -> returns the output (B, output...), valid until the next forward().
  const float* forward(const float* x, int64_t B);
  // dout: (B, output...): gradient of the loss w.r.t. the last output; accumulates into grads().
  // layer_done(k), when given, is called right after layer k's backward (k = last ... 0): its
  // parameter gradients are final then (the hook that starts overlapped gradient sums).
  void backward(const float* x, const float* dout, int64_t B, const std::function<void(size_t)>& layer_done = nullptr);

  ParamStore& store() { return store_; }
  const ParamStore& store() const { return store_; }
  // Non-trained state saved with the model (batchnorm running statistics). Its gradient buffer
  // holds the deferred statistics sums when context().defer_running_stats is set.
  ParamStore& buffers() { return buffers_; }
  const ParamStore& buffers() const { return buffers_; }
  // Training/evaluation mode, step and sample position for dropout, cross-rank sums for sync
  // batchnorm: set by the trainer before each pass.
  PassContext& context() { return ctx_; }
  const Shape& input_shape() const { return input_; }
  Shape output_shape() const;
  int64_t max_batch() const { return max_batch_; }
  size_t layer_count() const { return layers_.size(); }
  const Layer<float>& layer(size_t i) const { return *layers_[i]; }
  // The GEMMs of one forward + backward over a batch of B, layer by layer (for benchmarks).
  std::vector<GemmShape> gemms(int64_t B) const;
  // True when a layer sums its batch statistics across ranks (RunningStats::collective).
  bool has_collective_layers() const;
  // Applies deferred running-statistics updates; batch_rows: the sizes of the forward passes the
  // sums cover (see RunningStats::commit).
  void commit_running_stats(const std::vector<int64_t>& batch_rows);
  // One line naming every layer and shape: checkpoints of another architecture are refused.
  std::string architecture() const;
  // Multi-line summary: one line per layer with shapes and parameter counts.
  std::string summary() const;
  // Floats the network holds per sample of its batch: every layer's output, two gradient buffers
  // of the widest layer, and the input rows (what max_batch multiplies; for memory checks).
  int64_t floats_per_sample() const;
  // Floating-point operations of one forward + backward pass per sample (2 per multiply-add).
  double flops_per_sample() const;

 private:
  Shape input_;
  int64_t max_batch_;
  std::vector<std::unique_ptr<Layer<float>>> layers_;
  ParamStore store_, buffers_;
  PassContext ctx_;
  std::vector<Buffer<float>> acts_;  // acts_[i]: output of layer i, (max_batch, out_i...)
  Buffer<float> grad_a_, grad_b_;    // ping-pong buffers for activation gradients
};

}  // namespace dpt
