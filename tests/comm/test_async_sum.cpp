// AsyncSum at 1-4 ranks, both progress modes: bucketed sums equal blocking allreduces of the same
// buckets, the caller's own collectives may run while the sums do, and wait_all is one collective
// call. The thread mode runs the very same MPI_Allreduce: bit for bit at every rank count. The poll
// mode's MPI_Iallreduce (libnbc) adds in another order than the blocking one at 3 ranks (measured:
// Open MPI 4.1), so there it is only checked to float rounding; at 1, 2 and 4 ranks bitwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "comm/async_sum.hpp"
#include "comm/comm.hpp"
#include "core/bf16.hpp"
#include "core/error.hpp"

using dpt::AsyncSum;
using dpt::Comm;

namespace {
std::vector<float> rank_data(const Comm& c, size_t n) {
  std::vector<float> v(n);
  for (size_t k = 0; k < n; ++k)
    v[k] = 1.0f / static_cast<float>(k + 1 + 7 * c.rank()) - 0.01f * static_cast<float>(k % 5);
  return v;
}
const std::vector<int64_t> kBuckets = {3000, 1, 70000, 513, 20000};  // uneven, one tiny, in start order

class AsyncSumModes : public ::testing::TestWithParam<AsyncSum::Progress> {};

// Bitwise where the mode guarantees it, else within float rounding of a 3-term sum.
void expect_same_sums(const std::vector<float>& got, const std::vector<float>& want, const Comm& c,
                      AsyncSum::Progress mode) {
  ASSERT_EQ(got.size(), want.size());
  if (mode == AsyncSum::Progress::thread || c.size() != 3) {
    EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)));
    return;
  }
  for (size_t k = 0; k < got.size(); ++k) ASSERT_NEAR(got[k], want[k], 1e-6f * (1 + std::abs(want[k]))) << k;
}
}  // namespace

TEST_P(AsyncSumModes, BucketSumsEqualBlockingAllreducesBitForBit) {
  const Comm c;
  size_t n = 0;
  for (int64_t b : kBuckets) n += static_cast<size_t>(b);
  std::vector<float> want = rank_data(c, n), got = want;
  for (size_t off = 0, i = 0; i < kBuckets.size(); off += static_cast<size_t>(kBuckets[i++]))
    c.allreduce_sum(want.data() + off, kBuckets[i]);
  AsyncSum sum(c, GetParam());
  if (GetParam() == AsyncSum::Progress::thread && c.size() > 1) {
    EXPECT_EQ(sum.progress(), AsyncSum::Progress::thread);
  }
  for (int round = 0; round < 3; ++round) {  // the same AsyncSum serves every step
    std::vector<float> buf = got;
    const uint64_t calls = Comm::collective_calls();
    for (size_t off = 0, i = 0; i < kBuckets.size(); off += static_cast<size_t>(kBuckets[i++])) {
      sum.start(buf.data() + off, kBuckets[i]);
      sum.poll();
    }
    sum.wait_all("gradients");
    EXPECT_EQ(Comm::collective_calls(), calls + 1);  // wait_all: one watched call, start/poll none
    SCOPED_TRACE(round);
    expect_same_sums(buf, want, c, GetParam());
  }
}

