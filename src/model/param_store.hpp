// One flat buffer for all parameters and one for all gradients (same layout), with a named view
// per parameter tensor. Flat buffers make the all-reduce, the optimizer, checkpoints and
// resharding operate on one contiguous array instead of a list of tensors.
#pragma once
#include <string>
#include <vector>

#include "tensor/shape.hpp"

namespace dpt {

struct ParamView {
  std::string name;  // "layers.0.weight"
  size_t layer;      // index in model.layers
  Shape shape;
  int64_t offset;  // into the flat buffers
  int64_t count;
};

class ParamStore {
 public:
  // Appends a tensor and returns its offset. Call before finalize().
  int64_t add(std::string name, size_t layer, Shape shape);
  void finalize();  // allocates params (zero) and grads (zero)

  int64_t size() const { return static_cast<int64_t>(params_.size()); }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* grads() { return grads_.data(); }
  const float* grads() const { return grads_.data(); }
  const std::vector<ParamView>& views() const { return views_; }
  void zero_grads();

 private:
  std::vector<ParamView> views_;
  int64_t total_ = 0;
  Buffer<float> params_, grads_;
};

}  // namespace dpt
