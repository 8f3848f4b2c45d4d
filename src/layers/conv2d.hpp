// 2-D convolution, NCHW, any kernel size, stride, zero padding, optional bias (PyTorch's Conv2d
// layout). The whole batch is one GEMM: im2col builds col (C_in*KH*KW, B*OH*OW) and
//   y' (C_out, B*OH*OW) = W (C_out, C_in*KH*KW) x col
// then y' is transposed to (B, C_out, OH, OW). Backward: dW += dy' col^T, dcol = W^T dy', col2im.
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
  double flops() const override;
  std::vector<GemmShape> gemms(int64_t B) const override {
    const int64_t cols = B * oh_ * ow_;
    return {{false, false, s_.out_channels, cols, ckk()}, {false, true, s_.out_channels, ckk(), cols},
            {true, false, ckk(), cols, s_.out_channels}};
  }
  // x: (B, C_in, H, W), y: (B, C_out, OH, OW)
  void forward(const T* x, T* y, int64_t B) override;
  // dy: (B, C_out, OH, OW) -> dx: (B, C_in, H, W); dW: (C_out, C_in, KH, KW) += ...; db: (C_out) += ...
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  int64_t ckk() const { return in_[0] * s_.kernel_h * s_.kernel_w; }
  Shape in_;
  Conv2dSpec s_;
  int64_t oh_, ow_;
  T *W_ = nullptr, *b_ = nullptr, *dW_ = nullptr, *db_ = nullptr;
  // Work buffers, grown to the largest batch once (no allocation per step). col_ holds forward's
  // im2col of x for backward of the same batch.
  Buffer<T> col_, ych_, dcol_;
  const T* col_of_ = nullptr;
  int64_t col_batch_ = -1;
};

}  // namespace dpt
