#include "layers/activation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/elementwise.hpp"

namespace dpt {

template <class T>
std::string Activation<T>::type() const {
  switch (act_) {
    case Act::Relu:
      return "relu";
    case Act::Sigmoid:
      return "sigmoid";
    case Act::Tanh:
      return "tanh";
    case Act::LeakyRelu:
      return "leaky_relu";
    case Act::Gelu:
    case Act::GeluTanh:
      return "gelu";
    case Act::Identity:
      break;
  }
  return "identity";
}

template <class T>
std::string Activation<T>::describe() const {
  if (act_ == Act::LeakyRelu) return fmt::format("leaky_relu {} slope {}", shape_str(shape_), slope_);
  if (act_ == Act::GeluTanh) return fmt::format("gelu {} (tanh approximation)", shape_str(shape_));
  return fmt::format("{} {}", type(), shape_str(shape_));
}

template <class T>
void Activation<T>::forward(const T* x, T* y, int64_t B) {
  const int64_t n = B * numel(shape_);
  switch (act_) {
    case Act::Relu:
      return kern::relu_forward(x, y, n);
    case Act::Sigmoid:
      return kern::sigmoid_forward(x, y, n);
    case Act::Tanh:
      return kern::tanh_forward(x, y, n);
    case Act::LeakyRelu:
      return kern::leaky_relu_forward(x, y, n, static_cast<T>(slope_));
    case Act::Gelu:
    case Act::GeluTanh:
      return kern::gelu_forward(x, y, n, act_ == Act::GeluTanh);
    case Act::Identity:
      std::copy(x, x + n, y);
  }
}

template <class T>
void Activation<T>::backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) {
  if (!dx) return;
  const int64_t n = B * numel(shape_);
  switch (act_) {
    case Act::Relu:
      return kern::relu_backward(y, dy, dx, n);
    case Act::Sigmoid:
      return kern::sigmoid_backward(y, dy, dx, n);
    case Act::Tanh:
      return kern::tanh_backward(y, dy, dx, n);
    case Act::LeakyRelu:
      return kern::leaky_relu_backward(x, dy, dx, n, static_cast<T>(slope_));
    case Act::Gelu:
    case Act::GeluTanh:
      return kern::gelu_backward(x, dy, dx, n, act_ == Act::GeluTanh);
    case Act::Identity:
      std::copy(dy, dy + n, dx);
  }
}

template class Activation<float>;
template class Activation<double>;
template class ReLU<float>;
template class ReLU<double>;

}  // namespace dpt
