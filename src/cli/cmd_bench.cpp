// dptrain bench --config FILE.yaml [--steps N] [--warmup N] [--set key=value ...]
//               [--predict-nodes 2,8,64 [--link 10gbit] [--latency-us X] [--ranks-per-node R]]
#include <fmt/format.h>

#include "cli/bench.hpp"
#include "cli/commands.hpp"
#include "comm/comm.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

Run add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "time training steps on in-memory data; print one JSON object");
  struct Args {
    std::string config;
    std::vector<std::string> sets;
    BenchOptions o;
    PredictArgs predict;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--config,-c", a->config, "YAML config (its data.file gives the input shape)")->required();
  cmd->add_option("--set", a->sets, "override one config option (repeatable)");
  cmd->add_option("--steps", a->o.steps, "timed steps")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", a->o.warmup, "untimed steps first")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--predict-nodes", a->predict.nodes,
                  "predict step time and weak-scaling efficiency at these node counts (e.g. 2,8,64,256): an "
                  "alpha-beta model of the bucketed all-reduce (docs/scaling.md); the table goes to stderr, the "
                  "\"prediction\" object into the JSON");
  cmd->add_option("--link", a->predict.link,
                  "with --predict-nodes: an assumed link instead of one calibrated on this job's ranks (needed on "
                  "1 rank): 1gbit (0.125 GB/s, 10 us), 10gbit (1.25 GB/s, 10 us: Ethernet, TCP), 100gbit (12.5 "
                  "GB/s, 3 us: RDMA), 200gbit (25 GB/s, 2 us: RDMA)");
  cmd->add_option("--latency-us", a->predict.latency_us,
                  "with --predict-nodes: the link's latency per message in microseconds (replaces the preset's "
                  "or the calibrated one)");
  cmd->add_option("--ranks-per-node", a->predict.ranks_per_node,
                  "with --predict-nodes: ranks per node (P = nodes x this; every rank is costed on the link); above 1, "
                  "each row also predicts comm.hierarchical (node reduce and broadcast over shared memory, assumed "
                  "1 us and 5 GB/s, around the leaders' all-reduce)")
      ->capture_default_str();
  return [a] {
    const Comm world;
    a->o.predict = read_predict_options(a->predict, world.size());
    const TrainConfig tc = load_train_config(a->config, a->sets);
    const nlohmann::json r = run_bench(tc.s, world, a->o);
    if (world.rank() == 0 && r.contains("prediction")) fmt::print(stderr, "{}", prediction_table(r["prediction"]));
    if (world.rank() == 0) fmt::print("{}\n", r.dump(2));
    return 0;
  };
}

}  // namespace dpt::cli
