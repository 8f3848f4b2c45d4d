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

// Global average pooling: (C, ...) -> (C), the mean of each channel over every spatial position
// (PyTorch's AdaptiveAvgPool{1,2,3}d(1) followed by flatten), so a dense layer can follow directly.
// type: its name in configs ("global_avgpool" for any rank; "global_avgpool2d" for images).
template <class T>
class GlobalAvgPool : public Layer<T> {
 public:
  explicit GlobalAvgPool(Shape in, std::string type = "global_avgpool") : in_(std::move(in)), type_(std::move(type)) {}
  std::string type() const override { return type_; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return {in_[0]}; }
  // x: (B, C, ...), y: (B, C)
  void forward(const T* x, T* y, int64_t B) override;
  // dy: (B, C) -> dx: (B, C, ...) = dy / (positions per channel), overwritten
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  Shape in_;
  std::string type_;
};

// The (C, H, W) form under its own name (configs before global_avgpool).
template <class T>
class GlobalAvgPool2d final : public GlobalAvgPool<T> {
 public:
  explicit GlobalAvgPool2d(Shape in) : GlobalAvgPool<T>(std::move(in), "global_avgpool2d") {}
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
