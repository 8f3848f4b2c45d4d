// Sync batchnorm at 1-4 ranks: with sync: true and ctx.allreduce summing across ranks, P ranks
// that each hold a contiguous slice of one global batch (and the same slice of one global dy)
// compute (a) the output rows, (b) the input-gradient rows and (c) after summing the parameter
// gradients across ranks, the parameter gradients that 1 rank computes on the whole batch; the
// running statistics agree too. Without sync, each rank normalizes its own slice only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "comm/comm.hpp"
#include "core/rng.hpp"
#include "layers/batchnorm.hpp"

namespace dpt {
namespace {

template <class T>
std::vector<T> random_values(size_t n, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

// One BatchNorm<T> with its own parameters (gamma, beta), gradients and running statistics,
// identical on every rank.
template <class T>
struct Bn {
  Bn(const Shape& in, bool sync, const Comm* comm) : layer(in, 0.1, 1e-5, sync) {
    const size_t C = static_cast<size_t>(in[0]);
    params = random_values<T>(2 * C, 1, 0.5, 1.5);
    buffers = random_values<T>(2 * C, 2, 0.5, 1.5);
    grads.assign(2 * C, T(0));
    layer.bind(params.data(), grads.data());
    layer.bind_buffers(buffers.data(), nullptr);
    ctx.training = true;
    if (comm) ctx.allreduce = [comm](double* p, int64_t n) { comm->allreduce_sum(p, n, "batchnorm"); };
    layer.set_context(&ctx);
  }
  BatchNorm<T> layer;
  std::vector<T> params, grads, buffers;
  PassContext ctx;
};

struct Result {
  std::vector<double> y, dx, grads, buffers;
};

// Forward + backward of rows [b0, b1) of the global x and dy (per-sample size n).
template <class T>
Result run(Bn<T>& bn, const std::vector<T>& x, const std::vector<T>& dy, int64_t n, int64_t b0, int64_t b1) {
  const int64_t B = b1 - b0;
  // Never a null dx on an empty slice: the rank must still join the collectives.
  std::vector<T> y(static_cast<size_t>(std::max<int64_t>(B * n, 1))), dx(y.size(), T(NAN));
  bn.layer.forward(x.data() + b0 * n, y.data(), B);
  bn.layer.backward(x.data() + b0 * n, y.data(), dy.data() + b0 * n, dx.data(), B);
  Result r;
  r.y.assign(y.begin(), y.begin() + B * n);
  r.dx.assign(dx.begin(), dx.begin() + B * n);
  r.grads.assign(bn.grads.begin(), bn.grads.end());
  r.buffers.assign(bn.buffers.begin(), bn.buffers.end());
  return r;
}

void expect_near_all(const char* what, const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(got[i] - want[i]) <= tol * std::max(1.0, std::abs(want[i]))) && ++bad <= 5)
      ADD_FAILURE() << what << "[" << i << "]: " << got[i] << " vs " << want[i];
  EXPECT_EQ(bad, 0) << what;
}

template <class T>
void check_sync(const Shape& in, int64_t global_batch, double tol) {
  const Comm comm;
  const int P = comm.size(), r = comm.rank();
  const int64_t n = numel(in);
  // The same global batch and upstream gradient on every rank; rank r takes rows [b0, b1).
  const auto x = random_values<T>(static_cast<size_t>(global_batch * n), 3, -2, 3);
  const auto dy = random_values<T>(x.size(), 4, -1, 1);
  const int64_t b0 = global_batch * r / P, b1 = global_batch * (r + 1) / P;

  Bn<T> whole(in, false, nullptr);  // 1 rank, the whole batch
  Bn<T> mine(in, true, &comm);
  for (int step = 0; step < 2; ++step) {  // twice: the second pass starts from updated statistics
    SCOPED_TRACE(step);
    std::fill(whole.grads.begin(), whole.grads.end(), T(0));
    std::fill(mine.grads.begin(), mine.grads.end(), T(0));
    const Result ref = run(whole, x, dy, n, 0, global_batch);
    const Result got = run(mine, x, dy, n, b0, b1);
    // (a), (b): this rank's rows of the whole-batch output and input gradient.
    expect_near_all("y", got.y, std::vector<double>(ref.y.begin() + b0 * n, ref.y.begin() + b1 * n), tol);
    expect_near_all("dx", got.dx, std::vector<double>(ref.dx.begin() + b0 * n, ref.dx.begin() + b1 * n), tol);
    // (c): the rank-local parameter gradients add up to the whole batch's.
    std::vector<double> summed = got.grads;
    comm.allreduce_sum(summed.data(), static_cast<int64_t>(summed.size()));
    expect_near_all("parameter gradients", summed, ref.grads, tol);
    expect_near_all("running statistics", got.buffers, ref.buffers, tol);
  }
}

TEST(BatchNormSync, ImagesMatchOneRankOnTheWholeBatchDouble) { check_sync<double>({3, 5, 7}, 7, 1e-12); }
TEST(BatchNormSync, FeaturesMatchOneRankOnTheWholeBatchDouble) { check_sync<double>({6}, 9, 1e-12); }
TEST(BatchNormSync, ImagesMatchOneRankOnTheWholeBatchFloat) { check_sync<float>({4, 7, 5}, 6, 1e-5); }
// 3 samples on up to 4 ranks: some ranks hold an empty slice and still take part.
TEST(BatchNormSync, SignalsMatchOneRankOnTheWholeBatchDouble) { check_sync<double>({3, 11}, 7, 1e-12); }
TEST(BatchNormSync, VolumesMatchOneRankOnTheWholeBatchDouble) { check_sync<double>({2, 3, 4, 5}, 5, 1e-12); }
TEST(BatchNormSync, EmptySlicesStillJoinTheSums) { check_sync<double>({4}, 3, 1e-12); }

TEST(BatchNormSync, WithoutSyncEachRankNormalizesItsOwnSlice) {
  const Comm comm;
  const int P = comm.size(), r = comm.rank();
  const Shape in{3, 4, 5};
  const int64_t n = numel(in), global_batch = 2 * P;
  const auto x = random_values<double>(static_cast<size_t>(global_batch * n), 5, -2, 3);
  const auto dy = random_values<double>(x.size(), 6, -1, 1);
  const int64_t b0 = 2 * r, b1 = 2 * r + 2;
  Bn<double> local(in, false, &comm), slice_alone(in, false, nullptr);
  const Result got = run(local, x, dy, n, b0, b1);
  // The same as one process that only ever saw this slice.
  std::vector<double> xs(x.begin() + b0 * n, x.begin() + b1 * n), dys(dy.begin() + b0 * n, dy.begin() + b1 * n);
  const Result want = run(slice_alone, xs, dys, n, 0, 2);
  EXPECT_EQ(got.y, want.y);
  EXPECT_EQ(got.dx, want.dx);
  EXPECT_EQ(got.grads, want.grads);
}

}  // namespace
}  // namespace dpt
