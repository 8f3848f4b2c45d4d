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
int64_t Conv2d<T>::group() const {
  return std::max<int64_t>(1, kGroupCols / (oh_ * ow_));
}

template <class T>
Cost Conv2d<T>::cost(int64_t B) const {
  Cost c{6.0 * static_cast<double>(s_.out_channels * ckk() * oh_ * ow_), {}};
  for (int64_t b0 = 0; b0 < B; b0 += group()) {
    const int64_t cols = std::min(group(), B - b0) * oh_ * ow_;
    c.gemms.push_back({false, false, s_.out_channels, cols, ckk()});
    c.gemms.push_back({false, true, ckk(), s_.out_channels, cols});
    c.gemms.push_back({true, false, ckk(), cols, s_.out_channels});
  }
  return c;
}

template <class T>
void Conv2d<T>::reserve(int64_t B) {
  const int64_t P = oh_ * ow_, G = std::min(group(), B), C = s_.out_channels;
  if (static_cast<int64_t>(col_.size()) < ckk() * G * P) col_.resize(static_cast<size_t>(ckk() * G * P));
  if (G > 1 && static_cast<int64_t>(ych_.size()) < C * G * P) ych_.resize(static_cast<size_t>(C * G * P));
  if (static_cast<int64_t>(dWt_.size()) < C * ckk()) dWt_.resize(static_cast<size_t>(C * ckk()));
}

// Per group of nb samples from b0: col_g (ckk, nb*P) = im2col, y'_g (C_out, nb*P) = W col_g, then
// y[b0..b0+nb) (nb, C_out, P) = y'_g transposed, + bias. A group of one writes y directly.
template <class T>
void Conv2d<T>::forward(const T* x, T* y, int64_t B) {
  if (B == 0) return;
  const kern::ConvGeom g{B, in_[0], in_[1], in_[2], s_.kernel_h, s_.kernel_w, s_.stride, s_.padding};
  const int64_t P = oh_ * ow_, C = s_.out_channels;
  reserve(B);
  for (int64_t b0 = 0; b0 < B; b0 += group()) {
    const int64_t nb = std::min(group(), B - b0);
    T* yg = y + b0 * C * P;
    kern::im2col_range(g, x, b0, nb, col_.data());
    kern::gemm<T>(false, false, C, nb * P, ckk(), T(1), W_, col_.data(), T(0), nb == 1 ? yg : ych_.data());
    if (nb > 1) kern::channel_to_batch_major(ych_.data(), yg, nb, C, P);
    if (s_.bias) kern::add_channel_bias(yg, b_, nb, C, P);
  }
}

// Per group: dy'_g (C_out, nb*P); db += channel sums; dW^T (ckk, C_out) += col_g dy'_g^T (faster
// than dy'_g col_g^T: M = ckk is the long side); dcol_g = W^T dy'_g; dx[b0..b0+nb) = col2im(dcol_g).
// Groups run in order, so the sums do not depend on threads; dW += dW^T transposed at the end.
template <class T>
void Conv2d<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (B == 0) return;
  const kern::ConvGeom g{B, in_[0], in_[1], in_[2], s_.kernel_h, s_.kernel_w, s_.stride, s_.padding};
  const int64_t P = oh_ * ow_, C = s_.out_channels, in = in_[0] * in_[1] * in_[2];
  reserve(B);
  if (dx && static_cast<int64_t>(dcol_.size()) < ckk() * std::min(group(), B) * P)
    dcol_.resize(static_cast<size_t>(ckk() * std::min(group(), B) * P));
  for (int64_t b0 = 0; b0 < B; b0 += group()) {
    const int64_t nb = std::min(group(), B - b0);
    kern::im2col_range(g, x, b0, nb, col_.data());  // again: cheaper than keeping the batch's col
    const T* dyg = dy + b0 * C * P;
    if (nb > 1) kern::batch_to_channel_major(dyg, ych_.data(), nb, C, P);
    const T* d = nb > 1 ? ych_.data() : dyg;
    if (s_.bias) kern::channel_sums_acc(dyg, db_, nb, C, P);
    kern::gemm<T>(false, true, ckk(), C, nb * P, T(1), col_.data(), d, b0 == 0 ? T(0) : T(1), dWt_.data());
    if (!dx) continue;
    kern::gemm<T>(true, false, ckk(), nb * P, C, T(1), W_, d, T(0), dcol_.data());
    std::fill(dx + b0 * in, dx + (b0 + nb) * in, T(0));
    kern::col2im_range_acc(g, dcol_.data(), b0, nb, dx);
  }
  for (int64_t o = 0; o < C; ++o)
    for (int64_t k = 0; k < ckk(); ++k) dW_[o * ckk() + k] += dWt_[k * C + o];
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace dpt
