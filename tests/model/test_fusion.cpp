// Fusion of a relu into the max pooling after it (model/graph.cpp, kern::maxpool_forward's relu):
// the same bits as running the two layers, forward and backward, including windows with no
// positive value, zeros and negative zeros; a relu that something else also reads is not fused.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/rng.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/pool.hpp"
#include "model/model.hpp"

namespace dpt {
namespace {

// Values in [-1, 0.6] with many exact zeros, negative zeros and all-negative windows (and NaNs).
std::vector<float> tricky(size_t n, uint64_t seed, bool nan = false) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) {
    const double u = rng.uniform(0, 1);
    x = u < 0.1 ? 0.0f : u < 0.2 ? -0.0f : static_cast<float>(rng.uniform(-1, 0.6));
    if (nan && u > 0.97) x = std::numeric_limits<float>::quiet_NaN();  // relu maps NaN to +0
  }
  return v;
}

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

TEST(Fusion, ReluInsideMaxPoolGivesTheBitsOfReluThenMaxPool) {
  for (const kern::PoolGeom g : {kern::PoolGeom{6, 8, 8, 2, 2, 0}, kern::PoolGeom{5, 7, 9, 3, 2, 1}}) {
    const size_t in = static_cast<size_t>(g.planes * g.H * g.W), out = static_cast<size_t>(g.planes * g.OH() * g.OW());
    const auto x = tricky(in, 3, true), dy = tricky(out, 4);
    // apart: relu, pool, pool backward, relu backward
    std::vector<float> r(in), y1(out), dr(in), dx1(in), y2(out), dx2(in), y3(out), dx3(in);
    std::vector<int32_t> a1(out), a2(out), a3(out);
    kern::relu_forward(x.data(), r.data(), static_cast<int64_t>(in));
    kern::maxpool_forward(g, r.data(), y1.data(), a1.data());
    kern::maxpool_backward(g, dy.data(), a1.data(), dr.data());
    kern::relu_backward(r.data(), dr.data(), dx1.data(), static_cast<int64_t>(in));
    // fused, and its reference twin
    kern::maxpool_forward(g, x.data(), y2.data(), a2.data(), true);
    kern::maxpool_backward(g, dy.data(), a2.data(), dx2.data());
    kern::ref::maxpool_forward(g, x.data(), y3.data(), a3.data(), true);
    kern::ref::maxpool_backward(g, dy.data(), a3.data(), dx3.data());
    EXPECT_TRUE(same_bits(y1.data(), y2.data(), out)) << g.k;
    EXPECT_TRUE(same_bits(dx1.data(), dx2.data(), in)) << g.k;
    EXPECT_TRUE(same_bits(y3.data(), y2.data(), out)) << g.k;
    EXPECT_EQ(a3, a2) << g.k;
    EXPECT_TRUE(same_bits(dx3.data(), dx2.data(), in)) << g.k;
  }
}

// The same CNN with the relu fused (relu -> maxpool) and not (relu -> identity -> maxpool).
TEST(Fusion, AFusedCnnTrainsWithTheBitsOfTheUnfusedOne) {
  const std::string head = "[{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}, {type: relu}, ";
  const std::string tail = "{type: maxpool2d, kernel_size: 2}, {type: flatten}, {type: dense, units: 3}]";
  Model fused(YAML::Load(head + tail), {2, 6, 6}, 5, "fused.yaml");
  Model apart(YAML::Load(head + "{type: identity}, " + tail), {2, 6, 6}, 5, "apart.yaml");
  fused.init(7);
  ASSERT_EQ(fused.store().size(), apart.store().size());
  std::copy(fused.store().params(), fused.store().params() + fused.store().size(), apart.store().params());
  EXPECT_LT(fused.floats_per_sample(), apart.floats_per_sample());  // the relu holds no activation
  const auto x = tricky(5 * 2 * 6 * 6, 9), dout = tricky(5 * 3, 10);
  const float* y1 = fused.forward(x.data(), 5);
  const float* y2 = apart.forward(x.data(), 5);
  EXPECT_TRUE(same_bits(y1, y2, 15));
  fused.store().zero_grads(), apart.store().zero_grads();
  fused.backward(x.data(), dout.data(), 5), apart.backward(x.data(), dout.data(), 5);
  EXPECT_TRUE(same_bits(fused.store().grads(), apart.store().grads(), static_cast<size_t>(fused.store().size())));
}

// A relu that two nodes read (the pooling and a concat) is computed as a layer of its own.
TEST(Fusion, AReluThatAnotherNodeAlsoReadsIsNotFused) {
  const char* shared =
      "[{type: conv2d, out_channels: 2, kernel_size: 3, padding: 1}, {type: relu, name: r}, "
      "{type: maxpool2d, kernel_size: 2}, {type: flatten, name: p}, {type: flatten, name: q, inputs: [r]}, "
      "{type: concat, inputs: [p, q]}, {type: dense, units: 3}]";
  Model m(YAML::Load(shared), {1, 4, 4}, 2, "shared.yaml");
  EXPECT_FALSE(m.graph().fused(1));
  Model fused(YAML::Load("[{type: relu}, {type: maxpool2d, kernel_size: 2}, {type: flatten}]"), {1, 4, 4}, 2, "f.yaml");
  EXPECT_TRUE(fused.graph().fused(0));  // a relu of the model's input
  m.init(3);
  const auto x = tricky(2 * 16, 5);
  const float* y = m.forward(x.data(), 2);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(std::isfinite(y[i]));
}

}  // namespace
}  // namespace dpt
