// 2-D convolution, NCHW, any kernel size, stride, zero padding, optional bias (PyTorch's Conv2d
// layout). The batch is walked in groups of G = max(1, 256 / (OH*OW)) samples (fixed by the
// geometry, never by threads), each one GEMM over an im2col block that stays in cache:
//   col_g (C_in*KH*KW, G*OH*OW),  y'_g (C_out, G*OH*OW) = W (C_out, C_in*KH*KW) x col_g
// then y'_g is transposed to (G, C_out, OH, OW) (nothing to transpose when G = 1).
// Backward per group, in order: dW^T += col_g dy'_g^T, dcol_g = W^T dy'_g, col2im; then dW += dW^T^T.
#pragma once
#include "layers/init.hpp"
#include "layers/layer.hpp"

namespace dpt {

struct Conv2dSpec {
  int64_t out_channels, kernel_h, kernel_w, stride = 1, padding = 0;
  bool bias = true;
  Init init = Init::TorchDefault;
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
  Cost cost(int64_t B) const override;  // GEMMs per group
  // x: (B, C_in, H, W), y: (B, C_out, OH, OW)
  void forward(const T* x, T* y, int64_t B) override;
  // dy: (B, C_out, OH, OW) -> dx: (B, C_in, H, W); dW: (C_out, C_in, KH, KW) += ...; db: (C_out) += ...
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  static constexpr int64_t kGroupCols = 256;  // GEMM columns per group: big enough for the GEMM, small for L2
  int64_t ckk() const { return in_[0] * s_.kernel_h * s_.kernel_w; }
  int64_t group() const;    // samples per group
  void reserve(int64_t B);  // grows col_ and ych_ to one group
  Shape in_;
  Conv2dSpec s_;
  int64_t oh_, ow_;
  T *W_ = nullptr, *b_ = nullptr, *dW_ = nullptr, *db_ = nullptr;
  // Work buffers for one group (they stay in cache), grown once (no allocation per step). Backward
  // rebuilds each group's col: cheaper than streaming the whole batch's col through memory.
  Buffer<T> col_, ych_, dcol_, dWt_;  // dWt_: this pass's dW^T (C_in*KH*KW, C_out)
};

}  // namespace dpt
