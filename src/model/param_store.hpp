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
  bool frozen = false;  // its layer has `trainable: false`
};

struct ParamRange {
  int64_t offset, count;
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

  // Marks the tensors of `layer` frozen (after finalize): the optimizer skips them.
  void freeze_layer(size_t layer);
  bool has_frozen() const { return trainable_.size() != 1 || trainable_[0].count != total_; }
  // The trainable parts of the flat buffer (contiguous runs of unfrozen tensors), and the frozen ones.
  const std::vector<ParamRange>& trainable_ranges() const { return trainable_; }
  const std::vector<ParamRange>& frozen_ranges() const { return frozen_; }
  void zero_frozen_grads();  // so that the gradient norm and clipping see only what is trained

 private:
  void make_ranges();
  std::vector<ParamView> views_;
  std::vector<ParamRange> trainable_, frozen_;
  int64_t total_ = 0;
  Buffer<float> params_, grads_;
};

}  // namespace dpt
