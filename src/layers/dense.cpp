#include "layers/dense.hpp"

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"

namespace dpt {

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
  init_weights<T>(init_, in_features_, out_, W_, out_ * in_features_, b_, has_bias_ ? out_ : 0, rng);
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
