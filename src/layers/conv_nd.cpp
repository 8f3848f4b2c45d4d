#include "layers/conv_nd.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"
#include "kernels/im2col.hpp"

namespace dpt {

std::array<int64_t, 3> volume_of(const Shape& in, int rank) {
  std::array<int64_t, 3> v{1, 1, 1};
  for (int a = 0; a < rank; ++a) v[static_cast<size_t>(3 - rank + a)] = in[static_cast<size_t>(1 + a)];
  return v;
}

Shape shape_of(int64_t C, const std::array<int64_t, 3>& vol, int rank) {
  Shape s{C};
  for (int a = 3 - rank; a < 3; ++a) s.push_back(vol[static_cast<size_t>(a)]);
  return s;
}

std::string axes_str(const std::array<int64_t, 3>& v, int rank) {
  std::vector<int64_t> tail(v.end() - rank, v.end());
  return fmt::format("{}", fmt::join(tail, "x"));
}

template <class T>
ConvNd<T>::ConvNd(Shape in, const ConvNdSpec& spec) : in_(std::move(in)), s_(spec) {
  for (size_t a = 0; a < static_cast<size_t>(3 - s_.rank); ++a)  // the axes a lower rank lacks
    s_.kernel[a] = s_.stride[a] = s_.dilation[a] = 1, s_.padding[a] = 0;
  g1_ = geom(1);
}

template <class T>
kern::VolGeom ConvNd<T>::geom(int64_t B) const {
  return {B, in_[0], volume_of(in_, s_.rank), s_.kernel, s_.stride, s_.padding, s_.dilation};
}

template <class T>
std::string ConvNd<T>::fmt_type() const {
  return fmt::format("conv{}d", s_.rank);
}

template <class T>
Shape ConvNd<T>::out_shape() const {
  return shape_of(s_.out_channels, {g1_.out(0), g1_.out(1), g1_.out(2)}, s_.rank);
}

template <class T>
std::string ConvNd<T>::describe() const {
  std::string extra;
  if (s_.dilation != std::array<int64_t, 3>{1, 1, 1}) extra += " d" + axes_str(s_.dilation, s_.rank);
  if (s_.groups > 1) extra += fmt::format(" g{}", s_.groups);
  return fmt::format("{} {}->{} {} s{} p{}{}{}", fmt_type(), in_[0], s_.out_channels, axes_str(s_.kernel, s_.rank),
                     axes_str(s_.stride, s_.rank), axes_str(s_.padding, s_.rank), extra, s_.bias ? "" : " (no bias)");
}

template <class T>
std::vector<ParamDecl> ConvNd<T>::params() const {
  Shape w = shape_of(in_[0] / s_.groups, s_.kernel, s_.rank);
  w.insert(w.begin(), s_.out_channels);
  std::vector<ParamDecl> p{{"weight", w}};
  if (s_.bias) p.push_back({"bias", {s_.out_channels}});
  return p;
}

template <class T>
void ConvNd<T>::bind(T* params, T* grads) {
  const int64_t nW = s_.out_channels * kg();
  W_ = params, dW_ = grads;
  if (s_.bias) b_ = params + nW, db_ = grads + nW;
}

// PyTorch's fans: fan_in = C_in/groups * K, fan_out = C_out * K.
template <class T>
void ConvNd<T>::init(Rng& rng) {
  init_weights<T>(s_.init, kg(), s_.out_channels * g1_.taps(), W_, s_.out_channels * kg(), b_,
                  s_.bias ? s_.out_channels : 0, rng);
}

template <class T>
Cost ConvNd<T>::cost(int64_t B) const {
  const int64_t P = g1_.out_size();
  Cost c{6.0 * static_cast<double>(s_.out_channels * kg() * P), {}};
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t cols = std::min(block(), B - b0) * P;
    for (int64_t k = 0; k < s_.groups; ++k) {
      c.gemms.push_back({false, false, og(), cols, kg()});
      c.gemms.push_back({false, true, kg(), og(), cols});
      c.gemms.push_back({true, false, kg(), cols, og()});
    }
  }
  return c;
}

template <class T>
void ConvNd<T>::reserve(int64_t B, bool with_dcol) {
  const int64_t P = g1_.out_size(), G = std::min(block(), B), C = s_.out_channels;
  auto grow = [](Buffer<T>& b, int64_t n) {
    if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  };
  grow(col_, ckk() * G * P);
  if (G > 1) grow(ych_, C * G * P);
  grow(dWt_, C * kg());
  if (with_dcol) grow(dcol_, ckk() * G * P);
}

// Per block of nb samples from b0: col (ckk, nb*P) = vol2col; per channel group k: rows k of
// y' (C_out, nb*P) = W_k col_k; then y[b0..b0+nb) (nb, C_out, P) = y' transposed, + bias.
template <class T>
void ConvNd<T>::forward(const T* x, T* y, int64_t B) {
  if (B == 0) return;
  const kern::VolGeom g = geom(B);
  const int64_t P = g1_.out_size(), C = s_.out_channels, O = og(), K = kg();
  reserve(B, false);
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t nb = std::min(block(), B - b0), N = nb * P;
    T* yg = y + b0 * C * P;
    T* out = nb == 1 ? yg : ych_.data();
    kern::vol2col_range(g, x, b0, nb, col_.data());
    for (int64_t k = 0; k < s_.groups; ++k)
      kern::gemm<T>(false, false, O, N, K, T(1), W_ + k * O * K, col_.data() + k * K * N, T(0), out + k * O * N);
    if (nb > 1) kern::channel_to_batch_major(ych_.data(), yg, nb, C, P);
    if (s_.bias) kern::add_channel_bias(yg, b_, nb, C, P);
  }
}

// Per block: dy' (C_out, nb*P); db += channel sums; per group k: dW_k^T (K, O) += col_k dy'_k^T and
// dcol_k = W_k^T dy'_k; dx[b0..b0+nb) = col2vol(dcol). Blocks run in order (sums independent of
// threads); dW += dW^T transposed at the end.
template <class T>
void ConvNd<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (B == 0) return;
  const kern::VolGeom g = geom(B);
  const int64_t P = g1_.out_size(), C = s_.out_channels, in = in_[0] * g1_.in_size(), O = og(), K = kg();
  reserve(B, dx != nullptr);
  for (int64_t b0 = 0; b0 < B; b0 += block()) {
    const int64_t nb = std::min(block(), B - b0), N = nb * P;
    kern::vol2col_range(g, x, b0, nb, col_.data());
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
    kern::col2vol_range_acc(g, dcol_.data(), b0, nb, dx);
  }
  for (int64_t k = 0; k < s_.groups; ++k)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t j = 0; j < K; ++j) dW_[(k * O + o) * K + j] += dWt_[(k * K + j) * O + o];
}

template class ConvNd<float>;
template class ConvNd<double>;

}  // namespace dpt
