// Layers that resample the spatial axes of (C, L), (C, H, W) or (C, D, H, W) inputs:
// upsample (nearest neighbour, integer factor; PyTorch's nn.Upsample(scale_factor=k, mode='nearest'))
// and pad / crop (zero padding, or removing elements, on each side of every spatial axis: F.pad, and
// the center crop a U-Net with valid convolutions needs before concatenating a skip connection).
#pragma once
#include "kernels/resample.hpp"
#include "layers/layer.hpp"

namespace dpt {

template <class T>
class Upsample final : public Layer<T> {
 public:
  Upsample(Shape in, int64_t factor);
  std::string type() const override { return "upsample"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return out_; }
  // x: (B, C, S...) -> y: (B, C, k S...)
  void forward(const T* x, T* y, int64_t B) override;
  // dx: (B, C, S...) = the sum of each element's k^d copies of dy, overwritten
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  kern::UpsampleGeom geom(int64_t B) const;
  Shape in_, out_;
  int64_t k_;
};

// Pad (by > 0 zeros on each side) or crop (by > 0 elements off each side) of every spatial axis.
template <class T>
class PadCrop final : public Layer<T> {
 public:
  enum class Kind { Pad, Crop };
  PadCrop(Shape in, Kind kind, int64_t by);
  std::string type() const override { return kind_ == Kind::Pad ? "pad" : "crop"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return out_; }
  // x: (B, C, S...) -> y: (B, C, S + 2 by...) (pad) or (B, C, S - 2 by...) (crop)
  void forward(const T* x, T* y, int64_t B) override;
  // dx: the inner part of dy (pad), or dy with zeros around it (crop), overwritten
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  // from (x -> y, forward) or (dy -> dx, backward)
  kern::ShiftGeom geom(int64_t B, bool forward) const;
  Shape in_, out_;
  Kind kind_;
  int64_t by_;
};

}  // namespace dpt
