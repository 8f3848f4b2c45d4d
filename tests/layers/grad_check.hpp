// Finite-difference gradient checks in double precision for one layer, with the scalar loss
// L = sum(y * R) for a fixed random R, so dL/dy = R.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "kernels/threads.hpp"
#include "layers/layer.hpp"
#include "layers/running_stats.hpp"

namespace dpt::test {

inline std::vector<double> random_doubles(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = rng.uniform(lo, hi);
  return v;
}

constexpr double kFdStep = 1e-6;
constexpr double kFdRelTol = 1e-6;

// Central difference of f at v[i] (v is restored).
template <class F>
double central_difference(std::vector<double>& v, size_t i, F&& f) {
  const double saved = v[i];
  v[i] = saved + kFdStep;
  const double up = f();
  v[i] = saved - kFdStep;
  const double down = f();
  v[i] = saved;
  return (up - down) / (2 * kFdStep);
}

// Expects every analytic[i] to match the finite difference of f with respect to v[i].
template <class F>
void expect_gradient_matches(const std::string& what, const std::vector<double>& analytic, std::vector<double>& v,
                             F&& f) {
  ASSERT_EQ(analytic.size(), v.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double fd = central_difference(v, i, f);
    const double tol = kFdRelTol * std::max(std::abs(fd), std::abs(analytic[i])) + 1e-8;
    if (!(std::abs(fd - analytic[i]) <= tol) && ++bad <= 5)
      ADD_FAILURE() << what << "[" << i << "]: analytic " << analytic[i] << ", finite difference " << fd;
  }
  EXPECT_EQ(bad, 0) << what;
}

// L = sum(y * R) where y = layer.forward(x) for a batch of B.
inline double weighted_output_sum(Layer<double>& layer, const std::vector<double>& x, const std::vector<double>& R,
                                  int64_t B) {
  std::vector<double> y(R.size());
  layer.forward(x.data(), y.data(), B);
  double L = 0;
  for (size_t i = 0; i < y.size(); ++i) L += y[i] * R[i];
  return L;
}

}  // namespace dpt::test

namespace dpt::test {

// A layer bound to its own parameters (drawn uniform in [lo, hi)), zeroed gradients and buffers.
template <class T>
struct Bound {
  std::vector<T> params, grads, buffers;
};
template <class T>
Bound<T> bind_random(Layer<T>& layer, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Bound<T> b;
  int64_t np = 0, nb = 0;
  for (const auto& p : layer.params()) np += numel(p.shape);
  for (const auto& q : stat_buffers(layer)) nb += numel(q.shape);
  for (const double v : random_doubles(static_cast<size_t>(np), seed, lo, hi)) b.params.push_back(static_cast<T>(v));
  b.grads.assign(b.params.size(), T(0));
  b.buffers.assign(static_cast<size_t>(nb), T(0));
  layer.bind(b.params.data(), b.grads.data());
  if (RunningStats<T>* stats = layer.running_stats(); stats && nb) stats->bind_buffers(b.buffers.data(), nullptr);
  return b;
}

// The full check of one Layer<double> on a batch x of B samples, with L = sum(y * R):
// backward(dy = R) overwrites dx (a buffer full of NaN beforehand) and accumulates into zeroed
// parameter gradients; both must match central differences of L with respect to x and to every
// parameter. Every forward runs in the mode the layer's context (if any) sets.
inline void check_layer_gradients(Layer<double>& layer, Bound<double>& b, std::vector<double>& x, int64_t B,
                                  uint64_t seed) {
  const auto R = random_doubles(static_cast<size_t>(B * numel(layer.out_shape())), seed);
  ASSERT_EQ(x.size(), static_cast<size_t>(B * numel(layer.in_shape())));
  std::vector<double> y(R.size()), dx(x.size(), std::nan(""));
  std::fill(b.grads.begin(), b.grads.end(), 0.0);
  layer.forward(x.data(), y.data(), B);
  layer.backward(x.data(), y.data(), R.data(), dx.data(), B);
  const auto loss = [&] { return weighted_output_sum(layer, x, R, B); };
  expect_gradient_matches("dx", dx, x, loss);
  if (!b.params.empty()) expect_gradient_matches("dparams", b.grads, b.params, loss);
}

// Inputs without ties: a random permutation of the grid (k - n/2) / 64, so finite differences of
// 1e-6 never change which element of a max-pooling window wins.
// The backward contract on x and dy (layer bound by bind_random): a second backward adds the same
// parameter gradients again; dx is overwritten (its buffer's old contents do not matter); dx may be
// null (a first layer) and the parameter gradients still accumulate.
inline void expect_backward_accumulates(Layer<double>& layer, Bound<double>& bound, const std::vector<double>& x,
                                        const std::vector<double>& dy, int64_t B) {
  std::vector<double> y(dy.size()), dx1(x.size(), 1e30), dx2(x.size(), -1e30);
  layer.forward(x.data(), y.data(), B);
  layer.backward(x.data(), y.data(), dy.data(), dx1.data(), B);
  const auto once = bound.grads;
  layer.backward(x.data(), y.data(), dy.data(), dx2.data(), B);
  for (size_t i = 0; i < once.size(); ++i) {
    ASSERT_NE(once[i], 0.0) << i;
    EXPECT_NEAR(bound.grads[i], 2 * once[i], 1e-14 * std::abs(once[i])) << i;
  }
  EXPECT_EQ(dx1, dx2);
  layer.backward(x.data(), y.data(), dy.data(), nullptr, B);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(bound.grads[i], 3 * once[i], 1e-14 * std::abs(once[i])) << i;
}

inline std::vector<double> distinct_doubles(size_t n, uint64_t seed) {
  Rng rng(seed);
  const auto perm = random_permutation(static_cast<int64_t>(n), rng);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (static_cast<double>(perm[i]) - static_cast<double>(n) / 2) / 64;
  return v;
}

// One forward and backward of a freshly made layer (make(): parameters initialized with Rng(13))
// on `threads` threads with one BLAS thread, as train.deterministic runs: y, then dx, then the
// parameter gradients, in one vector (for bitwise comparisons across thread counts).
template <class T, class Make>
std::vector<T> pass_bits(Make make, const std::vector<T>& x, const std::vector<T>& dy, int64_t B, int threads) {
  kern::configure_threads(threads, /*single_threaded_blas=*/true);
  auto layer = make();
  int64_t n = 0;
  for (const auto& p : layer->params()) n += numel(p.shape);
  std::vector<T> params(static_cast<size_t>(n)), grads(params.size(), T(0));
  layer->bind(params.data(), grads.data());
  Rng rng(13);
  layer->init(rng);
  std::vector<T> y(dy.size()), dx(x.size());
  layer->forward(x.data(), y.data(), B);
  layer->backward(x.data(), y.data(), dy.data(), dx.data(), B);
  kern::configure_threads(1);
  y.insert(y.end(), dx.begin(), dx.end());
  y.insert(y.end(), grads.begin(), grads.end());
  return y;
}

}  // namespace dpt::test
