// dptrain plot RUN_DIR [RUN_DIR...] [-o FILE.png]
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "cli/curves_plot.hpp"

namespace dpt::cli {

Run add_plot(CLI::App& app) {
  auto* cmd = app.add_subcommand("plot", "loss and accuracy curves of one or more runs as a PNG (gnuplot)");
  struct Args {
    std::vector<std::string> runs;
    std::string out;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option(
         "runs", a->runs,
         "run directories (train --out DIR), their metrics.jsonl files, or sweep directories (launch/sweep.sh)")
      ->required();
  cmd->add_option(
      "--out,-o", a->out,
      "PNG file, replaced if it exists (default: RUN_DIR/curves.png for one run, ./curves.png for several)");
  cmd->footer(
      "Four panels: loss and accuracy against the epoch and against elapsed wall time; train solid, test\n"
      "dashed, validation dotted (when the run has them); several runs in one figure, one colour each.\n"
      "Reads RUN_DIR/metrics.jsonl (one record per epoch) and draws with gnuplot (Debian package\n"
      "gnuplot-nox; DPTRAIN_GNUPLOT=PATH picks another binary). Works on a run that is still training.\n"
      "A sweep directory stands for its points (runs/sweep/* works too: the sweep's own files are left out, and\n"
      "so are points without an epoch yet).");
  return [a] {
    std::string out = a->out;
    if (out.empty())
      out = a->runs.size() == 1 && std::filesystem::is_directory(a->runs[0])
                ? (std::filesystem::path(a->runs[0]) / "curves.png").string()
                : "curves.png";
    plot_curves(a->runs, out);
    spdlog::info("wrote {}", out);
    return 0;
  };
}

}  // namespace dpt::cli
