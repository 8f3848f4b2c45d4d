// comm.hierarchical through training, with DPTRAIN_FAKE_NODES making nodes of groups of ranks (one
// machine is one node): train.deterministic gives the flat run's bits on every layout (2 x 2, 1 + 3,
// ...), both progress modes, with and without comm.overlap; plain float training stays within
// rounding of flat; bfloat16 and PowerSGD train; optimizer.shard keeps its flat reduce-scatter (flat bits);
// the choice and the topology are logged once; a wrong value is one error line.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "support/train_test_util.hpp"
#include "train/trainer.hpp"

using namespace dpt;

namespace {

struct FakeNodes {  // DPTRAIN_FAKE_NODES for one scope, the same on every rank
  explicit FakeNodes(const std::string& spec) { setenv("DPTRAIN_FAKE_NODES", spec.c_str(), 1); }
  ~FakeNodes() { unsetenv("DPTRAIN_FAKE_NODES"); }
};

// Node layouts run with comm.hierarchical: on ("": the machine's one node)
std::vector<std::string> layouts(int P) {
  if (P == 2) return {"", "1,1"};
  if (P == 3) return {"", "1,2"};
  if (P == 4) return {"2,2", "1,3"};
  return {};
}

TrainOutcome run(const std::string& file, const std::string& comm, const std::string& train_opts) {
  return train(test::make_config(file, "comm: {bucket_kb: 4, " + comm + "}\ntrain: {" + train_opts + "}"), Comm(),
               {"", false, true});
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class HierarchicalTraining : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }
};

}  // namespace

TEST_F(HierarchicalTraining, DeterministicIsTheFlatBitsOnEveryLayoutAndMode) {
  const Comm world;
  const std::string file = test::synth_file(world, "hier_det");
  const std::string det = "deterministic: true, micro_shards: 12, max_steps: 25";
  const TrainOutcome flat = run(file, "hierarchical: off", det);
  ASSERT_EQ(flat.steps, 25);
  for (const std::string& layout : layouts(world.size()))
    for (const char* progress : {"thread", "poll"})
      for (const char* overlap : {"true", "false"}) {
        FakeNodes f(layout);
        SCOPED_TRACE(layout + " " + progress + " overlap " + overlap);
        const TrainOutcome h =
            run(file, std::string("hierarchical: on, progress: ") + progress + ", overlap: " + overlap, det);
        EXPECT_TRUE(same_bits(h.params, flat.params));
        EXPECT_TRUE(same_bits(h.buffers, flat.buffers));
        EXPECT_EQ(h.test.loss, flat.test.loss);
      }
}

TEST_F(HierarchicalTraining, FloatSumsStayWithinRoundingOfFlatAndCompressionTrains) {
  const Comm world;
  const std::string file = test::synth_file(world, "hier_float");
  const TrainOutcome flat = run(file, "hierarchical: off", "max_steps: 20");
  const TrainOutcome flat_bf16 = run(file, "hierarchical: off, compress: bf16", "max_steps: 20");
  const TrainOutcome flat_psgd = run(file, "hierarchical: off, compress: powersgd", "max_steps: 20");
  for (const std::string& layout : layouts(world.size()))
    for (const char* progress : {"thread", "poll"}) {
      FakeNodes f(layout);
      SCOPED_TRACE(layout + " " + progress);
      const TrainOutcome h = run(file, std::string("hierarchical: on, progress: ") + progress, "max_steps: 20");
      EXPECT_LT(test::max_rel_diff(h.params, flat.params), 1e-4);
      const TrainOutcome hb =
          run(file, std::string("hierarchical: on, compress: bf16, progress: ") + progress, "max_steps: 20");
      EXPECT_LT(test::max_rel_diff(hb.params, flat_bf16.params), 5e-2);  // bf16 partial sums in another order
      EXPECT_LT(hb.test.loss, 2.0 * flat.test.loss);
      // PowerSGD's sums (of its factors) through the hierarchy: within rounding of its flat run
      const TrainOutcome hp =
          run(file, std::string("hierarchical: on, compress: powersgd, progress: ") + progress, "max_steps: 20");
      EXPECT_LT(test::max_rel_diff(hp.params, flat_psgd.params), 1e-3);
    }
}

// optimizer.shard reduce-scatters flat (the log says so): the flat run's bits.
TEST_F(HierarchicalTraining, ShardedReduceScatterStaysFlatAndTheChoiceIsLoggedOnce) {
  const Comm world;
  const std::string file = test::synth_file(world, "hier_shard");
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  spdlog::set_level(spdlog::level::info);
  const std::string opts = "max_steps: 15}\noptimizer: {lr: 0.1, momentum: 0.9, shard: true";
  const TrainOutcome flat = run(file, "hierarchical: off", opts);
  const std::string flat_log = log.str();
  log.str("");
  (void)run(file, "hierarchical: auto", opts);  // one node: the flat choice only at debug level
  const std::string one_node_log = log.str();
  log.str("");
  std::string expect;
  if (world.size() == 4) {
    FakeNodes f("2,2");
    const TrainOutcome h = run(file, "hierarchical: auto", opts);
    EXPECT_TRUE(same_bits(h.params, flat.params));
    expect = "comm.hierarchical: auto: 2 nodes, 2 ranks per node: gradient sums reduce to each node's leader";
  } else if (world.size() > 1) {  // one rank per node: flat, said once
    std::string ones = "1";
    for (int r = 1; r < world.size(); ++r) ones += ",1";
    FakeNodes f(ones);
    (void)run(file, "hierarchical: auto", opts);
    expect = "comm.hierarchical: auto: flat all-reduce (" + std::to_string(world.size()) +
             " nodes, 1 rank per node: a leaders' all-reduce would be the flat one)";
  }
  spdlog::default_logger()->sinks().pop_back();
  spdlog::set_level(spdlog::level::warn);
  EXPECT_EQ(flat_log.find("comm.hierarchical"), std::string::npos) << flat_log;  // off: nothing to say
  EXPECT_EQ(one_node_log.find("comm.hierarchical"), std::string::npos) << one_node_log;
  const std::string text = log.str();
  if (world.rank() != 0 || expect.empty()) return;  // rank 0 logs
  const size_t at = text.find(expect);
  EXPECT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find("comm.hierarchical", at + 1), std::string::npos) << text;  // once
  if (world.size() == 4) {
    EXPECT_NE(text.find("optimizer.shard's reduce-scatter, which stays flat"), std::string::npos);
  }
}

TEST_F(HierarchicalTraining, AWrongValueIsOneErrorLine) {
  const Comm world;
  const std::string file = test::synth_file(world, "hier_bad");
  try {
    (void)run(file, "hierarchical: sometimes", "max_steps: 1");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("comm.hierarchical"), std::string::npos) << msg;
    EXPECT_NE(msg.find("sometimes"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}
