// 2-D convolution, NCHW, any kernel size, stride, zero padding, dilation, groups, optional bias
// (PyTorch's Conv2d: weight (C_out, C_in/groups, KH, KW), bias (C_out)).
//
// im2col + GEMM: the batch is walked in blocks of G = max(1, 256 / (OH*OW)) samples (fixed by the
// geometry, never by threads), each through an im2col block that stays in cache; with groups = g,
// channel group k (C_in/g inputs, C_out/g outputs) is one GEMM over its rows of col:
//   col (C_in*KH*KW, G*OH*OW),  y'_k (C_out/g, G*OH*OW) = W_k (C_out/g, C_in/g*KH*KW) x col_k
// then y' is transposed to (G, C_out, OH, OW) (nothing to transpose when G = 1).
// Backward per block, in order: dW_k^T += col_k dy'_k^T, dcol_k = W_k^T dy'_k, col2im; then dW += dW^T^T.
//
// Depthwise (groups = C_in = C_out): direct loops (kernels/depthwise) instead, unless the spec asks
// for the GEMM path (tests and timings compare the two).
// 3x3, stride 1, dilation 1, groups 1 (ResNet's and VGG's convolutions): Winograd F(2x2, 3x3)
// (kernels/winograd: 2.25x fewer multiply-adds, no im2col) unless the spec asks for im2col.
#pragma once
#include "layers/init.hpp"
#include "layers/layer.hpp"

namespace dpt {

// How a convolution is computed: auto picks Winograd where it fits (kernels/winograd), else im2col.
enum class ConvAlgo { Auto, Im2col, Winograd };

struct Conv2dSpec {
  int64_t out_channels, kernel_h, kernel_w, stride = 1, padding = 0;
  bool bias = true;
  Init init = Init::TorchDefault;
  int64_t dilation = 1;          // spacing of the kernel taps
  int64_t groups = 1;            // divides C_in and out_channels
  bool direct_depthwise = true;  // groups = C_in = C_out: the direct kernel (false: per-group GEMMs)
  ConvAlgo algo = ConvAlgo::Auto;
};

template <class T>
class Conv2d final : public Layer<T> {
 public:
  Conv2d(Shape in, const Conv2dSpec& spec);  // in: (C_in, H, W)
  std::string type() const override { return "conv2d"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return {s_.out_channels, oh_, ow_}; }
  std::vector<ParamDecl> params() const override;
  void bind(T* params, T* grads) override;
  void init(Rng& rng) override;
  Cost cost(int64_t B) const override;  // GEMMs per block and channel group, or per block and xi (Winograd)
  // x: (B, C_in, H, W), y: (B, C_out, OH, OW)
  void forward(const T* x, T* y, int64_t B) override;
  // dy: (B, C_out, OH, OW) -> dx: (B, C_in, H, W); dW: (C_out, C_in/groups, KH, KW) += ...; db: (C_out) += ...
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  static constexpr int64_t kBlockCols = 256;  // GEMM columns per block: big enough for the GEMM, small for L2
  int64_t ckk() const { return in_[0] * s_.kernel_h * s_.kernel_w; }  // rows of col
  int64_t kg() const { return ckk() / s_.groups; }                    // one output's weights: C_in/g*KH*KW
  int64_t og() const { return s_.out_channels / s_.groups; }          // outputs per channel group
  bool depthwise() const;                                             // the direct kernel runs
  bool winograd() const;                                              // F(2x2, 3x3) runs
  int64_t block() const;                                              // samples per block
  void reserve(int64_t B);                                            // grows col_, ych_, dWt_ to one block
  void forward_depthwise(const T* x, T* y, int64_t B);
  void backward_depthwise(const T* x, const T* dy, T* dx, int64_t B);
  Shape in_;
  Conv2dSpec s_;
  int64_t oh_, ow_;
  T *W_ = nullptr, *b_ = nullptr, *dW_ = nullptr, *db_ = nullptr;
  // Work buffers for one block (they stay in cache), grown once (no allocation per step). Backward
  // rebuilds each block's col: cheaper than streaming the whole batch's col through memory.
  Buffer<T> col_, ych_, dcol_, dWt_;  // dWt_: this pass's dW_k^T (C_in/g*KH*KW, C_out/g) for each group k
};

}  // namespace dpt
