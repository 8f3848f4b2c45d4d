#include "layers/conv2d.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/depthwise.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"
#include "kernels/im2col.hpp"
#include "kernels/winograd.hpp"

namespace dpt {

namespace {
// The kernel geometry of a batch of B: input (C_in, H, W), taps, stride, padding, dilation.
kern::ConvGeom geom(const Shape& in, const Conv2dSpec& s, int64_t B) {
  return {B, in[0], in[1], in[2], s.kernel_h, s.kernel_w, s.stride, s.padding, s.dilation};
}
kern::WinogradGeom wgeom(const Shape& in, const Conv2dSpec& s) {
  return {in[0], in[1], in[2], s.out_channels, s.padding};
}
}  // namespace

template <class T>
Conv2d<T>::Conv2d(Shape in, const Conv2dSpec& spec) : in_(std::move(in)), s_(spec) {
  const kern::ConvGeom g = geom(in_, s_, 1);
  oh_ = g.OH(), ow_ = g.OW();
}

template <class T>
std::string Conv2d<T>::describe() const {
  std::string extra;
  if (s_.dilation != 1) extra += fmt::format(" d{}", s_.dilation);
  if (s_.groups > 1 && s_.groups == in_[0] && s_.groups == s_.out_channels)
    extra += " depthwise";
  else if (s_.groups > 1)
    extra += fmt::format(" g{}", s_.groups);
  return fmt::format("conv2d {}->{} {}x{} s{} p{}{}{}", in_[0], s_.out_channels, s_.kernel_h, s_.kernel_w, s_.stride,
                     s_.padding, extra, s_.bias ? "" : " (no bias)");
}

template <class T>
bool Conv2d<T>::depthwise() const {
  return s_.direct_depthwise && s_.groups > 1 && s_.groups == in_[0] && s_.groups == s_.out_channels;
}

template <class T>
bool Conv2d<T>::winograd() const {
  return s_.algo != ConvAlgo::Im2col && kern::winograd_fits(s_.kernel_h, s_.kernel_w, s_.stride, s_.dilation, s_.groups);
}

template <class T>
std::vector<ParamDecl> Conv2d<T>::params() const {
  std::vector<ParamDecl> p{{"weight", {s_.out_channels, in_[0] / s_.groups, s_.kernel_h, s_.kernel_w}}};
  if (s_.bias) p.push_back({"bias", {s_.out_channels}});
  return p;
}

template <class T>
void Conv2d<T>::bind(T* params, T* grads) {
  const int64_t nW = s_.out_channels * kg();
  W_ = params, dW_ = grads;
  if (s_.bias) b_ = params + nW, db_ = grads + nW;
}

// PyTorch's fans: fan_in = C_in/groups * KH*KW, fan_out = C_out * KH*KW.
template <class T>
void Conv2d<T>::init(Rng& rng) {
  const int64_t k = s_.kernel_h * s_.kernel_w;
  init_weights<T>(s_.init, kg(), s_.out_channels * k, W_, s_.out_channels * kg(), b_, s_.bias ? s_.out_channels : 0,
                  rng);
}

template <class T>
int64_t Conv2d<T>::block() const {
  return std::max<int64_t>(1, kBlockCols / (oh_ * ow_));
}

template <class T>
Cost Conv2d<T>::cost(int64_t B) const {
  Cost c{6.0 * static_cast<double>(s_.out_channels * kg() * oh_ * ow_), {}};  // as the direct sum
  if (depthwise()) return c;
  if (winograd()) {  // per block and position xi: M_xi = U_xi V_xi, dU_xi += dM_xi V_xi^T, dV_xi = U_xi^T dM_xi
    const kern::WinogradGeom w = wgeom(in_, s_);
    for (int64_t b0 = 0; b0 < B; b0 += w.block()) {
      const int64_t t = std::min(w.block(), B - b0) * w.tiles();
      for (int xi = 0; xi < 16; ++xi) {
        c.gemms.push_back({false, false, w.K, t, w.C});
        c.gemms.push_back({false, true, w.K, w.C, t});
        c.gemms.push_back({true, false, w.C, t, w.K});
      }
    }
    return c;
  }
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t cols = std::min(block(), B - b0) * oh_ * ow_;
    for (int64_t k = 0; k < s_.groups; ++k) {
      c.gemms.push_back({false, false, og(), cols, kg()});
      c.gemms.push_back({false, true, kg(), og(), cols});
      c.gemms.push_back({true, false, kg(), cols, og()});
    }
  }
  return c;
}

template <class T>
void Conv2d<T>::reserve(int64_t B) {
  const int64_t P = oh_ * ow_, G = std::min(block(), B), C = s_.out_channels;
  if (static_cast<int64_t>(col_.size()) < ckk() * G * P) col_.resize(static_cast<size_t>(ckk() * G * P));
  if (G > 1 && static_cast<int64_t>(ych_.size()) < C * G * P) ych_.resize(static_cast<size_t>(C * G * P));
  if (static_cast<int64_t>(dWt_.size()) < C * kg()) dWt_.resize(static_cast<size_t>(C * kg()));
}

