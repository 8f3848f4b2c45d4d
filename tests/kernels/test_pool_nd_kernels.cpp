// N-d pooling kernels (kernels/pool_nd.hpp) against their ref:: twins, bitwise: 1-D, 2-D and 3-D
// geometries with kernels 1-3, strides 1-3, padding 0-1, odd sizes, max (plain and with the fused
// ReLU) and average; the 2-D geometry against kernels/pool.hpp's maxpool2d/avgpool2d (the same
// bits); the same bits on 1 and 4 threads.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/pool.hpp"
#include "kernels/pool_nd.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

// Per-axis geometry from (dims, size per used axis, k, stride, pad).
kern::PoolNdGeom geom(int dims, int64_t planes, std::vector<int64_t> sizes, int64_t k, int64_t s, int64_t p) {
  kern::PoolNdGeom g{planes, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}};
  for (int a = 3 - dims; a < 3; ++a)
    g.in[a] = sizes[static_cast<size_t>(a - (3 - dims))], g.k[a] = k, g.stride[a] = s, g.pad[a] = p;
  return g;
}

template <class T>
std::vector<T> run(const kern::PoolNdGeom& g, bool max, bool relu, bool ref, const std::vector<T>& x,
                   const std::vector<T>& dy) {
  std::vector<T> y(static_cast<size_t>(g.planes * g.out_size()), T(NAN)), dx(x.size(), T(NAN));
  std::vector<int32_t> arg(y.size(), -7);
  if (max) {
    (ref ? kern::ref::maxpool_nd_forward<T> : kern::maxpool_nd_forward<T>)(g, x.data(), y.data(), arg.data(), relu);
    (ref ? kern::ref::maxpool_nd_backward<T> : kern::maxpool_nd_backward<T>)(g, dy.data(), arg.data(), dx.data());
  } else {
    (ref ? kern::ref::avgpool_nd_forward<T> : kern::avgpool_nd_forward<T>)(g, x.data(), y.data());
    (ref ? kern::ref::avgpool_nd_backward<T> : kern::avgpool_nd_backward<T>)(g, dy.data(), dx.data());
  }
  y.insert(y.end(), dx.begin(), dx.end());
  return y;
}

template <class T>
class KernelPoolNd : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelPoolNd, FloatTypes);

TYPED_TEST(KernelPoolNd, MatchesReferenceBitwise) {
  using T = TypeParam;
  const std::vector<std::vector<int64_t>> sizes = {{}, {11}, {7, 5}, {5, 6, 7}};
  int cases = 0;
  for (int dims = 1; dims <= 3; ++dims)
    for (int64_t k = 1; k <= 3; ++k)
      for (int64_t s = 1; s <= 3; ++s)
        for (int64_t p = 0; p <= k / 2; ++p) {
          const kern::PoolNdGeom g = geom(dims, 3, sizes[static_cast<size_t>(dims)], k, s, p);
          const auto x = random_vector<T>(static_cast<size_t>(g.planes * g.in_size()), 1);
          const auto dy = random_vector<T>(static_cast<size_t>(g.planes * g.out_size()), 2);
          for (const int mode : {0, 1, 2}) {  // max, max with relu, average
            SCOPED_TRACE(::testing::Message() << dims << "-D k" << k << " s" << s << " p" << p << " mode " << mode);
            EXPECT_TRUE(
                bitwise_equal(run(g, mode < 2, mode == 1, false, x, dy), run(g, mode < 2, mode == 1, true, x, dy)));
            ++cases;
          }
        }
  EXPECT_GT(cases, 50);
}

TYPED_TEST(KernelPoolNd, TwoDimensionalGeometryGivesThe2dKernelsBits) {
  using T = TypeParam;
  for (const auto& [k, s, p] : std::vector<std::array<int64_t, 3>>{{2, 2, 0}, {3, 2, 1}, {3, 1, 1}}) {
    const kern::PoolNdGeom g = geom(2, 4, {7, 6}, k, s, p);
    const kern::PoolGeom g2{4, 7, 6, k, s, p};
    const auto x = random_vector<T>(static_cast<size_t>(g.planes * g.in_size()), 3);
    const auto dy = random_vector<T>(static_cast<size_t>(g.planes * g.out_size()), 4);
    for (const bool max : {true, false}) {
      std::vector<T> y(dy.size()), dx(x.size());
      std::vector<int32_t> arg(dy.size());
      if (max) {
        kern::maxpool_forward(g2, x.data(), y.data(), arg.data());
        kern::maxpool_backward(g2, dy.data(), arg.data(), dx.data());
      } else {
        kern::avgpool_forward(g2, x.data(), y.data());
        kern::avgpool_backward(g2, dy.data(), dx.data());
      }
      y.insert(y.end(), dx.begin(), dx.end());
      EXPECT_TRUE(bitwise_equal(run(g, max, false, false, x, dy), y)) << "k" << k << " s" << s << " p" << p << max;
    }
  }
}

TEST(KernelPoolNdThreads, IndependentOfThreadCount) {
  const kern::PoolNdGeom g = geom(3, 2 * 8, {16, 16, 16}, 3, 2, 1);
  const auto x = random_vector<float>(static_cast<size_t>(g.planes * g.in_size()), 5);
  const auto dy = random_vector<float>(static_cast<size_t>(g.planes * g.out_size()), 6);
  for (const bool max : {true, false}) {
    kern::configure_threads(1);
    const auto one = run(g, max, false, false, x, dy);
    kern::configure_threads(4);
    const auto four = run(g, max, false, false, x, dy);
    kern::configure_threads(1);
    EXPECT_TRUE(bitwise_equal(one, four)) << max;
  }
}

}  // namespace
}  // namespace dpt
