#include "layers/pool2d.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/pool.hpp"

namespace dpt {

template <class T>
Pool2d<T>::Pool2d(Shape in, Kind kind, int64_t kernel, int64_t stride, int64_t padding)
    : in_(std::move(in)), kind_(kind), k_(kernel), stride_(stride), pad_(padding) {
  oh_ = (in_[1] + 2 * pad_ - k_) / stride_ + 1;
  ow_ = (in_[2] + 2 * pad_ - k_) / stride_ + 1;
}

template <class T>
std::string Pool2d<T>::describe() const {
  return fmt::format("{} {}x{} s{}{}", type(), k_, k_, stride_, pad_ ? fmt::format(" p{}", pad_) : "");
}

template <class T>
void Pool2d<T>::forward(const T* x, T* y, int64_t B) {
  const kern::PoolGeom g{B * in_[0], in_[1], in_[2], k_, stride_, pad_};
  if (kind_ == Kind::Avg) return kern::avgpool_forward(g, x, y);
  const size_t n = static_cast<size_t>(B * in_[0] * oh_ * ow_);
  if (arg_.size() < n) arg_.resize(n);
  kern::maxpool_forward(g, x, y, arg_.data(), relu_);
}

template <class T>
void Pool2d<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (!dx) return;
  const kern::PoolGeom g{B * in_[0], in_[1], in_[2], k_, stride_, pad_};
  if (kind_ == Kind::Avg) return kern::avgpool_backward(g, dy, dx);
  kern::maxpool_backward(g, dy, arg_.data(), dx);
}

template <class T>
std::string GlobalAvgPool<T>::describe() const {
  return fmt::format("{} {} -> ({})", type_, shape_str(in_), in_[0]);
}

template <class T>
void GlobalAvgPool<T>::forward(const T* x, T* y, int64_t B) {
  kern::global_avgpool_forward(x, y, B * in_[0], numel(in_) / in_[0]);
}

template <class T>
void GlobalAvgPool<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (dx) kern::global_avgpool_backward(dy, dx, B * in_[0], numel(in_) / in_[0]);
}

template <class T>
std::string Flatten<T>::describe() const {
  return fmt::format("flatten {}", shape_str(in_));
}

template <class T>
void Flatten<T>::forward(const T* x, T* y, int64_t B) {
  std::copy(x, x + B * numel(in_), y);
}

template <class T>
void Flatten<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (dx) std::copy(dy, dy + B * numel(in_), dx);
}

template class Pool2d<float>;
template class Pool2d<double>;
template class GlobalAvgPool<float>;
template class GlobalAvgPool<double>;
template class Flatten<float>;
template class Flatten<double>;

}  // namespace dpt
