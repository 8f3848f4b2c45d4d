// N-d convolution with PyTorch's Conv1d / Conv3d semantics (Conv2d's too: rank 2, which the
// factory leaves to layers/conv2d): input (C_in, L), (C_in, H, W) or (C_in, D, H, W); kernel size,
// stride, zero padding and dilation per axis; groups; optional bias.
// Parameters: weight (C_out, C_in/groups, k...), bias (C_out).
//
// vol2col + GEMM, as Conv2d: the batch is walked in blocks of G = max(1, 256 / P) samples (P: output
// positions per sample; fixed by the geometry, never by threads), each through a vol2col block that
// stays in cache; with groups = g, channel group k is one GEMM over its rows of col:
//   col (C_in*K, G*P),  y'_k (C_out/g, G*P) = W_k (C_out/g, C_in/g*K) x col_k   (K: taps)
// then y' is transposed to (G, C_out, P) (nothing to transpose when G = 1).
// Backward per block, in order: dW_k^T += col_k dy'_k^T, dcol_k = W_k^T dy'_k, col2vol; then dW += dW^T^T.
// Axes are stored as (D, H, W): a 1-D layer's sizes are in W, a 2-D layer's in H, W (the constructor sets the
// axes a lower rank lacks to kernel 1, stride 1, padding 0, dilation 1).
#pragma once
#include <array>

#include "kernels/vol2col.hpp"
#include "layers/init.hpp"
#include "layers/layer.hpp"

namespace dpt {

struct ConvNdSpec {
  int rank = 3;  // spatial axes: 1, 2 or 3
  int64_t out_channels = 1;
  std::array<int64_t, 3> kernel{1, 1, 1}, stride{1, 1, 1}, padding{0, 0, 0}, dilation{1, 1, 1};  // (D, H, W)
  int64_t groups = 1;  // divides C_in and out_channels
  bool bias = true;
  Init init = Init::TorchDefault;
};

// The per-sample volume (D, H, W) of a shape (C, spatial...) with `rank` spatial axes (missing leading
// axes are 1), and the shape (C, spatial...) of channels C over such a volume.
std::array<int64_t, 3> volume_of(const Shape& in, int rank);
Shape shape_of(int64_t C, const std::array<int64_t, 3>& vol, int rank);
// "3x5x5" for the last `rank` entries of a (D, H, W) triple.
std::string axes_str(const std::array<int64_t, 3>& v, int rank);

template <class T>
class ConvNd final : public Layer<T> {
 public:
  ConvNd(Shape in, const ConvNdSpec& spec);  // in: (C_in, spatial...) with spec.rank spatial axes
  std::string type() const override { return fmt_type(); }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override;
  std::vector<ParamDecl> params() const override;
  void bind(T* params, T* grads) override;
  void init(Rng& rng) override;
  Cost cost(int64_t B) const override;  // GEMMs per block and channel group
  // x: (B, C_in, spatial...), y: (B, C_out, out spatial...)
  void forward(const T* x, T* y, int64_t B) override;
  // dy -> dx (overwritten); dW: (C_out, C_in/groups, k...) += ...; db: (C_out) += ...
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  static constexpr int64_t kBlockCols = 256;  // GEMM columns per block, as Conv2d
  std::string fmt_type() const;
  kern::VolGeom geom(int64_t B) const;
  int64_t ckk() const { return in_[0] * g1_.taps(); }         // rows of col
  int64_t kg() const { return ckk() / s_.groups; }            // one output's weights: C_in/g*K
  int64_t og() const { return s_.out_channels / s_.groups; }  // outputs per channel group
  int64_t block() const { return std::max<int64_t>(1, kBlockCols / g1_.out_size()); }
  void reserve(int64_t B, bool with_dcol);  // grows the work buffers to one block
  Shape in_;
  ConvNdSpec s_;
  kern::VolGeom g1_;  // the geometry of one sample
  T *W_ = nullptr, *b_ = nullptr, *dW_ = nullptr, *db_ = nullptr;
  Buffer<T> col_, ych_, dcol_, dWt_;  // one block's col, y' / dy', dcol; this pass's dW_k^T
};

}  // namespace dpt