TEST_P(AsyncSumModes, CallerCollectivesMayRunWhileSumsRun) {
  const Comm c;
  std::vector<float> a = rank_data(c, 50000), want = a;
  c.allreduce_sum(want.data(), 25000);
  c.allreduce_sum(want.data() + 25000, 25000);
  AsyncSum sum(c, GetParam());
  sum.start(a.data(), 25000);
  double other[2] = {1.0, static_cast<double>(c.rank())};  // like a sync-batchnorm sum during backward
  c.allreduce_sum(other, 2);
  sum.start(a.data() + 25000, 25000);
  c.barrier();
  sum.wait_all("gradients");
  EXPECT_EQ(other[0], c.size());
  EXPECT_EQ(other[1], c.size() * (c.size() - 1) / 2.0);
  expect_same_sums(a, want, c, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Progress, AsyncSumModes,
                         ::testing::Values(AsyncSum::Progress::poll, AsyncSum::Progress::thread),
                         [](const auto& info) { return info.param == AsyncSum::Progress::poll ? "poll" : "thread"; });

// comm.compress: bf16: the sum of bfloat16 words. Every rank gets the same words; each is the
// rank values' sum to within the rounding of a sum of P terms (one bf16 rounding per addition);
// one rank gets its own words back.
TEST_P(AsyncSumModes, Bf16SumsAreTheSameOnEveryRankAndCloseToTheFloatSum) {
  const Comm c;
  const size_t n = 70000;
  std::vector<float> x = rank_data(c, n), exact = x;
  c.allreduce_sum(exact.data(), static_cast<int64_t>(n));
  std::vector<uint16_t> w(n);
  for (size_t k = 0; k < n; ++k) w[k] = dpt::float_to_bf16(x[k]);
  const std::vector<uint16_t> mine = w;
  AsyncSum sum(c, GetParam());
  sum.start_bf16(w.data(), 30000);
  sum.start_bf16(w.data() + 30000, 40000);
  sum.wait_all("gradients");
  if (c.size() == 1) {
    EXPECT_EQ(w, mine);
  }
  std::vector<float> as_float(w.begin(), w.end());  // rank 0's words, everywhere
  c.bcast(as_float.data(), static_cast<int64_t>(n), 0);
  for (size_t k = 0; k < n; ++k) ASSERT_EQ(static_cast<uint16_t>(as_float[k]), w[k]) << k;
  std::vector<float> abs_sum(n);  // sum over the ranks of |x|: bounds every partial sum
  for (size_t k = 0; k < n; ++k) abs_sum[k] = std::abs(x[k]);
  c.allreduce_sum(abs_sum.data(), static_cast<int64_t>(n));
  for (size_t k = 0; k < n; ++k) {  // P roundings of the terms, P - 1 of the partial sums: half an ulp each
    const float bound = static_cast<float>(c.size()) * 0x1p-8f * abs_sum[k];
    ASSERT_LE(std::abs(dpt::bf16_to_float(w[k]) - exact[k]), bound) << k;
  }
}

// train.deterministic's chains (train/exact_sum.hpp): maxima of floats, a step that reads them and
// fills int32s, a sum of the int32s, a step that reads the sums. Steps run in start order, each
// after the collectives before it, whatever the mode; wait_all is one collective call.
TEST_P(AsyncSumModes, MaximaStepsAndInt32SumsRunInStartOrder) {
  const Comm c;
  const int P = c.size(), R = c.rank();
  AsyncSum sum(c, GetParam());
  for (int round = 0; round < 3; ++round) {  // the same AsyncSum serves every step
    std::vector<float> maxima(2 * 3000);
    for (size_t k = 0; k < maxima.size(); ++k) maxima[k] = static_cast<float>((k * 7 + static_cast<size_t>(R)) % 11);
    std::vector<int32_t> ints(2 * 5000, 0);
    std::vector<int> order;
    const uint64_t calls = Comm::collective_calls();
    for (int u = 0; u < 2; ++u) {
      float* m = maxima.data() + u * 3000;
      int32_t* q = ints.data() + u * 5000;
      sum.start_max(m, 3000);
      sum.then([&order, m, q, u] {  // sees the maxima of every rank
        order.push_back(2 * u);
        for (int k = 0; k < 5000; ++k) q[k] = static_cast<int32_t>(m[k % 3000]) + k;
      });
      sum.start_sum(q, 5000);
      sum.then([&order, u] { order.push_back(2 * u + 1); });
      sum.poll();
    }
    sum.wait_all("chains");
    EXPECT_EQ(Comm::collective_calls(), calls + 1);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
    for (size_t k = 0; k < maxima.size(); ++k) {
      int most = 0;  // max over the ranks of (k * 7 + r) % 11
      for (int r = 0; r < P; ++r) most = std::max(most, static_cast<int>((k * 7 + static_cast<size_t>(r)) % 11));
      ASSERT_EQ(maxima[k], static_cast<float>(most)) << k;
    }
    for (int u = 0; u < 2; ++u)
      for (int k = 0; k < 5000; ++k)
        ASSERT_EQ(ints[static_cast<size_t>(u * 5000 + k)], P * (static_cast<int32_t>(maxima[u * 3000 + k % 3000]) + k));
  }
}

TEST_P(AsyncSumModes, AStepThatThrowsMakesWaitAllThrowItsMessage) {
  const Comm c;
  AsyncSum sum(c, GetParam());
  std::vector<int32_t> q(100, 1);
  sum.start_sum(q.data(), 100);
  bool after = false;
  // poll mode runs the step inside poll() or wait_all() on the calling thread: the throw reaches wait_all either way
  try {
    sum.then([] { throw dpt::Error("step failed here"); });
    sum.start_sum(q.data(), 100);
    sum.then([&after] { after = true; });
    sum.wait_all("chains");
    ADD_FAILURE() << "wait_all did not throw";
  } catch (const dpt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("step failed here"), std::string::npos) << e.what();
  }
  if (GetParam() == AsyncSum::Progress::thread && sum.progress() == AsyncSum::Progress::thread) {
    EXPECT_TRUE(after);  // the thread runs what follows (the peers do too) and reports the error
    EXPECT_EQ(q[0], c.size() * c.size());
  }
}
