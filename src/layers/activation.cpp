#include "layers/activation.hpp"

#include <fmt/format.h>

#include "kernels/elementwise.hpp"

namespace dpt {

template <class T>
std::string ReLU<T>::describe() const {
  return fmt::format("relu {}", shape_str(shape_));
}

template <class T>
void ReLU<T>::forward(const T* x, T* y, int64_t B) {
  kern::relu_forward(x, y, B * numel(shape_));
}

template <class T>
void ReLU<T>::backward(const T* /*x*/, const T* y, const T* dy, T* dx, int64_t B) {
  if (dx) kern::relu_backward(y, dy, dx, B * numel(shape_));
}

template class ReLU<float>;
template class ReLU<double>;

}  // namespace dpt
