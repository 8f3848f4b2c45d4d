#include "layers/conv2d.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"
#include "kernels/im2col.hpp"

namespace dpt {

template <class T>
Conv2d<T>::Conv2d(Shape in, const Conv2dSpec& spec) : in_(std::move(in)), s_(spec) {
  oh_ = (in_[1] + 2 * s_.padding - s_.kernel_h) / s_.stride + 1;
  ow_ = (in_[2] + 2 * s_.padding - s_.kernel_w) / s_.stride + 1;
}

template <class T>
std::string Conv2d<T>::describe() const {
  return fmt::format("conv2d {}->{} {}x{} s{} p{}{}", in_[0], s_.out_channels, s_.kernel_h, s_.kernel_w, s_.stride,
                     s_.padding, s_.bias ? "" : " (no bias)");
}

template <class T>
std::vector<ParamDecl> Conv2d<T>::params() const {
  std::vector<ParamDecl> p{{"weight", {s_.out_channels, in_[0], s_.kernel_h, s_.kernel_w}}};
  if (s_.bias) p.push_back({"bias", {s_.out_channels}});
  return p;
}

template <class T>
void Conv2d<T>::bind(T* params, T* grads) {
  const int64_t nW = s_.out_channels * ckk();
  W_ = params, dW_ = grads;
  if (s_.bias) b_ = params + nW, db_ = grads + nW;
}

template <class T>
void Conv2d<T>::init(Rng& rng) {
  const int64_t k = s_.kernel_h * s_.kernel_w;
  init_weights<T>(s_.init, ckk(), s_.out_channels * k, W_, s_.out_channels * ckk(), b_, s_.bias ? s_.out_channels : 0,
                  rng);
}

template <class T>
double Conv2d<T>::flops() const {
  return 6.0 * static_cast<double>(s_.out_channels * ckk() * oh_ * ow_);
}

template <class T>
void Conv2d<T>::forward(const T* x, T* y, int64_t B) {
  if (B == 0) return;
  const kern::ConvGeom g{B, in_[0], in_[1], in_[2], s_.kernel_h, s_.kernel_w, s_.stride, s_.padding};
  const int64_t cols = B * oh_ * ow_, C = s_.out_channels;
  if (static_cast<int64_t>(col_.size()) < ckk() * cols) col_.resize(static_cast<size_t>(ckk() * cols));
  if (static_cast<int64_t>(ych_.size()) < C * cols) ych_.resize(static_cast<size_t>(C * cols));
  kern::im2col(g, x, col_.data());
  col_of_ = x, col_batch_ = B;
  kern::gemm<T>(false, false, C, cols, ckk(), T(1), W_, col_.data(), T(0), ych_.data());
  kern::channel_to_batch_major(ych_.data(), y, B, C, oh_ * ow_);
  if (s_.bias) kern::add_channel_bias(y, b_, B, C, oh_ * ow_);
}

template <class T>
void Conv2d<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (B == 0) return;
  const kern::ConvGeom g{B, in_[0], in_[1], in_[2], s_.kernel_h, s_.kernel_w, s_.stride, s_.padding};
  const int64_t cols = B * oh_ * ow_, C = s_.out_channels;
  if (col_of_ != x || col_batch_ != B) {  // backward without its forward: rebuild col
    if (static_cast<int64_t>(col_.size()) < ckk() * cols) col_.resize(static_cast<size_t>(ckk() * cols));
    kern::im2col(g, x, col_.data());
    col_of_ = x, col_batch_ = B;
  }
  if (static_cast<int64_t>(ych_.size()) < C * cols) ych_.resize(static_cast<size_t>(C * cols));
  kern::batch_to_channel_major(dy, ych_.data(), B, C, oh_ * ow_);  // dy' (C_out, B*OH*OW)
  if (s_.bias) kern::channel_sum_acc(dy, db_, B, C, oh_ * ow_);
  kern::gemm<T>(false, true, C, ckk(), cols, T(1), ych_.data(), col_.data(), T(1), dW_);
  if (!dx) return;
  if (static_cast<int64_t>(dcol_.size()) < ckk() * cols) dcol_.resize(static_cast<size_t>(ckk() * cols));
  kern::gemm<T>(true, false, ckk(), cols, C, T(1), W_, ych_.data(), T(0), dcol_.data());
  std::fill(dx, dx + B * in_[0] * in_[1] * in_[2], T(0));
  kern::col2im_acc(g, dcol_.data(), dx);
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace dpt
