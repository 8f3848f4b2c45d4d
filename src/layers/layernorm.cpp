#include "layers/layernorm.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/layernorm.hpp"

namespace dpt {

template <class T>
LayerNorm<T>::LayerNorm(Shape in, double eps, bool affine)
    : in_(std::move(in)), N_(numel(in_)), eps_(eps), affine_(affine) {}

template <class T>
std::string LayerNorm<T>::describe() const {
  return fmt::format("layernorm {}{}", shape_str(in_), affine_ ? "" : " (no affine)");
}

template <class T>
std::vector<ParamDecl> LayerNorm<T>::params() const {
  if (!affine_) return {};
  return {{"weight", in_}, {"bias", in_}};
}

template <class T>
void LayerNorm<T>::bind(T* params, T* grads) {
  if (!affine_) return;
  gamma_ = params, beta_ = params + N_, dgamma_ = grads, dbeta_ = grads + N_;
}

template <class T>
void LayerNorm<T>::init(Rng& /*rng*/) {
  if (!affine_) return;
  std::fill(gamma_, gamma_ + N_, T(1));
  std::fill(beta_, beta_ + N_, T(0));
}

template <class T>
void LayerNorm<T>::forward(const T* x, T* y, int64_t B) {
  if (mean_.size() < static_cast<size_t>(B)) mean_.resize(static_cast<size_t>(B)), invstd_.resize(mean_.size());
  kern::layernorm_forward(kern::LnShape{B, N_}, x, gamma_, beta_, eps_, y, mean_.data(), invstd_.data());
}

template <class T>
void LayerNorm<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  kern::layernorm_backward(kern::LnShape{B, N_}, x, dy, gamma_, mean_.data(), invstd_.data(), dx, dgamma_, dbeta_);
}

template class LayerNorm<float>;
template class LayerNorm<double>;

}  // namespace dpt
