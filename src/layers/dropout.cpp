#include "layers/dropout.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/elementwise.hpp"

namespace dpt {

template <class T>
std::string Dropout<T>::describe() const {
  return fmt::format("dropout p={:g}", p_);
}

template <class T>
void Dropout<T>::forward(const T* x, T* y, int64_t B) {
  const int64_t D = numel(in_);
  masked_ = this->training() && p_ > 0;
  if (!masked_) {
    std::copy(x, x + B * D, y);
    return;
  }
  if (static_cast<int64_t>(mask_.size()) < B * D) mask_.resize(static_cast<size_t>(B * D));
  const uint64_t key = derive_seed(this->ctx_->seed, static_cast<uint64_t>(this->ctx_->step), 0xD50u + index_);
  kern::dropout_mask(mask_.data(), B, D, p_, key, this->ctx_->sample_offset);
  kern::multiply(x, mask_.data(), y, B * D);
}

template <class T>
void Dropout<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (!dx) return;
  const int64_t D = numel(in_);
  if (masked_)
    kern::multiply(dy, mask_.data(), dx, B * D);
  else
    std::copy(dy, dy + B * D, dx);
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace dpt
