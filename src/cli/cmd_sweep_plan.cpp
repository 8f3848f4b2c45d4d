// dptrain sweep-plan GRID.yaml [--out DIR]: the points of a sweep (what launch/sweep.sh runs)
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/sweep_dir.hpp"
#include "cli/sweep_grid.hpp"

namespace dpt::cli {

Run add_sweep_plan(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep-plan", "expand and check a sweep's grid file; write its sweep directory");
  struct Args {
    std::string grid, out;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("grid", a->grid, "grid file (YAML: config, ranks, grid, random, seed, set)")->required();
  cmd->add_option("--out,-o", a->out,
                  "sweep directory: writes sweep.yaml and points.tsv (an existing one of the same sweep is "
                  "resumed and left as it is); without --out only checks and lists the points");
  cmd->footer(
      "Every point is checked like `dptrain train -c CONFIG --set ...` before anything is written.\n"
      "Prints one line on stdout, 'points=N ranks=R resume=0|1', and the points on stderr.\n"
      "launch/sweep.sh runs it, then submits the points as one Slurm job array (or runs them with --local);\n"
      "see docs/cluster.md.");
  return [a] {
    const SweepPlan plan = read_sweep_plan(a->grid);
    for (const auto& p : plan.points) spdlog::info("point {}: {}", p.index, p.name);
    const bool resume = !a->out.empty() && open_sweep_dir(plan, a->out);
    if (!a->out.empty())
      spdlog::info("{} {} ({} points)", resume ? "resuming the sweep in" : "wrote the sweep plan to", a->out,
                   plan.points.size());
    fmt::print("points={} ranks={} resume={}\n", plan.points.size(), plan.ranks, resume ? 1 : 0);
    return 0;
  };
}

}  // namespace dpt::cli
