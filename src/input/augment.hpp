// On-the-fly image augmentation for training batches (data.augment.*; evaluation never augments):
//   crop_padding p  pad the image with p zeros on each side, then crop a random H x W window:
//                   a shift by (dy, dx), each uniform in [-p, p], filling with 0
//   hflip           mirror left-right with probability 1/2
// Sample j of a global batch gets its transform from (seed, step, j) alone, so the batch is the
// same on any rank and thread count (the property dropout masks have: docs/reproducibility.md).
#pragma once
#include <cstdint>

#include "tensor/shape.hpp"

namespace dpt {

struct AugmentSpec {
  int64_t crop_padding = 0;
  bool hflip = false;
  bool any() const { return crop_padding > 0 || hflip; }
};

class Augmenter {
 public:
  // sample: per-sample shape (C, H, W); throws naming the option when augmentation is asked for
  // data that is not an image, or a padding not smaller than the image.
  Augmenter(const AugmentSpec& spec, const Shape& sample, uint64_t seed);
  // x: (n, C, H, W), in place; first: the global-batch position of x's first sample.
  void apply(float* x, int64_t n, int64_t step, int64_t first) const;

 private:
  void one(float* img, uint64_t key) const;
  AugmentSpec spec_;
  int64_t C_ = 0, H_ = 0, W_ = 0;
  uint64_t seed_;
  mutable Buffer<float> tmp_;  // one image
};

}  // namespace dpt
