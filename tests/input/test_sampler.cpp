// The sampler and the block-exchange plan are pure functions of (n, batch, seed, epoch, P): test
// every rank of a P-rank job in one process.
#include <gtest/gtest.h>

#include <algorithm>

#include "input/exchange_plan.hpp"
#include "input/sampler.hpp"

using namespace dpt;

struct Case {
  int64_t n, batch;
};

class SamplerRanks : public ::testing::TestWithParam<int> {};

TEST_P(SamplerRanks, EverySampleExactlyOncePerEpochAndSameStepCount) {
  const int P = GetParam();
  for (const Case c : {Case{100, 8}, Case{97, 10}, Case{1000, 128}, Case{13, 13}, Case{7, 4}}) {
    if (c.batch < P) continue;
    const Sampler s(c.n, c.batch, 42, true);
    for (int64_t epoch = 0; epoch < 3; ++epoch) {
      std::vector<int> seen(static_cast<size_t>(c.n), 0);
      for (int r = 0; r < P; ++r) {
        const EpochPlan p = s.plan(epoch, r, P);
        ASSERT_EQ(p.steps(), (c.n + c.batch - 1) / c.batch) << "every rank runs the same number of steps";
        for (int64_t st = 0; st < p.steps(); ++st) {
          EXPECT_GE(p.local_size(st), p.global_size[st] / P);
          EXPECT_LE(p.local_size(st), (p.global_size[st] + P - 1) / P);
        }
        for (int64_t i : p.indices) ++seen[static_cast<size_t>(i)];
      }
      for (int64_t i = 0; i < c.n; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)], 1) << "n=" << c.n << " sample " << i;
    }
  }
}

TEST_P(SamplerRanks, GlobalBatchIsTheSameSetForAnyRankCount) {
  // The union of the ranks' slices at step s is the same global batch whatever P is: this is
  // what makes 1 rank and P ranks train on the same data.
  const int P = GetParam();
  const Sampler s(200, 16, 9, true);
  const EpochPlan one = s.plan(1, 0, 1);
  std::vector<EpochPlan> plans;
  for (int r = 0; r < P; ++r) plans.push_back(s.plan(1, r, P));
  for (int64_t st = 0; st < one.steps(); ++st) {
    std::vector<int64_t> a(one.indices.begin() + one.step_begin[st], one.indices.begin() + one.step_begin[st + 1]);
    std::vector<int64_t> b;
    for (const auto& p : plans)
      b.insert(b.end(), p.indices.begin() + p.step_begin[st], p.indices.begin() + p.step_begin[st + 1]);
    EXPECT_EQ(a, b) << "step " << st;  // same order too: rank slices are contiguous and in rank order
  }
}

TEST_P(SamplerRanks, ExchangeDeliversExactlyEachRanksSamples) {
  const int P = GetParam();
  for (const Case c : {Case{100, 8}, Case{97, 10}, Case{31, 31}}) {
    const Sampler s(c.n, c.batch, 5, true);
    std::vector<ExchangePlan> x;
    for (int r = 0; r < P; ++r) x.push_back(make_exchange_plan(s, c.n, 2, r, P));
    for (int q = 0; q < P; ++q) {
      const EpochPlan plan = s.plan(2, q, P);
      std::vector<int64_t> got(plan.indices.size(), -1);
      for (int r = 0; r < P; ++r) {
        const int64_t block_begin = block_range(c.n, r, P).first;
        const auto& rows = x[r].send_rows[q];
        const auto& pos = x[q].recv_pos[r];
        ASSERT_EQ(rows.size(), pos.size()) << "rank " << r << " -> " << q;
        for (size_t k = 0; k < rows.size(); ++k) got[static_cast<size_t>(pos[k])] = block_begin + rows[k];
      }
      EXPECT_EQ(got, plan.indices) << "rank " << q << " of " << P;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(P, SamplerRanks, ::testing::Values(1, 2, 3, 4));

TEST(Sampler, NewOrderEveryEpochSameOrderForSameSeed) {
  const Sampler a(500, 50, 1234, true), b(500, 50, 1234, true), c(500, 50, 1235, true);
  EXPECT_EQ(a.permutation(0), b.permutation(0));
  EXPECT_NE(a.permutation(0), a.permutation(1));
  EXPECT_NE(a.permutation(0), c.permutation(0));
  auto p = a.permutation(3);
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 500; ++i) EXPECT_EQ(p[static_cast<size_t>(i)], i);
}

TEST(Sampler, NoShuffleKeepsFileOrder) {
  const Sampler s(10, 4, 1, false);
  const EpochPlan p = s.plan(5, 0, 1);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(p.indices[static_cast<size_t>(i)], i);
  EXPECT_EQ(p.global_size, (std::vector<int64_t>{4, 4, 2}));
}

TEST(Sampler, BlockRangeCoversAllItems) {
  for (int P = 1; P <= 5; ++P) {
    int64_t expect = 0;
    for (int r = 0; r < P; ++r) {
      const auto [a, b] = block_range(23, r, P);
      EXPECT_EQ(a, expect);
      expect = b;
    }
    EXPECT_EQ(expect, 23);
  }
}
