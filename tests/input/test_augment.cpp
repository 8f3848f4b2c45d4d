// Augmenter: each sample's transform is a function of (seed, step, global position) only, so any
// split of a batch across ranks gives the same images; crops shift with zero fill within the
// padding; flips mirror; misuse is refused naming the option.
#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "input/augment.hpp"

namespace dpt {
namespace {

constexpr int64_t C = 2, H = 5, W = 6, N = 16;

std::vector<float> images(int64_t n) {  // distinct positive values: a shift or flip is visible
  std::vector<float> v(static_cast<size_t>(n * C * H * W));
  std::iota(v.begin(), v.end(), 1.0f);
  return v;
}

TEST(Augment, AnySplitOfTheBatchGivesTheSameImages) {
  const Augmenter a({2, true}, {C, H, W}, 7);
  auto whole = images(N), parts = whole;
  a.apply(whole.data(), N, 3, 0);
  const int64_t cuts[] = {0, 5, 11, N};  // three "ranks" holding uneven slices
  for (int r = 0; r < 3; ++r) a.apply(parts.data() + cuts[r] * C * H * W, cuts[r + 1] - cuts[r], 3, cuts[r]);
  EXPECT_EQ(whole, parts);
  auto other_step = images(N);
  a.apply(other_step.data(), N, 4, 0);
  EXPECT_NE(whole, other_step);
}

TEST(Augment, CropsAreShiftsWithZeroFillAndFlipsMirror) {
  const Augmenter a({1, true}, {C, H, W}, 11);
  const auto orig = images(N);
  auto x = orig;
  a.apply(x.data(), N, 0, 0);
  std::set<std::pair<int, int>> seen;  // (dy, dx) found
  int flips = 0;
  for (int64_t i = 0; i < N; ++i) {
    const float* in = orig.data() + i * C * H * W;
    const float* out = x.data() + i * C * H * W;
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip)
      for (int dy = -1; dy <= 1 && !found; ++dy)
        for (int dx = -1; dx <= 1 && !found; ++dx) {
          bool match = true;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t h = 0; h < H; ++h)
              for (int64_t w = 0; w < W; ++w) {
                const int64_t sh = h + dy, sw = (flip ? W - 1 - w : w) + dx;
                const float want = sh >= 0 && sh < H && sw >= 0 && sw < W ? in[(c * H + sh) * W + sw] : 0.0f;
                match = match && out[(c * H + h) * W + w] == want;
              }
          if (match) found = true, seen.insert({dy, dx}), flips += flip;
        }
    EXPECT_TRUE(found) << "sample " << i << " is not a shift by at most 1 (and maybe a flip) of its input";
  }
  EXPECT_GE(seen.size(), 5u);  // 16 samples over 9 shifts
  EXPECT_GT(flips, 2);
  EXPECT_LT(flips, 14);
}

TEST(Augment, NothingAskedChangesNothing) {
  const Augmenter a({0, false}, {784}, 1);  // not an image: fine when off
  auto x = images(2), y = x;
  a.apply(x.data(), 2, 0, 0);
  EXPECT_EQ(x, y);
}

TEST(Augment, MisuseIsRefusedNamingTheOption) {
  try {
    Augmenter({2, false}, {784}, 1);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.augment.crop_padding = 2, data.augment.hflip = false: augmentation "
                                         "needs images (N, C, H, W), but the training features are (784) per sample"),
              std::string::npos)
        << e.what();
  }
  try {
    Augmenter({5, false}, {C, H, W}, 1);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.augment.crop_padding = 5 must be smaller than the image (5x6)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dpt
