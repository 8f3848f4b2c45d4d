// A network: the layer graph of the YAML description (model/graph.hpp; a plain list is a chain)
// with shape inference from the per-sample input shape, parameters in one ParamStore (node k's
// tensors named "layers.k.weight", ...), activation buffers sized once for the largest batch (no
// allocation per step).
#pragma once
#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"
#include "model/graph.hpp"
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
  // layer_done(k), when given, is called right after node k's backward (k = last ... 0): its
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
  // Nodes of the graph (layers and merges), in order; layer(i): nullptr for a merge (add, concat).
  size_t layer_count() const { return graph_.size(); }
  const Layer<float>* layer(size_t i) const { return graph_.layer(i); }
  const Graph<float>& graph() const { return graph_; }
  // The GEMMs of one forward + backward over a batch of B, layer by layer (for benchmarks).
  std::vector<GemmShape> gemms(int64_t B) const;
  // True when a layer sums its batch statistics across ranks (RunningStats::collective).
  bool has_collective_layers() const;
  // Applies deferred running-statistics updates; batch_rows: the sizes of the forward passes the
  // sums cover (see RunningStats::commit).
  void commit_running_stats(const std::vector<int64_t>& batch_rows);
  // One line naming every layer and shape: checkpoints of another architecture are refused.
  std::string architecture() const;
  // Multi-line summary: one line per node with shapes and parameter counts (and for a graph, each
  // node's name and inputs).
  std::string summary() const;
  // Floats the network holds per sample of its batch: every layer's output, two gradient buffers
  // of the widest layer, and the input rows (what max_batch multiplies; for memory checks).
  int64_t floats_per_sample() const;
  // Floating-point operations of one forward + backward pass per sample (2 per multiply-add).
  double flops_per_sample() const;

 private:
  bool chain() const;  // every node takes the previous one's output (a plain list)
  Shape input_;
  int64_t max_batch_;
  Graph<float> graph_;
  ParamStore store_, buffers_;
  PassContext ctx_;
};

}  // namespace dpt
