// Inverted dropout: in training, each element is zeroed with probability p and the rest scaled by
// 1/(1-p); in evaluation it is the identity. The mask of an element depends only on (run seed,
// optimizer step, layer index, the sample's position in the global batch, element), so the same
// seed and step give the same masks on any number of ranks and threads.
#pragma once
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class Dropout final : public Layer<T> {
 public:
  Dropout(Shape in, double p, size_t layer_index) : in_(std::move(in)), p_(p), index_(layer_index) {}
  std::string type() const override { return "dropout"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return in_; }
  void forward(const T* x, T* y, int64_t B) override;  // x, y: (B, D)
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape in_;
  double p_;
  size_t index_;
  Buffer<T> mask_;  // (B, D) of the last training forward
  bool masked_ = false;
};

}  // namespace dpt
