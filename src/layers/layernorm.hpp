// Layer normalization over the whole per-sample shape (PyTorch's nn.LayerNorm(shape)): each
// sample is normalized by the mean and (biased) variance of all its elements, then, with
// elementwise_affine, scaled by weight and shifted by bias, both of the per-sample shape.
// No batch statistics: the same in training and evaluation, on any number of ranks.
#pragma once
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class LayerNorm final : public Layer<T> {
 public:
  LayerNorm(Shape in, double eps, bool affine);
  std::string type() const override { return "layernorm"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return in_; }
  // weight (in...), bias (in...) with elementwise_affine; none without
  std::vector<ParamDecl> params() const override;
  void bind(T* params, T* grads) override;
  Cost cost(int64_t /*B*/) const override { return {8.0 * static_cast<double>(numel(in_)), {}}; }
  void init(Rng& rng) override;  // weight 1, bias 0
  // x, y: (B, N), N = numel(in)
  void forward(const T* x, T* y, int64_t B) override;
  // dx overwritten; dweight, dbias accumulated
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape in_;
  int64_t N_;
  double eps_;
  bool affine_;
  T *gamma_ = nullptr, *beta_ = nullptr, *dgamma_ = nullptr, *dbeta_ = nullptr;
  std::vector<double> mean_, invstd_;  // (B) of the last forward, grown once
};

}  // namespace dpt
