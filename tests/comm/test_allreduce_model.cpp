// The alpha-beta model of bench --predict-nodes on synthetic cases with known answers, worked by
// hand in the comments.
#include <gtest/gtest.h>

#include "comm/allreduce_model.hpp"
#include "core/error.hpp"

using namespace dpt;
using namespace dpt::perf;

namespace {
const Link kLink{10e-6, 1e-9};  // 10 us per message, 1 GB/s
constexpr double kTol = 1e-12;
}  // namespace

// One bucket of 1 MB on 8 ranks: log2 8 = 3 rounds.
//   recursive doubling  3 (10 us + 1 ms)                 = 3.03 ms
//   ring                14 x 10 us + 2 x 7/8 x 1 ms      = 0.14 + 1.75 = 1.89 ms
//   rabenseifner        6 x 10 us + 1.75 ms              = 1.81 ms   <- the cheapest
TEST(AllreduceModel, OneLargeBucketKnownCosts) {
  EXPECT_NEAR(allreduce_seconds(Algo::recursive_doubling, 1e6, 8, kLink), 3.03e-3, kTol);
  EXPECT_NEAR(allreduce_seconds(Algo::ring, 1e6, 8, kLink), 1.89e-3, kTol);
  EXPECT_NEAR(allreduce_seconds(Algo::rabenseifner, 1e6, 8, kLink), 1.81e-3, kTol);
  const Cost c = best_allreduce(1e6, 8, kLink);
  EXPECT_EQ(c.algo, Algo::rabenseifner);
  EXPECT_NEAR(c.seconds, 1.81e-3, kTol);
}

// 1 kB on 8 ranks: recursive doubling 3 (10 + 1) us = 33 us; ring 140 + 1.75 us; rabenseifner
// 60 + 1.75 us. On 6 ranks (no power of two: ceil(log2 6) = 3 rounds) ring has 10 messages.
TEST(AllreduceModel, SmallBucketTakesRecursiveDoubling) {
  const Cost c = best_allreduce(1e3, 8, kLink);
  EXPECT_EQ(c.algo, Algo::recursive_doubling);
  EXPECT_NEAR(c.seconds, 33e-6, kTol);
  EXPECT_NEAR(allreduce_seconds(Algo::ring, 1e3, 6, kLink), 100e-6 + 2 * 5.0 / 6 * 1e-6, kTol);
  EXPECT_NEAR(allreduce_seconds(Algo::recursive_doubling, 1e3, 6, kLink), 33e-6, kTol);
}

// No sum on one rank. On 2 ranks with no latency all three cost n beta: the tie keeps the first
// (recursive doubling).
TEST(AllreduceModel, OneRankCostsNothing) {
  for (Algo a : {Algo::recursive_doubling, Algo::ring, Algo::rabenseifner})
    EXPECT_EQ(allreduce_seconds(a, 1e6, 1, kLink), 0.0);
  EXPECT_EQ(best_allreduce(1e6, 2, Link{0, 1e-9}).algo, Algo::recursive_doubling);  // 2 ranks: all n beta
}

// Overlap. Forward 2 ms, backward 4 ms, update 1 ms; two buckets, ready 1 ms and 4 ms into backward
// (3 and 6 ms into the step). On 2 ranks with alpha 0, each bucket's sum is n beta.
//   3 ms each:  [3, 6], [6, 9]   -> step max(6, 9) + 1 = 10 ms; exposed 3 ms; efficiency 7/10
//   1 ms each:  [3, 4], [6, 7]   -> step 8 ms (the last bucket is always exposed)
//   4 ms each:  [3, 7], [7, 11]  -> the second waits for the first: step 12 ms
TEST(AllreduceModel, OverlapTimelineKnownAnswer) {
  const Link link{0, 1e-9};
  StepProfile p;
  p.before_backward = 2e-3, p.backward = 4e-3, p.after = 1e-3;
  for (double ms : {3.0, 1.0, 4.0}) {
    p.buckets = {{1e-3, ms * 1e6}, {4e-3, ms * 1e6}};
    const Prediction r = predict_step(p, 2, link);
    const double want = ms == 3.0 ? 10e-3 : ms == 1.0 ? 8e-3 : 12e-3;
    EXPECT_NEAR(r.step_s, want, kTol) << ms;
    EXPECT_NEAR(r.comm_s, 2 * ms * 1e-3, kTol);
    EXPECT_NEAR(r.exposed_s, want - 7e-3, kTol);
    EXPECT_NEAR(r.efficiency, 7e-3 / want, kTol);
  }
  // Without overlap one sum of 6 MB starts when backward ends: 6 + 6 + 1 = 13 ms.
  p.buckets = {{1e-3, 3e6}, {4e-3, 3e6}};
  p.overlap = false;
  EXPECT_NEAR(predict_step(p, 2, link).step_s, 13e-3, kTol);
  // One rank: the compute alone.
  EXPECT_NEAR(predict_step(p, 1, link).step_s, 7e-3, kTol);
  EXPECT_EQ(predict_step(p, 1, link).efficiency, 1.0);
}

