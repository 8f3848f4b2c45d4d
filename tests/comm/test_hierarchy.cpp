// comm.hierarchical at 1-4 ranks (comm/hierarchy.hpp): the choice from the topology, the topology
// itself, DPTRAIN_FAKE_NODES (one machine is one node: the tests make the nodes from groups of
// ranks) and its errors, and AsyncSum's hierarchical sums in both progress modes on every layout
// of the rank count (2 x 2, 1 + 3, 3 + 1, ...): int32 sums and maxima equal the flat ones bit for
// bit, float and bfloat16 sums the flat float sum to within rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "comm/async_sum.hpp"
#include "comm/comm.hpp"
#include "comm/hierarchy.hpp"
#include "core/bf16.hpp"
#include "core/error.hpp"

using dpt::AsyncSum;
using dpt::Comm;
using dpt::Hierarchy;
using dpt::Topology;

namespace {

// Sets DPTRAIN_FAKE_NODES for one scope (the same on every rank).
struct FakeNodes {
  explicit FakeNodes(const std::string& spec) { setenv("DPTRAIN_FAKE_NODES", spec.c_str(), 1); }
  ~FakeNodes() { unsetenv("DPTRAIN_FAKE_NODES"); }
};

// Every way to cut P ranks into nodes that the tests run ("" : the machine's own single node).
std::vector<std::string> layouts(int P) {
  if (P == 2) return {"", "1,1"};
  if (P == 3) return {"", "1,2", "2,1", "1,1,1"};
  if (P == 4) return {"", "2,2", "1,3", "3,1", "1,2,1"};
  return {""};
}

std::vector<float> rank_data(const Comm& c, size_t n) {
  std::vector<float> v(n);
  for (size_t k = 0; k < n; ++k)
    v[k] = 1.0f / static_cast<float>(k + 1 + 7 * c.rank()) - 0.01f * static_cast<float>(k % 5);
  return v;
}

class HierarchyModes : public ::testing::TestWithParam<AsyncSum::Progress> {};

}  // namespace

TEST(Hierarchy, AutoNeedsSeveralNodesAndSomeNodeWithSeveralRanks) {
  EXPECT_FALSE(hierarchy_used(Hierarchy::automatic, Topology{1, 4, 4}));  // one node
  EXPECT_FALSE(hierarchy_used(Hierarchy::automatic, Topology{4, 1, 1}));  // one rank per node
  EXPECT_TRUE(hierarchy_used(Hierarchy::automatic, Topology{2, 2, 2}));
  EXPECT_TRUE(hierarchy_used(Hierarchy::automatic, Topology{2, 1, 3}));  // uneven
  EXPECT_TRUE(hierarchy_used(Hierarchy::on, Topology{1, 2, 2}));
  EXPECT_TRUE(hierarchy_used(Hierarchy::on, Topology{2, 1, 1}));
  EXPECT_FALSE(hierarchy_used(Hierarchy::on, Topology{1, 1, 1}));  // one rank
  EXPECT_FALSE(hierarchy_used(Hierarchy::off, Topology{2, 2, 2}));
  EXPECT_EQ(Topology({2, 1, 3}).describe(), "2 nodes, 1-3 ranks per node");
  EXPECT_EQ(Topology({1, 2, 2}).describe(), "1 node, 2 ranks per node");
}

TEST(Hierarchy, TopologyFromSharedMemoryAndFromFakeNodes) {
  const Comm c;
  const dpt::NodeGroups one = dpt::node_groups(c, Hierarchy::automatic);  // one machine: one node
  EXPECT_EQ(one.topo.nodes, 1);
  EXPECT_EQ(one.topo.max_per_node, c.size());
  EXPECT_EQ(one.node.size(), c.size());
  if (c.size() != 4) return;
  {
    FakeNodes f("1,3");
    const dpt::NodeGroups g = dpt::node_groups(c, Hierarchy::automatic);
    EXPECT_EQ(g.topo.nodes, 2);
    EXPECT_EQ(g.topo.min_per_node, 1);
    EXPECT_EQ(g.topo.max_per_node, 3);
    EXPECT_EQ(g.node.size(), c.rank() == 0 ? 1 : 3);
    EXPECT_EQ(g.node.rank(), c.rank() == 0 ? 0 : c.rank() - 1);
    if (g.node.rank() == 0) {
      EXPECT_EQ(g.cross.size(), 2);  // the leaders: ranks 0 and 1
    }
  }
  FakeNodes f("2,2");
  const dpt::NodeGroups g = dpt::node_groups(c, Hierarchy::automatic);
  EXPECT_EQ(g.topo.describe(), "2 nodes, 2 ranks per node");
  EXPECT_EQ(g.cross.size(), 2);
}

