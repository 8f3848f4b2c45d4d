// Max and average pooling over signals (C, L) and volumes (C, D, H, W): cubic kernel, stride
// (default: the kernel size), zero padding (PyTorch's MaxPool1d/3d, AvgPool1d/3d with
// count_include_pad=True). Images use Pool2d (layers/pool2d.hpp).
#pragma once
#include "kernels/pool_nd.hpp"
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class PoolNd final : public Layer<T> {
 public:
  enum class Kind { Max, Avg };
  // in: (C, L) or (C, D, H, W)
  PoolNd(Shape in, Kind kind, int64_t kernel, int64_t stride, int64_t padding);
  std::string type() const override;  // maxpool1d, avgpool3d, ...
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return out_; }
  // x: (B, C, L) or (B, C, D, H, W); y: (B, C, OL) or (B, C, OD, OH, OW)
  void forward(const T* x, T* y, int64_t B) override;
  // dx: like x, overwritten
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;
  // max pooling: the ReLU before it runs inside the pooling (kern::maxpool_nd_forward's relu)
  bool fuse_relu_before() override { return relu_ = kind_ == Kind::Max; }

 private:
  kern::PoolNdGeom geom(int64_t B) const;
  Shape in_, out_;
  Kind kind_;
  bool relu_ = false;  // a fused ReLU before it
  int64_t k_, stride_, pad_;
  std::vector<int32_t> arg_;  // max: where each output came from, (B, C, O...)
};

}  // namespace dpt
