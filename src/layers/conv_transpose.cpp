#include "layers/conv_transpose.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"
#include "kernels/im2col.hpp"
#include "layers/conv_nd.hpp"

namespace dpt {

std::array<int64_t, 3> transposed_out(const std::array<int64_t, 3>& in, const ConvTransposeSpec& s) {
  std::array<int64_t, 3> o{};
  for (size_t a = 0; a < 3; ++a)
    o[a] = (in[a] - 1) * s.stride[a] - 2 * s.padding[a] + s.dilation[a] * (s.kernel[a] - 1) + s.output_padding[a] + 1;
  return o;
}

template <class T>
ConvTranspose<T>::ConvTranspose(Shape in, const ConvTransposeSpec& spec) : in_(std::move(in)), s_(spec) {
  for (size_t a = 0; a < static_cast<size_t>(3 - s_.rank); ++a)  // the axes a lower rank lacks
    s_.kernel[a] = s_.stride[a] = s_.dilation[a] = 1, s_.padding[a] = s_.output_padding[a] = 0;
  g1_ = geom(1);
}

template <class T>
kern::VolGeom ConvTranspose<T>::geom(int64_t B) const {
  return {B,          s_.out_channels, transposed_out(volume_of(in_, s_.rank), s_), s_.kernel, s_.stride,
          s_.padding, s_.dilation};
}

template <class T>
std::string ConvTranspose<T>::type() const {
  return fmt::format("conv_transpose{}d", s_.rank);
}

template <class T>
Shape ConvTranspose<T>::out_shape() const {
  return shape_of(s_.out_channels, g1_.in, s_.rank);
}

template <class T>
std::string ConvTranspose<T>::describe() const {
  std::string extra;
  if (s_.dilation != std::array<int64_t, 3>{1, 1, 1}) extra += " d" + axes_str(s_.dilation, s_.rank);
  if (s_.output_padding != std::array<int64_t, 3>{0, 0, 0}) extra += " op" + axes_str(s_.output_padding, s_.rank);
  return fmt::format("{} {}->{} {} s{} p{}{}{}", type(), in_[0], s_.out_channels, axes_str(s_.kernel, s_.rank),
                     axes_str(s_.stride, s_.rank), axes_str(s_.padding, s_.rank), extra, s_.bias ? "" : " (no bias)");
}

template <class T>
std::vector<ParamDecl> ConvTranspose<T>::params() const {
  Shape w = shape_of(s_.out_channels, s_.kernel, s_.rank);
  w.insert(w.begin(), in_[0]);
  std::vector<ParamDecl> p{{"weight", w}};
  if (s_.bias) p.push_back({"bias", {s_.out_channels}});
  return p;
}

template <class T>
void ConvTranspose<T>::bind(T* params, T* grads) {
  const int64_t nW = in_[0] * rows();
  W_ = params, dW_ = grads;
  if (s_.bias) b_ = params + nW, db_ = grads + nW;
}

// PyTorch's fans of a (C_in, C_out, k...) weight: fan_in = C_out * K, fan_out = C_in * K.
template <class T>
void ConvTranspose<T>::init(Rng& rng) {
  init_weights<T>(s_.init, rows(), in_[0] * g1_.taps(), W_, in_[0] * rows(), b_, s_.bias ? s_.out_channels : 0, rng);
}

template <class T>
Cost ConvTranspose<T>::cost(int64_t B) const {
  const int64_t P = g1_.out_size(), M = rows(), C = in_[0];
  Cost c{6.0 * static_cast<double>(C * M * P), {}};
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t N = std::min(block(), B - b0) * P;
    c.gemms.push_back({true, false, M, N, C});
    c.gemms.push_back({false, true, C, M, N});
    c.gemms.push_back({false, false, C, N, M});
  }
  return c;
}

template <class T>
void ConvTranspose<T>::reserve(int64_t B) {
  const int64_t P = g1_.out_size(), G = std::min(block(), B), C = in_[0];
  auto grow = [](Buffer<T>& b, int64_t n) {
    if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  };
  grow(col_, rows() * G * P);
  if (G > 1) grow(xch_, C * G * P), grow(dxch_, C * G * P);
  grow(dWp_, C * rows());
}

template <class T>
const T* ConvTranspose<T>::channel_major(const T* x, int64_t b0, int64_t nb) {
  const int64_t P = g1_.out_size(), C = in_[0];
  if (nb == 1) return x + b0 * C * P;
  kern::batch_to_channel_major(x + b0 * C * P, xch_.data(), nb, C, P);
  return xch_.data();
}

// Per block of nb samples from b0: col (M, nb*P) = W^T x'; y[b0..b0+nb) = col2vol(col) + bias.
template <class T>
void ConvTranspose<T>::forward(const T* x, T* y, int64_t B) {
  if (B == 0) return;
  const kern::VolGeom g = geom(B);
  const int64_t P = g1_.out_size(), M = rows(), C = in_[0], out = s_.out_channels * g1_.in_size();
  reserve(B);
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t nb = std::min(block(), B - b0), N = nb * P;
    kern::gemm<T>(true, false, M, N, C, T(1), W_, channel_major(x, b0, nb), T(0), col_.data());
    std::fill(y + b0 * out, y + (b0 + nb) * out, T(0));
    kern::col2vol_range_acc(g, col_.data(), b0, nb, y);
    if (s_.bias) kern::add_channel_bias(y + b0 * out, b_, nb, s_.out_channels, g1_.in_size());
  }
}

// Per block: db += channel sums of dy; dcol (M, nb*P) = vol2col(dy); dW' (C_in, M) += x' dcol^T;
// dx' (C_in, nb*P) = W dcol, then batch-major into dx. Blocks in order; dW += dW' at the end.
template <class T>
void ConvTranspose<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (B == 0) return;
  const kern::VolGeom g = geom(B);
  const int64_t P = g1_.out_size(), M = rows(), C = in_[0], out = s_.out_channels * g1_.in_size();
  reserve(B);
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t nb = std::min(block(), B - b0), N = nb * P;
    if (s_.bias) kern::channel_sums_acc(dy + b0 * out, db_, nb, s_.out_channels, g1_.in_size());
    kern::vol2col_range(g, dy, b0, nb, col_.data());
    kern::gemm<T>(false, true, C, M, N, T(1), channel_major(x, b0, nb), col_.data(), b0 == 0 ? T(0) : T(1),
                  dWp_.data());
    if (!dx) continue;
    T* dxg = dx + b0 * C * P;
    kern::gemm<T>(false, false, C, N, M, T(1), W_, col_.data(), T(0), nb == 1 ? dxg : dxch_.data());
    if (nb > 1) kern::channel_to_batch_major(dxch_.data(), dxg, nb, C, P);
  }
  for (int64_t j = 0; j < C * M; ++j) dW_[j] += dWp_[j];
}

template class ConvTranspose<float>;
template class ConvTranspose<double>;

}  // namespace dpt
