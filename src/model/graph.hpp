// A layer graph (model/graph_spec.hpp) built for one input shape and batch capacity: shapes
// inferred node by node, one activation buffer per node, and a backward plan made once.
// Forward runs the nodes in order. Backward runs them in reverse; the gradient of a node's output
// lives in a pooled buffer from its last consumer's backward to its own. The first consumer to
// run writes that gradient in place; any other adds its part through a scratch buffer (in reverse
// node order: the same bits every time). A plain chain uses two buffers, as before graphs. No
// allocation per step. Float for training, double for gradient checks.
// Fusion: a relu whose output only the next node reads, a layer that can take it over
// (Layer::fuse_relu_before: max pooling), runs inside that layer: the relu node computes nothing,
// holds no activation, and its consumer reads the relu's input and sends its gradient straight to
// the relu's input's gradient. The same bits as running both; two full-size passes fewer.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"
#include "layers/merge.hpp"
#include "model/graph_spec.hpp"

namespace dpt {

template <class T>
class Graph {
 public:
  // nodes: expand_graph's list; input: per-sample input shape; max_batch: the largest batch.
  Graph(std::vector<NodeSpec> nodes, Shape input, int64_t max_batch, const std::string& origin);

  size_t size() const { return nodes_.size(); }
  const NodeSpec& spec(size_t k) const { return specs_[k]; }
  // Node k's layer, or nullptr when it is a merge (add, concat).
  Layer<T>* layer(size_t k) const { return nodes_[k].layer.get(); }
  const Shape& out_shape(size_t k) const { return nodes_[k].out; }
  bool fused(size_t k) const { return fused_[k]; }  // a relu that runs inside node k + 1
  std::string describe(size_t k) const;
  std::string label(int k) const { return node_label(specs_, k); }
  const Shape& input_shape() const { return input_; }
  int64_t max_batch() const { return max_batch_; }
  // Buffers of max_batch floats... per sample: activations, pooled gradients, scratch.
  int64_t floats_per_sample() const;

  // x: (B, input...) -> (B, output...), valid until the next forward().
  const T* forward(const T* x, int64_t B);
  // dout: (B, output...); accumulates into every layer's parameter gradients; done(k) right after
  // node k's backward (k = last ... 0), when its parameter gradients are final. dx, when given:
  // (B, input...) <- the gradient of the model's input (else it is never computed).
  void backward(const T* x, const T* dout, int64_t B, const std::function<void(size_t)>& done = nullptr,
                T* dx = nullptr);

 private:
  struct Node {
    std::unique_ptr<Layer<T>> layer;  // or
    std::unique_ptr<Merge<T>> merge;
    Shape out;
    std::vector<const T*> in_ptrs;  // forward: the inputs' activations (merges), filled per pass
  };
  struct Grad {               // where node k's backward sends input i's gradient
    int buffer = -1;          // pooled buffer of that input's gradient (-1: the model input's dx)
    bool accumulate = false;  // through scratch_, then added
  };
  void plan_backward();
  void plan_fusion();
  // The node whose output node k's input i really is: past a fused relu, that relu's input.
  int source(int i) const {
    return i >= 0 && fused_[static_cast<size_t>(i)] ? specs_[static_cast<size_t>(i)].inputs[0] : i;
  }
  const T* act(int k, const T* x) const { return k == kModelInput ? x : acts_[static_cast<size_t>(k)].data(); }

  std::vector<NodeSpec> specs_;
  Shape input_;
  int64_t max_batch_;
  std::vector<Node> nodes_;
  std::vector<bool> fused_;            // per node: a relu that runs inside the next node
  std::vector<Buffer<T>> acts_;        // acts_[k]: (max_batch, out_k...); empty for a fused relu
  std::vector<int> dy_buffer_;         // per node: the pooled buffer of its output's gradient (-1: dout)
  std::vector<std::vector<Grad>> to_;  // per node, per input
  std::vector<Buffer<T>> grads_;       // the pool, each (max_batch, widest)
  Buffer<T> scratch_;                  // (max_batch, widest) when some output has several consumers
  int64_t widest_ = 0;
};

}  // namespace dpt
