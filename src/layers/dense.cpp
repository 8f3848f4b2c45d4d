#include "layers/dense.hpp"

#include <cmath>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"

namespace dpt {

Init parse_init(const std::string& name) {
  if (name == "torch_default") return Init::TorchDefault;
  if (name == "he_uniform") return Init::HeUniform;
  if (name == "xavier_uniform") return Init::XavierUniform;
  fail("unknown init '{}': must be one of torch_default, he_uniform, xavier_uniform", name);
}

template <class T>
Dense<T>::Dense(Shape in, int64_t units, bool bias, Init init)
    : in_(std::move(in)), in_features_(numel(in_)), out_(units), has_bias_(bias), init_(init) {}

template <class T>
std::string Dense<T>::describe() const {
  return fmt::format("dense {} -> {}{}", in_features_, out_, has_bias_ ? "" : " (no bias)");
}

template <class T>
std::vector<ParamDecl> Dense<T>::params() const {
  std::vector<ParamDecl> p{{"weight", {out_, in_features_}}};
  if (has_bias_) p.push_back({"bias", {out_}});
  return p;
}

template <class T>
void Dense<T>::bind(T* params, T* grads) {
  W_ = params, dW_ = grads;
  if (has_bias_) b_ = params + out_ * in_features_, db_ = grads + out_ * in_features_;
}

template <class T>
void Dense<T>::init(Rng& rng) {
  double bound_w = 1.0 / std::sqrt(static_cast<double>(in_features_));  // PyTorch default
  if (init_ == Init::HeUniform) bound_w = std::sqrt(6.0 / static_cast<double>(in_features_));
  if (init_ == Init::XavierUniform) bound_w = std::sqrt(6.0 / static_cast<double>(in_features_ + out_));
  for (int64_t i = 0; i < out_ * in_features_; ++i) W_[i] = static_cast<T>(rng.uniform(-bound_w, bound_w));
  if (!has_bias_) return;
  const double bound_b = init_ == Init::TorchDefault ? 1.0 / std::sqrt(static_cast<double>(in_features_)) : 0.0;
  for (int64_t i = 0; i < out_; ++i) b_[i] = static_cast<T>(bound_b == 0.0 ? 0.0 : rng.uniform(-bound_b, bound_b));
}

template <class T>
void Dense<T>::forward(const T* x, T* y, int64_t B) {
  if (B == 0) return;
  if (has_bias_) kern::broadcast_rows(y, b_, B, out_);
  kern::gemm<T>(false, true, B, out_, in_features_, T(1), x, W_, has_bias_ ? T(1) : T(0), y);
}

template <class T>
void Dense<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (B == 0) return;
  kern::gemm<T>(true, false, out_, in_features_, B, T(1), dy, x, T(1), dW_);
  if (has_bias_) kern::sum_rows_acc(dy, db_, B, out_);
  if (dx) kern::gemm<T>(false, false, B, in_features_, out_, T(1), dy, W_, T(0), dx);
}

template class Dense<float>;
template class Dense<double>;

}  // namespace dpt
