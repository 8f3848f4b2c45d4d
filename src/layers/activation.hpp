// Parameter-free activations.
#pragma once
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class ReLU final : public Layer<T> {
 public:
  explicit ReLU(Shape in) : shape_(std::move(in)) {}
  std::string type() const override { return "relu"; }
  std::string describe() const override;
  Shape in_shape() const override { return shape_; }
  Shape out_shape() const override { return shape_; }
  // x, y: (B, n)
  void forward(const T* x, T* y, int64_t B) override;
  // dx = dy * (y > 0)
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape shape_;
};

}  // namespace dpt