// comm.hierarchical, 8 nodes x 4 ranks, 1 MB, node link 1 us and 10 GB/s (0.1 ns per byte):
//   node reduce + broadcast  2 x ceil(log2 4) x (1 us + 100 us)  = 404 us
//   leaders' all-reduce      8 ranks: rabenseifner (above)        = 1.81 ms   -> 2.214 ms
// against the flat 32 ranks: rabenseifner 10 x 10 us + 2 x 31/32 x 1 ms = 2.0375 ms (the model gives
// every rank its own link: no sharing of the node's link). One rank per node: the leaders' alone.
TEST(AllreduceModel, HierarchicalKnownCosts) {
  const Link node{1e-6, 0.1e-9};
  const Cost h = hierarchical_allreduce(1e6, 8, 4, kLink, node);
  EXPECT_EQ(h.algo, Algo::rabenseifner);
  EXPECT_NEAR(h.seconds, 2.214e-3, kTol);
  EXPECT_NEAR(best_allreduce(1e6, 32, kLink).seconds, 2.0375e-3, kTol);
  EXPECT_NEAR(hierarchical_allreduce(1e6, 8, 1, kLink, node).seconds, 1.81e-3, kTol);
  EXPECT_NEAR(hierarchical_allreduce(1e6, 1, 4, kLink, node).seconds, 404e-6, kTol);  // one node: no network
  // The step of the timeline test with 2 nodes x 4 ranks, link 1 ns/B, node link 0.25 ns/B, no
  // latency: each 1 MB bucket costs 2 x 2 x 0.25 ms + 1 ms (2 leaders) = 2 ms; ready at 3 and 6 ms:
  // [3, 5], [6, 8], then the update: 9 ms.
  StepProfile p;
  p.before_backward = 2e-3, p.backward = 4e-3, p.after = 1e-3;
  p.buckets = {{1e-3, 1e6}, {4e-3, 1e6}};
  const NodeLevel level{4, {0, 0.25e-9}};
  const Prediction r = predict_step(p, 8, {0, 1e-9}, &level);
  EXPECT_NEAR(r.step_s, 9e-3, kTol);
  EXPECT_NEAR(r.comm_s, 4e-3, kTol);
}

// Calibration inverts the model: times made from a known link on P ranks give it back.
TEST(AllreduceModel, CalibrationRecoversTheLink) {
  for (int64_t P : {2, 4, 16}) {
    const double A = allreduce_seconds(Algo::recursive_doubling, 0, P, kLink);
    const double B =
        (allreduce_seconds(Algo::ring, 2e6, P, kLink) - allreduce_seconds(Algo::ring, 1e6, P, kLink)) / 1e6;
    const Link got = link_from_fit(A, B, P);
    EXPECT_NEAR(got.alpha, kLink.alpha, 1e-15) << P;
    EXPECT_NEAR(got.beta, kLink.beta, 1e-18) << P;
  }
  EXPECT_THROW(link_from_fit(1e-5, 1e-9, 1), Error);
}

TEST(AllreduceModel, PresetsAndTheirErrors) {
  const Link l = preset_link("10gbit");
  EXPECT_NEAR(l.beta, 0.8e-9, 1e-18);  // 1.25 GB/s
  EXPECT_NEAR(l.alpha, 10e-6, 1e-15);
  EXPECT_NEAR(preset_link("200gbit").beta, 0.04e-9, 1e-18);
  try {
    preset_link("5gbit");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--link '5gbit': unknown link (known: 1gbit, 10gbit, 100gbit, 200gbit)");
  }
}

TEST(AllreduceModel, NodeListParsing) {
  EXPECT_EQ(parse_counts("2,8,64,256", "--predict-nodes"), (std::vector<int64_t>{2, 8, 64, 256}));
  EXPECT_EQ(parse_counts("1", "--predict-nodes"), (std::vector<int64_t>{1}));
  for (const char* bad : {"", "2,", "two", "2,x", "-4", "+4", "2.5", "4 ", "99999999999999999999"}) {
    try {
      parse_counts(bad, "--predict-nodes");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--predict-nodes '" + std::string(bad) + "': "), std::string::npos)
          << e.what();
    }
  }
  try {
    parse_counts("2,0", "--predict-nodes");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--predict-nodes '2,0': node count 0 is out of range: must be >= 1");
  }
}
