#include "layers/activation.hpp"

#include <fmt/format.h>

#include "kernels/elementwise.hpp"

namespace dpt {

template <class T>
std::string Activation<T>::type() const {
  return act_ == Act::Relu ? "relu" : act_ == Act::Sigmoid ? "sigmoid" : "tanh";
}

template <class T>
std::string Activation<T>::describe() const {
  return fmt::format("{} {}", type(), shape_str(shape_));
}

template <class T>
void Activation<T>::forward(const T* x, T* y, int64_t B) {
  const int64_t n = B * numel(shape_);
  if (act_ == Act::Relu) kern::relu_forward(x, y, n);
  if (act_ == Act::Sigmoid) kern::sigmoid_forward(x, y, n);
  if (act_ == Act::Tanh) kern::tanh_forward(x, y, n);
}

template <class T>
void Activation<T>::backward(const T* /*x*/, const T* y, const T* dy, T* dx, int64_t B) {
  if (!dx) return;
  const int64_t n = B * numel(shape_);
  if (act_ == Act::Relu) kern::relu_backward(y, dy, dx, n);
  if (act_ == Act::Sigmoid) kern::sigmoid_backward(y, dy, dx, n);
  if (act_ == Act::Tanh) kern::tanh_backward(y, dy, dx, n);
}

template class Activation<float>;
template class Activation<double>;
template class ReLU<float>;
template class ReLU<double>;

}  // namespace dpt
