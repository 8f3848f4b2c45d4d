// Parameter-free activations.
#pragma once
#include "layers/layer.hpp"

namespace dpt {

enum class Act { Relu, Sigmoid, Tanh, LeakyRelu, Gelu, GeluTanh, Identity };

// y = f(x) elementwise. relu, sigmoid and tanh differentiate from the output y; leaky_relu and gelu
// from the input x; identity copies. `slope` is leaky_relu's negative slope (unused otherwise).
template <class T>
class Activation final : public Layer<T> {
 public:
  Activation(Shape in, Act act, double slope = 0.01) : shape_(std::move(in)), act_(act), slope_(slope) {}
  std::string type() const override;
  std::string describe() const override;
  Shape in_shape() const override { return shape_; }
  Shape out_shape() const override { return shape_; }
  // x, y: (B, n)
  void forward(const T* x, T* y, int64_t B) override;
  // relu: dx = dy * (y > 0); sigmoid: dy * y * (1 - y); tanh: dy * (1 - y^2);
  // leaky_relu: dy * (x > 0 ? 1 : slope); gelu: dy * (Phi(x) + x phi(x)) (or the tanh form's); identity: dy
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape shape_;
  Act act_;
  double slope_;
};

// Kept for code that names the ReLU directly.
template <class T>
class ReLU final : public Layer<T> {
 public:
  explicit ReLU(Shape in) : a_(std::move(in), Act::Relu) {}
  std::string type() const override { return a_.type(); }
  std::string describe() const override { return a_.describe(); }
  Shape in_shape() const override { return a_.in_shape(); }
  Shape out_shape() const override { return a_.out_shape(); }
  void forward(const T* x, T* y, int64_t B) override { a_.forward(x, y, B); }
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override { a_.backward(x, y, dy, dx, B); }

 private:
  Activation<T> a_;
};

}  // namespace dpt