TEST(Hierarchy, MalformedFakeNodesIsOneErrorLine) {
  const Comm c;
  const std::string P = std::to_string(c.size());
  for (const std::string& spec : {std::string("2,x"), std::string("0,") + P, P + ",1", std::string("1,,1")}) {
    FakeNodes f(spec);
    try {
      (void)dpt::node_groups(c, Hierarchy::automatic);
      ADD_FAILURE() << spec << " was accepted";
    } catch (const dpt::Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("DPTRAIN_FAKE_NODES = '" + spec + "'"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

// int32 sums and float maxima (train.deterministic's collectives) through the three stages: the
// flat results bit for bit, on every layout; float sums within rounding of the flat float sum.
TEST_P(HierarchyModes, ExactSumsAreTheFlatBitsOnEveryLayout) {
  const Comm c;
  const int64_t n = 70000, m = 3000;
  std::vector<int32_t> ints(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k)
    ints[static_cast<size_t>(k)] = static_cast<int32_t>((k * 2654435761LL + c.rank() * 977) % 200001) - 100000;
  std::vector<float> maxima = rank_data(c, static_cast<size_t>(m)), floats = rank_data(c, static_cast<size_t>(n));
  std::vector<int32_t> want_i = ints;
  std::vector<float> want_m = maxima, want_f = floats;
  c.allreduce_sum(want_i.data(), n);
  {
    AsyncSum flat(c, AsyncSum::Progress::poll);
    flat.start_max(want_m.data(), m);
    flat.wait_all("flat maxima");
  }
  c.allreduce_sum(want_f.data(), n);
  for (const std::string& layout : layouts(c.size())) {
    SCOPED_TRACE(layout);
    FakeNodes f(layout);
    if (layout.empty()) unsetenv("DPTRAIN_FAKE_NODES");
    AsyncSum sum(c, GetParam(), Hierarchy::on);
    EXPECT_EQ(sum.hierarchical(), c.size() > 1);
    for (int round = 0; round < 2; ++round) {  // the same AsyncSum serves every step
      std::vector<int32_t> i = ints;
      std::vector<float> mx = maxima, fl = floats;
      sum.start_max(mx.data(), m);
      sum.start_sum(i.data(), 30000);
      sum.poll();
      sum.start_sum(i.data() + 30000, n - 30000);
      sum.start(fl.data(), 1);  // a tiny bucket
      sum.start(fl.data() + 1, n - 1);
      sum.wait_all("gradients");
      EXPECT_EQ(i, want_i);
      EXPECT_EQ(mx, want_m);
      for (size_t k = 0; k < fl.size(); ++k) ASSERT_NEAR(fl[k], want_f[k], 1e-6f * (1 + std::abs(want_f[k]))) << k;
    }
  }
}

// bfloat16 words: every rank gets the same words, within the rounding of a P-term sum.
TEST_P(HierarchyModes, Bf16SumsAreTheSameOnEveryRankAndCloseToTheFloatSum) {
  const Comm c;
  const size_t n = 40000;
  std::vector<float> x = rank_data(c, n), exact = x, abs_sum(n);
  c.allreduce_sum(exact.data(), static_cast<int64_t>(n));
  for (size_t k = 0; k < n; ++k) abs_sum[k] = std::abs(x[k]);
  c.allreduce_sum(abs_sum.data(), static_cast<int64_t>(n));
  for (const std::string& layout : layouts(c.size())) {
    SCOPED_TRACE(layout);
    FakeNodes f(layout);
    if (layout.empty()) unsetenv("DPTRAIN_FAKE_NODES");
    std::vector<uint16_t> w(n);
    for (size_t k = 0; k < n; ++k) w[k] = dpt::float_to_bf16(x[k]);
    AsyncSum sum(c, GetParam(), Hierarchy::on);
    sum.start_bf16(w.data(), 15000);
    sum.start_bf16(w.data() + 15000, static_cast<int64_t>(n) - 15000);
    sum.wait_all("gradients");
    std::vector<float> rank0(w.begin(), w.end());
    c.bcast(rank0.data(), static_cast<int64_t>(n), 0);
    for (size_t k = 0; k < n; ++k) {
      ASSERT_EQ(static_cast<uint16_t>(rank0[k]), w[k]) << k;
      ASSERT_LE(std::abs(dpt::bf16_to_float(w[k]) - exact[k]), static_cast<float>(c.size()) * 0x1p-8f * abs_sum[k])
          << k;
    }
  }
}

// auto on one machine is flat; a reduce-scatter (optimizer.shard) stays flat under a hierarchy.
TEST_P(HierarchyModes, AutoIsFlatOnOneNodeAndScattersStayFlat) {
  const Comm c;
  {
    AsyncSum sum(c, GetParam(), Hierarchy::automatic);
    EXPECT_FALSE(sum.hierarchical());
    EXPECT_EQ(sum.topology().nodes, 1);
  }
  if (c.size() != 4) return;
  FakeNodes f("2,2");
  AsyncSum sum(c, GetParam(), Hierarchy::automatic);
  EXPECT_TRUE(sum.hierarchical());
  std::vector<float> x = rank_data(c, 4000), whole = x, mine(1000);
  c.allreduce_sum(whole.data(), 4000);
  const dpt::BlockSplit split = dpt::BlockSplit::of({{0, 1000}, {1000, 2000}, {2000, 3000}, {3000, 4000}});
  sum.start_scatter(x.data(), mine.data(), split);
  sum.wait_all("gradients");
  for (size_t k = 0; k < 1000; ++k) ASSERT_NEAR(mine[k], whole[1000 * c.rank() + k], 1e-6f * (1 + std::abs(mine[k])));
}

INSTANTIATE_TEST_SUITE_P(Progress, HierarchyModes,
                         ::testing::Values(AsyncSum::Progress::poll, AsyncSum::Progress::thread),
                         [](const auto& info) { return info.param == AsyncSum::Progress::poll ? "poll" : "thread"; });
