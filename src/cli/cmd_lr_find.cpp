// dptrain lr-find --config FILE.yaml [--set key=value ...] [--start 1e-5] [--end 10] [--steps 200]
//                 [--out lr_find.png] [--csv lr_find.csv] [--json]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/gnuplot.hpp"
#include "cli/lr_range.hpp"
#include "comm/comm.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "train/train_config.hpp"
#include "train/trainer.hpp"

namespace dpt::cli {

namespace {

struct Args {
  std::string config, out = "lr_find.png", csv;
  std::vector<std::string> sets;
  LrRange range;
  bool json = false;
};

void write_csv(const std::string& path, const LrCurve& c) {
  std::ofstream f(path);
  f << "step,lr,loss,smoothed_loss\n";
  for (size_t i = 0; i < c.lr.size(); ++i) f << fmt::format("{},{:.6g},{:.6g},{:.6g}\n", i + 1, c.lr[i], c.loss[i], c.smoothed[i]);
  if (!f.flush()) fail("{}: cannot write the curve", path);
}

void write_png(const std::string& path, const LrCurve& c, double suggested) {
  double top = 0;  // the curve up to its minimum fills the height; the explosion is cut off
  for (int64_t i = 0; i <= c.best; ++i) top = std::max(top, c.smoothed[static_cast<size_t>(i)]);
  const TempDir tmp("lr-find");
  write_csv(tmp.file("curve.csv"), c);
  std::ofstream(tmp.file("lr.gp")) << fmt::format(
      "set terminal pngcairo size 1000,650 noenhanced font 'Sans,12'\nset output {}\nset datafile separator ','\n"
      "set logscale x\nset format x '%g'\nset yrange [0:{:.6g}]\nset xlabel 'learning rate'\nset ylabel 'training "
      "loss'\nset grid\nset key top left\n"
      "set title 'learning-rate range test: suggested lr {:.3g}'\nset arrow from {:.6g}, graph 0 to {:.6g}, graph 1 "
      "nohead dashtype 2 lc rgb '#d62728'\n"
      "plot {} using 2:3 every ::1 with lines lc rgb '#bbbbbb' title 'loss', '' using 2:4 every ::1 with lines lw 2 "
      "lc rgb '#1f77b4' title 'smoothed'\n",
      gnuplot::quoted(tmp.file("lr.png")), 1.3 * top, suggested, suggested, suggested, gnuplot::quoted(tmp.file("curve.csv")));
  run_gnuplot(find_gnuplot(), tmp.file("lr.gp"), tmp.file("gnuplot.log"), tmp.file("lr.png"));
  std::error_code ec;
  std::filesystem::copy_file(tmp.file("lr.png"), path, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) fail("{}: cannot write the image: {}", path, ec.message());
}

void check_args(const Args& a) {
  if (!a.out.empty()) (void)find_gnuplot();  // before the test, not after it
  if (!(a.range.start > 0) || !(a.range.end > a.range.start))
    fail("lr-find: --start {} and --end {} must satisfy 0 < start < end", a.range.start, a.range.end);
  for (const std::string& f : {a.out, a.csv}) {
    const std::filesystem::path dir = std::filesystem::path(f).parent_path();
    if (!f.empty() && !dir.empty() && !std::filesystem::is_directory(dir))
      fail("{}: output directory '{}' does not exist", f, dir.string());
  }
}

// The suggestion for the config's global batch and, by the linear scaling rule, for others.
void report(const Args& a, const LrCurve& c, int64_t batch, int64_t reference_batch) {
  if (!a.csv.empty()) write_csv(a.csv, c);  // also when there is no suggestion: the curve says why
  if (c.suggested <= 0)
    fail("lr-find: the loss never fell over {} steps from lr {:g} to {:g}: widen the range (--start/--end) or take "
         "more --steps",
         c.lr.size(), a.range.start, a.range.end);
  const double lr = c.suggested, lowest = c.lr[static_cast<size_t>(c.best)];
  const double steepest = c.lr[static_cast<size_t>(c.steepest)];
  // With the linear scaling rule the config's optimizer.lr is the lr at reference_batch.
  const double config_lr = reference_batch > 0 ? lr * static_cast<double>(reference_batch) / static_cast<double>(batch) : lr;
  if (!a.out.empty()) write_png(a.out, c, lr);
  nlohmann::json scaled = nlohmann::json::object();
  for (int64_t b : {batch / 4, batch / 2, batch * 2, batch * 4})
    if (b > 0) scaled[std::to_string(b)] = lr * static_cast<double>(b) / static_cast<double>(batch);
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"suggested_lr", lr}, {"optimizer_lr", config_lr}, {"global_batch", batch},
                                      {"min_loss_lr", lowest},
                                      {"steepest_lr", steepest},
                                      {"steps", c.lr.size()}, {"diverged", c.diverged}, {"linear_scaling", scaled}}
                           .dump());
    return;
  }
  log::result(fmt::format("suggested lr {:.3g} for global batch {} (a tenth of lr {:.3g}, where the smoothed loss is "
                          "lowest; steepest fall at lr {:.3g}; {} steps{})",
                          lr, batch, lowest, steepest, c.lr.size(),
                          c.diverged ? ", stopped when the loss diverged" : ""));
  if (reference_batch > 0)
    log::result(fmt::format("with optimizer.reference_batch {} (the linear scaling rule): set optimizer.lr = {:.3g}",
                            reference_batch, config_lr));
  std::string rule;
  for (const auto& [b, v] : scaled.items()) rule += fmt::format("  batch {}: {:.3g}", b, v.get<double>());
  log::result("linear scaling rule (lr x batch / " + std::to_string(batch) + "):" + rule);
}

}  // namespace

