// Finite-difference gradient checks in double precision for one layer, with the scalar loss
// L = sum(y * R) for a fixed random R, so dL/dy = R.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "layers/layer.hpp"

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
