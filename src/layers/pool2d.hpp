// Max and average pooling over (C, H, W) inputs: square kernel, stride (default: the kernel size),
// zero padding.
#pragma once
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class Pool2d final : public Layer<T> {
 public:
  enum class Kind { Max, Avg };
  Pool2d(Shape in, Kind kind, int64_t kernel, int64_t stride, int64_t padding);
  std::string type() const override { return kind_ == Kind::Max ? "maxpool2d" : "avgpool2d"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return {in_[0], oh_, ow_}; }
  // x: (B, C, H, W), y: (B, C, OH, OW)
  void forward(const T* x, T* y, int64_t B) override;
  // dx: (B, C, H, W) overwritten
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;
  // max pooling: the ReLU before it runs inside the pooling (kern::maxpool_forward's relu)
  bool fuse_relu_before() override { return relu_ = kind_ == Kind::Max; }

 private:
  Shape in_;
  Kind kind_;
  bool relu_ = false;  // a fused ReLU before it
  int64_t k_, stride_, pad_, oh_, ow_;
  std::vector<int32_t> arg_;  // max: where each output came from, (B, C, OH, OW)
};

// Global average pooling: (C, H, W) -> (C), the mean of each channel's plane (PyTorch's
// AdaptiveAvgPool2d(1) followed by flatten), so a dense layer can follow directly.
template <class T>
class GlobalAvgPool2d final : public Layer<T> {
 public:
  explicit GlobalAvgPool2d(Shape in) : in_(std::move(in)) {}
  std::string type() const override { return "global_avgpool2d"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return {in_[0]}; }
  // x: (B, C, H, W), y: (B, C)
  void forward(const T* x, T* y, int64_t B) override;
  // dy: (B, C) -> dx: (B, C, H, W) = dy / (H*W), overwritten
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape in_;
};

// Flatten: (C, H, W) -> (C*H*W), a copy in (C, H, W) order.
template <class T>
class Flatten final : public Layer<T> {
 public:
  explicit Flatten(Shape in) : in_(std::move(in)) {}
  std::string type() const override { return "flatten"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return {numel(in_)}; }
  void forward(const T* x, T* y, int64_t B) override;
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape in_;
};

}  // namespace dpt