Run add_lr_find(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "lr-find",
      "learning-rate range test: train with an exponentially growing lr on the real data-parallel setup, print the "
      "suggested lr and draw the loss curve (nothing of a run is written)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--config,-c", a->config, "YAML config file (the run to find an lr for)")->required();
  cmd->add_option("--set", a->sets, "override one config option (repeatable), as for train");
  cmd->add_option("--start", a->range.start, "first lr")->capture_default_str();
  cmd->add_option("--end", a->range.end, "last lr")->capture_default_str();
  cmd->add_option("--steps", a->range.steps, "optimizer steps (fewer when the loss diverges first)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{10}, int64_t{100000}));
  cmd->add_option("--out,-o", a->out, "PNG of the curve (gnuplot; empty: none)")->capture_default_str();
  cmd->add_option("--csv", a->csv, "CSV of the curve: step,lr,loss,smoothed_loss");
  cmd->add_flag("--json", a->json, "print one JSON object (suggested_lr, linear_scaling, ...)");
  cmd->footer(
      "The lr of step k is start * (end/start)^(k/(steps-1)); the loss is the global mean of each step, smoothed\n"
      "(moving average, beta 0.98); the test stops when the smoothed loss exceeds 4x its minimum or is not finite.\n"
      "The suggestion: a tenth of the lr where the smoothed loss is lowest (fastai's rule); the steepest fall is\n"
      "printed beside it. The\n"
      "config's optimizer, momentum, batch size and data are used as they are; schedule, warmup, checkpoints and\n"
      "early stopping are not.");
  return [a] {
    check_args(*a);
    TrainConfig tc = load_train_config(a->config, a->sets);
    const Comm world;
    log::init(world.rank(), tc.s.log_all_ranks, false, true);
    tc.s.max_steps = a->range.steps, tc.s.epochs = std::max(tc.s.epochs, a->range.steps);
    tc.s.skip_nonfinite = true, tc.s.patience = 0, tc.s.trace.on = false;
    LrCurve curve;
    TrainOptions opts{"", false, true, ""};
    opts.lr_at = [a](int64_t step) { return static_cast<float>(a->range.lr_at(step)); };
    opts.on_step = [&curve](int64_t, float lr, double loss) { return add_point(curve, lr, loss); };
    train(tc, world, opts);
    analyze(curve);
    if (world.rank() == 0) report(*a, curve, tc.s.batch_size, tc.cfg.get_int("optimizer.reference_batch"));
    return 0;
  };
}

}  // namespace dpt::cli
