// Fully connected layer: y = x W^T + b (PyTorch's nn.Linear layout). Inputs of any per-sample shape
// are read as flat vectors of numel(in) features.
#pragma once
#include "layers/init.hpp"
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class Dense final : public Layer<T> {
 public:
  Dense(Shape in, int64_t units, bool bias, Init init);
  std::string type() const override { return "dense"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return {out_}; }
  std::vector<ParamDecl> params() const override;
  void bind(T* params, T* grads) override;
  void init(Rng& rng) override;
  Cost cost(int64_t B) const override {
    return {6.0 * static_cast<double>(in_features_ * out_),
            {{false, true, B, out_, in_features_},
             {true, false, out_, in_features_, B},
             {false, false, B, in_features_, out_}}};
  }
  // x: (B, in), y: (B, out)
  void forward(const T* x, T* y, int64_t B) override;
  // dy: (B, out) -> dx: (B, in); dW: (out, in) += dy^T x; db: (out) += sum over rows of dy
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape in_;
  int64_t in_features_, out_;
  bool has_bias_;
  Init init_;
  T *W_ = nullptr, *b_ = nullptr, *dW_ = nullptr, *db_ = nullptr;  // W: (out, in), b: (out)
};

}  // namespace dpt
