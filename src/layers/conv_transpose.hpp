// Transposed convolution with PyTorch's ConvTranspose2d / ConvTranspose3d semantics (the adjoint of
// a convolution; U-Nets upsample with kernel 2, stride 2): input (C_in, H, W) or (C_in, D, H, W),
// output size per axis (in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1.
// Parameters: weight (C_in, C_out, k...), bias (C_out). groups = 1 only (the factory says so).
//
// The output is the col2vol of W^T x: per block of G = max(1, 256 / P) samples (P: input positions
// per sample; fixed by the geometry, never by threads), with M = C_out*K (K: taps):
//   x' (C_in, G*P) = the block channel-major,  col (M, G*P) = W^T x',  y = col2vol(col) + b
// Backward: dcol = vol2col(dy), dW (C_in, M) += x' dcol^T, dx' = W dcol (then batch-major).
// The vol2col geometry is that of the convolution this layer is the adjoint of: its input is this
// layer's output volume, its output positions this layer's input positions.
#pragma once
#include <array>

#include "kernels/vol2col.hpp"
#include "layers/init.hpp"
#include "layers/layer.hpp"

namespace dpt {

struct ConvTransposeSpec {
  int rank = 3;  // spatial axes: 1, 2 or 3
  int64_t out_channels = 1;
  std::array<int64_t, 3> kernel{1, 1, 1}, stride{1, 1, 1}, padding{0, 0, 0}, dilation{1, 1, 1};  // (D, H, W)
  std::array<int64_t, 3> output_padding{0, 0, 0};  // added to one side of the output; < stride
  bool bias = true;
  Init init = Init::TorchDefault;
};

// The output volume (D, H, W) of a transposed convolution of input volume `in`.
std::array<int64_t, 3> transposed_out(const std::array<int64_t, 3>& in, const ConvTransposeSpec& s);

template <class T>
class ConvTranspose final : public Layer<T> {
 public:
  ConvTranspose(Shape in, const ConvTransposeSpec& spec);  // in: (C_in, spatial...)
  std::string type() const override;
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override;
  std::vector<ParamDecl> params() const override;
  void bind(T* params, T* grads) override;
  void init(Rng& rng) override;
  Cost cost(int64_t B) const override;
  // x: (B, C_in, spatial...), y: (B, C_out, out spatial...)
  void forward(const T* x, T* y, int64_t B) override;
  // dy -> dx (overwritten); dW: (C_in, C_out, k...) += ...; db: (C_out) += ...
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  static constexpr int64_t kBlockCols = 256;                     // GEMM columns per block
  kern::VolGeom geom(int64_t B) const;                           // vol2col over the output volume
  int64_t rows() const { return s_.out_channels * g1_.taps(); }  // M: rows of col
  int64_t block() const { return std::max<int64_t>(1, kBlockCols / g1_.out_size()); }
  // The block's input channel-major (C_in, nb*P), in xch_ unless nb = 1 (then x itself).
  const T* channel_major(const T* x, int64_t b0, int64_t nb);
  void reserve(int64_t B);
  Shape in_;
  ConvTransposeSpec s_;
  kern::VolGeom g1_;  // one sample
  T *W_ = nullptr, *b_ = nullptr, *dW_ = nullptr, *db_ = nullptr;
  Buffer<T> col_, xch_, dxch_, dWp_;  // one block's col, x', dx'; this pass's dW
};

}  // namespace dpt
