#include "layers/pool_nd.hpp"

#include <fmt/format.h>

#include "layers/spatial.hpp"

namespace dpt {

template <class T>
PoolNd<T>::PoolNd(Shape in, Kind kind, int64_t kernel, int64_t stride, int64_t padding)
    : in_(std::move(in)), kind_(kind), k_(kernel), stride_(stride), pad_(padding) {
  out_ = {in_[0]};
  for (size_t a = 1; a < in_.size(); ++a) out_.push_back((in_[a] + 2 * pad_ - k_) / stride_ + 1);
}

template <class T>
std::string PoolNd<T>::type() const {
  return fmt::format("{}pool{}d", kind_ == Kind::Max ? "max" : "avg", in_.size() - 1);
}

template <class T>
std::string PoolNd<T>::describe() const {
  return fmt::format("{} k{} s{}{}", type(), k_, stride_, pad_ ? fmt::format(" p{}", pad_) : "");
}

template <class T>
kern::PoolNdGeom PoolNd<T>::geom(int64_t B) const {
  kern::PoolNdGeom g{B * in_[0], {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}};
  const auto s = spatial3(in_);
  for (int a = 0; a < 3; ++a) {
    g.in[a] = s[static_cast<size_t>(a)];
    if (3 - a <= static_cast<int>(in_.size()) - 1) g.k[a] = k_, g.stride[a] = stride_, g.pad[a] = pad_;
  }
  return g;
}

template <class T>
void PoolNd<T>::forward(const T* x, T* y, int64_t B) {
  const kern::PoolNdGeom g = geom(B);
  if (kind_ == Kind::Avg) return kern::avgpool_nd_forward(g, x, y);
  const size_t n = static_cast<size_t>(g.planes * g.out_size());
  if (arg_.size() < n) arg_.resize(n);
  kern::maxpool_nd_forward(g, x, y, arg_.data(), relu_);
}

template <class T>
void PoolNd<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (!dx) return;
  const kern::PoolNdGeom g = geom(B);
  if (kind_ == Kind::Avg) return kern::avgpool_nd_backward(g, dy, dx);
  kern::maxpool_nd_backward(g, dy, arg_.data(), dx);
}

template class PoolNd<float>;
template class PoolNd<double>;

}  // namespace dpt
