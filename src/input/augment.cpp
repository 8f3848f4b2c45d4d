#include "input/augment.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace dpt {

Augmenter::Augmenter(const AugmentSpec& spec, const Shape& sample, uint64_t seed) : spec_(spec), seed_(seed) {
  if (!spec_.any()) return;
  if (sample.size() != 3)
    fail(
        "config: data.augment.crop_padding = {}, data.augment.hflip = {}: augmentation needs images (N, C, H, W), "
        "but the training features are {} per sample",
        spec_.crop_padding, spec_.hflip, shape_str(sample));
  C_ = sample[0], H_ = sample[1], W_ = sample[2];
  if (spec_.crop_padding >= std::min(H_, W_))
    fail("config: data.augment.crop_padding = {} must be smaller than the image ({}x{})", spec_.crop_padding, H_, W_);
  tmp_.resize(static_cast<size_t>(C_ * H_ * W_));
}

void Augmenter::apply(float* x, int64_t n, int64_t step, int64_t first) const {
  if (!spec_.any()) return;
  const int64_t size = C_ * H_ * W_;
  for (int64_t i = 0; i < n; ++i)
    one(x + i * size,
        derive_seed(derive_seed(seed_, 0xA06E, static_cast<uint64_t>(step)), static_cast<uint64_t>(first + i)));
}

// out[c][h][w] = in[c][h + dy][w' + dx] (0 outside), w' = W-1-w when flipped.
void Augmenter::one(float* img, uint64_t key) const {
  Rng rng(key);
  const int64_t p = spec_.crop_padding;
  const int64_t dy = p > 0 ? static_cast<int64_t>(rng.next() % static_cast<uint64_t>(2 * p + 1)) - p : 0;
  const int64_t dx = p > 0 ? static_cast<int64_t>(rng.next() % static_cast<uint64_t>(2 * p + 1)) - p : 0;
  const bool flip = spec_.hflip && (rng.next() >> 63) != 0;
  if (dy == 0 && dx == 0 && !flip) return;
  std::copy(img, img + C_ * H_ * W_, tmp_.begin());
  for (int64_t c = 0; c < C_; ++c)
    for (int64_t h = 0; h < H_; ++h) {
      float* row = img + (c * H_ + h) * W_;
      const int64_t sh = h + dy;
      if (sh < 0 || sh >= H_) {
        std::fill(row, row + W_, 0.0f);
        continue;
      }
      const float* src = tmp_.data() + (c * H_ + sh) * W_;
      for (int64_t w = 0; w < W_; ++w) {
        const int64_t sw = (flip ? W_ - 1 - w : w) + dx;
        row[w] = sw >= 0 && sw < W_ ? src[sw] : 0.0f;
      }
    }
}

}  // namespace dpt
