// dptrain bench --config FILE.yaml [--steps N] [--warmup N] [--set key=value ...]
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
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--config,-c", a->config, "YAML config (its data.file gives the input shape)")->required();
  cmd->add_option("--set", a->sets, "override one config option (repeatable)");
  cmd->add_option("--steps", a->o.steps, "timed steps")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", a->o.warmup, "untimed steps first")->capture_default_str()->check(CLI::NonNegativeNumber);
  return [a] {
    const TrainConfig tc = load_train_config(a->config, a->sets);
    const Comm world;
    const nlohmann::json r = run_bench(tc.s, world, a->o);
    if (world.rank() == 0) fmt::print("{}\n", r.dump(2));
    return 0;
  };
}

}  // namespace dpt::cli
