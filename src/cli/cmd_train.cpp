// dptrain train --config FILE.yaml [--set key=value ...] [--out DIR]
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "comm/comm.hpp"
#include "core/log.hpp"
#include "layers/layer_factory.hpp"
#include "train/train_config.hpp"
#include "train/trainer.hpp"

namespace dpt::cli {

Run add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "train a model on all ranks of the MPI job");
  struct Args {
    std::string config, out, resume;
    std::vector<std::string> sets;
    bool overwrite = false, quiet = false, verbose = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--config,-c", a->config, "YAML config file (see launch/configs/)")->required();
  cmd->add_option("--set", a->sets, "override one config option: --set optimizer.lr=0.1 (repeatable)");
  cmd->add_option("--out,-o", a->out, "run directory: config.yaml, metrics.jsonl, train.log, model.h5");
  cmd->add_flag("--overwrite", a->overwrite, "reuse a run directory that already holds a run");
  cmd->add_option("--resume", a->resume,
                  "continue from a checkpoint: 'auto' = the newest valid one in --out DIR/checkpoints, or a path; "
                  "works on any rank count");
  cmd->add_flag("--quiet,-q", a->quiet,
                "the screen shows only warnings, errors and the final result (train.log keeps everything)");
  cmd->add_flag("--verbose,-v", a->verbose, "debug logging");
  std::string footer = options_help(train_options(), "Config options (YAML keys; nested maps form the dotted names)");
  for (const auto& [type, table] : layer_types())
    footer += "\n" + options_help(table, "Layer '" + type + "' (an entry of model.layers: {type: " + type + ", ...})");
  footer +=
      "\nGraphs (docs/model.md): any layer may carry name: a and inputs: [a, b] ('input': the data); merge layers "
      "add and concat take 2 or more inputs; {type: block, name: s, repeat: N, layers: [...]} repeats a body.\n";
  cmd->footer(footer);
  return [a] {
    const TrainConfig tc = load_train_config(a->config, a->sets);
    const Comm world;
    log::init(world.rank(), tc.s.log_all_ranks, a->verbose, a->quiet);
    spdlog::info("resolved config:\n{}", tc.cfg.to_yaml());
    const TrainOutcome r = train(tc, world, {a->out, a->overwrite, a->quiet, a->resume});
    if (r.stop_reason == StopReason::signal) return 143;  // 128 + SIGTERM: a scheduler sees the job was interrupted
    if (r.stop_reason == StopReason::already_finished) return 0;  // logged by the trainer
    const std::string best = r.best_epoch ? fmt::format(" (best epoch {} by early stopping)", r.best_epoch) : "";
    if (r.test.samples > 0 && r.test.regression)
      log::result(fmt::format("final test {} after {} epochs{}, {} steps, {:.1f} s; stopped: {}", eval_text(r.test),
                              r.epochs, best, r.steps, r.seconds, to_string(r.stop_reason)));
    else if (r.test.samples > 0)
      log::result(
          fmt::format("final test accuracy {:.4f} (loss {:.4f}) after {} epochs{}, {} steps, {:.1f} s; stopped: {}",
                      r.test.accuracy, r.test.loss, r.epochs, best, r.steps, r.seconds, to_string(r.stop_reason)));
    else
      log::result(fmt::format("done: train loss {:.4f} after {} epochs, {} steps, {:.1f} s", r.train_loss, r.epochs,
                              r.steps, r.seconds));
    return 0;
  };
}

}  // namespace dpt::cli