// Per block of nb samples from b0: col (ckk, nb*P) = im2col; per channel group k: rows k of
// y' (C_out, nb*P) = W_k col_k; then y[b0..b0+nb) (nb, C_out, P) = y' transposed, + bias. A block
// of one writes y directly.
template <class T>
void Conv2d<T>::forward(const T* x, T* y, int64_t B) {
  if (B == 0) return;
  if (depthwise()) return forward_depthwise(x, y, B);
  if (winograd()) {
    kern::winograd_forward(wgeom(in_, s_), B, x, W_, y);
    if (s_.bias) kern::add_channel_bias(y, b_, B, s_.out_channels, oh_ * ow_);
    return;
  }
  const kern::ConvGeom g = geom(in_, s_, B);
  const int64_t P = oh_ * ow_, C = s_.out_channels, O = og(), K = kg();
  reserve(B);
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t nb = std::min(block(), B - b0), N = nb * P;
    T* yg = y + b0 * C * P;
    T* out = nb == 1 ? yg : ych_.data();
    kern::im2col_range(g, x, b0, nb, col_.data());
    for (int64_t k = 0; k < s_.groups; ++k)
      kern::gemm<T>(false, false, O, N, K, T(1), W_ + k * O * K, col_.data() + k * K * N, T(0), out + k * O * N);
    if (nb > 1) kern::channel_to_batch_major(ych_.data(), yg, nb, C, P);
    if (s_.bias) kern::add_channel_bias(yg, b_, nb, C, P);
  }
}

// Per block: dy' (C_out, nb*P); db += channel sums; per channel group k: dW_k^T (K, O) += col_k dy'_k^T
// (faster than dy'_k col_k^T: M = K is the long side) and dcol_k = W_k^T dy'_k; then
// dx[b0..b0+nb) = col2im(dcol). Blocks run in order, so the sums do not depend on threads;
// dW += dW^T transposed at the end.
template <class T>
void Conv2d<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (B == 0) return;
  if (depthwise()) return backward_depthwise(x, dy, dx, B);
  if (winograd()) {
    if (s_.bias) kern::channel_sums_acc(dy, db_, B, s_.out_channels, oh_ * ow_);
    kern::winograd_backward(wgeom(in_, s_), B, x, W_, dy, dx, dW_);
    return;
  }
  const kern::ConvGeom g = geom(in_, s_, B);
  const int64_t P = oh_ * ow_, C = s_.out_channels, in = in_[0] * in_[1] * in_[2], O = og(), K = kg();
  reserve(B);
  if (dx && static_cast<int64_t>(dcol_.size()) < ckk() * std::min(block(), B) * P)
    dcol_.resize(static_cast<size_t>(ckk() * std::min(block(), B) * P));
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t nb = std::min(block(), B - b0), N = nb * P;
    kern::im2col_range(g, x, b0, nb, col_.data());  // again: cheaper than keeping the batch's col
    const T* dyg = dy + b0 * C * P;
    if (nb > 1) kern::batch_to_channel_major(dyg, ych_.data(), nb, C, P);
    const T* d = nb > 1 ? ych_.data() : dyg;
    if (s_.bias) kern::channel_sums_acc(dyg, db_, nb, C, P);
    for (int64_t k = 0; k < s_.groups; ++k)
      kern::gemm<T>(false, true, K, O, N, T(1), col_.data() + k * K * N, d + k * O * N, b0 == 0 ? T(0) : T(1),
                    dWt_.data() + k * K * O);
    if (!dx) continue;
    for (int64_t k = 0; k < s_.groups; ++k)
      kern::gemm<T>(true, false, K, N, O, T(1), W_ + k * O * K, d + k * O * N, T(0), dcol_.data() + k * K * N);
    std::fill(dx + b0 * in, dx + (b0 + nb) * in, T(0));
    kern::col2im_range_acc(g, dcol_.data(), b0, nb, dx);
  }
  for (int64_t k = 0; k < s_.groups; ++k)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t j = 0; j < K; ++j) dW_[(k * O + o) * K + j] += dWt_[(k * K + j) * O + o];
}

// Depthwise: y (B, C, P) = the direct kernel, + bias.
template <class T>
void Conv2d<T>::forward_depthwise(const T* x, T* y, int64_t B) {
  kern::depthwise_forward(geom(in_, s_, B), x, W_, y);
  if (s_.bias) kern::add_channel_bias(y, b_, B, s_.out_channels, oh_ * ow_);
}

// Depthwise: db += channel sums of dy; dW (C, KH*KW) += the direct kernel's sums; dx overwritten.
template <class T>
void Conv2d<T>::backward_depthwise(const T* x, const T* dy, T* dx, int64_t B) {
  const kern::ConvGeom g = geom(in_, s_, B);
  if (s_.bias) kern::channel_sums_acc(dy, db_, B, s_.out_channels, oh_ * ow_);
  kern::depthwise_backward_weight_acc(g, x, dy, dW_);
  if (dx) kern::depthwise_backward_data(g, dy, W_, dx);
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace dpt
