#include "cli/curves_plot.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/gnuplot.hpp"
#include "cli/sweep_dir.hpp"
#include "core/error.hpp"

namespace dpt::cli {

namespace fs = std::filesystem;

namespace {
using gnuplot::quoted;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// The run directory's name ("runs/lr01/" -> "lr01"); a metrics file is named by its directory.
std::string run_label(const std::string& run) {
  fs::path p = fs::path(run).lexically_normal();
  if (!fs::is_directory(p)) p = p.parent_path();
  if (p.empty()) p = ".";
  if (p.filename().empty() || p.filename() == "." || p.filename() == "..") {
    std::error_code ec;
    const fs::path abs = fs::absolute(p, ec);
    if (!ec) p = abs.lexically_normal();
    if (p.filename().empty() && p.has_parent_path()) p = p.parent_path();  // "/a/b/" -> "/a/b"
  }
  const std::string name = p.filename().string();
  return name.empty() ? run : name;
}

struct TimeUnit {
  double seconds;
  const char* name;
};
TimeUnit time_unit(const std::vector<CurveRun>& runs) {
  double most = 0;
  for (const auto& r : runs)
    for (const auto& p : r.metrics.epochs)
      if (std::isfinite(p.elapsed_s)) most = std::max(most, p.elapsed_s);
  if (most < 120) return {1, "s"};
  if (most < 7200) return {60, "min"};
  return {3600, "h"};
}

bool has_epochs(const std::string& run) {
  return fs::exists(fs::path(run) / "metrics.jsonl") && !read_run_records(run).epochs.empty();
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : "NaN"; }

void write_data(const CurveRun& r, const std::string& file, double time_scale) {
  std::ofstream out(file);
  out << "# epoch elapsed train_loss train_accuracy val_loss val_accuracy test_loss test_accuracy\n";
  for (const auto& p : r.metrics.epochs)
    out << fmt::format("{} {} {} {} {} {} {} {}\n", p.epoch, num(p.elapsed_s / time_scale), num(p.train_loss),
                       num(p.train_accuracy), num(p.val_loss), num(p.val_accuracy), num(p.test_loss),
                       num(p.test_accuracy));
  if (!out) fail("{}: writing plot data failed (disk full?)", file);
}

// A split's curves: data file column of its loss (1-based, as write_data writes them; the
// accuracy is the next column), line dash and the fields they come from.
struct Split {
  const char* name;
  int column, dash;
  double EpochPoint::*loss;
  double EpochPoint::*accuracy;
};
constexpr Split kSplits[] = {{"train", 3, 1, &EpochPoint::train_loss, &EpochPoint::train_accuracy},
                             {"validation", 5, 3, &EpochPoint::val_loss, &EpochPoint::val_accuracy},
                             {"test", 7, 2, &EpochPoint::test_loss, &EpochPoint::test_accuracy}};

// True when some epoch has a finite y and, for the time panels (by_time), a finite elapsed time.
bool any_point(const RunMetrics& m, bool by_time, double EpochPoint::*y) {
  return std::any_of(m.epochs.begin(), m.epochs.end(), [&](const EpochPoint& p) {
    return std::isfinite(p.*y) && (!by_time || std::isfinite(p.elapsed_s));
  });
}

// The plot command of one panel: x column xcol, metric 0 (loss) or 1 (accuracy). One run: a colour
// per split; several: a colour per run. A curve without a single finite value (a split the run does
// not have, a diverged loss) is left out.
std::string panel(const std::vector<CurveRun>& runs, const std::string& dir, int xcol, int metric) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string data = quoted(dir + fmt::format("/run{}.dat", i));
    const std::string prefix = runs.size() > 1 ? runs[i].label + " " : "";
    for (size_t k = 0; k < std::size(kSplits); ++k) {
      const Split& sp = kSplits[k];
      const char* color = kColors[(runs.size() == 1 ? k : i) % std::size(kColors)];
      double EpochPoint::*field = metric == 0 ? sp.loss : sp.accuracy;
      if (!any_point(runs[i].metrics, xcol == 2, field)) continue;
      parts.push_back(fmt::format("{} using {}:{} with linespoints lw 2 pt 7 ps 0.6 dt {} lc rgb '{}' title {}", data,
                                  xcol, sp.column + metric, sp.dash, color, quoted(prefix + sp.name)));
    }
  }
  if (parts.empty())  // gnuplot refuses a plot without points: an empty frame that says why
    return "set label 1 'no finite values' at graph 0.5,0.5 center\nset yrange [0:1]\nset key off\n"
           "plot -1 notitle\nunset label 1\nset autoscale y\nset key on\n";
  std::string s = "plot ";
  for (size_t k = 0; k < parts.size(); ++k) s += (k ? ", \\\n     " : "") + parts[k];
  return s + "\n";
}

std::string title(const std::vector<CurveRun>& runs) {
  if (runs.size() == 1) return "dptrain: " + runs[0].label;
  if (runs.size() <= 4) {
    std::string s = "dptrain: ";
    for (size_t i = 0; i < runs.size(); ++i) s += (i ? " vs " : "") + runs[i].label;
    return s;
  }
  return fmt::format("dptrain: {} runs", runs.size());
}
}  // namespace

std::vector<CurveRun> read_curve_runs(const std::vector<std::string>& args) {
  std::vector<CurveRun> out;
  std::vector<std::string> paths;
  std::set<std::string> labels;
  for (const auto& r : expand_run_args(args)) {
    if (r.sweep_point && !has_epochs(r.path)) {  // a sweep's point that has not finished an epoch yet
      spdlog::info("{}: no epoch record yet: left out", r.path);
      continue;
    }
    RunMetrics m = read_run_metrics(r.path);  // first: it names a missing run clearly
    out.push_back({run_label(r.path), std::move(m)});
    paths.push_back(r.path);
  }
  if (out.empty()) fail("{}: no run with an epoch record yet", args.front());
  for (const auto& c : out) labels.insert(c.label);
  if (labels.size() < out.size())  // two runs/x: tell them apart by the path given
    for (size_t i = 0; i < out.size(); ++i) out[i].label = paths[i];
  return out;
}

std::string curves_script(const std::vector<CurveRun>& runs, const std::string& dir, const std::string& png) {
  const TimeUnit unit = time_unit(runs);
  int64_t max_epoch = 1;
  for (size_t i = 0; i < runs.size(); ++i) {
    write_data(runs[i], dir + fmt::format("/run{}.dat", i), unit.seconds);
    for (const auto& p : runs[i].metrics.epochs) max_epoch = std::max(max_epoch, p.epoch);
  }
  std::string s = fmt::format(
      "set terminal pngcairo size 1600,1100 noenhanced font 'Sans,12'\nset output {}\n"
      "set multiplot layout 2,2 title {} font 'Sans,15'\nset grid\nset key box opaque\n",
      quoted(png), quoted(title(runs)));
  const std::string epoch_tics = max_epoch <= 20 ? "set xtics 1\n" : "set xtics autofreq\n";
  const std::string time_label = fmt::format("set xlabel 'elapsed wall time [{}]'\n", unit.name);
  s += epoch_tics + "set xlabel 'epoch'\nset ylabel 'loss'\nset key top right\nset title 'loss'\n" +
       panel(runs, dir, 1, 0);
  s += "set ylabel 'accuracy'\nset key bottom right\nset title 'accuracy'\n" + panel(runs, dir, 1, 1);
  s += "set xtics autofreq\n" + time_label + "set ylabel 'loss'\nset key top right\nset title 'loss'\n" +
       panel(runs, dir, 2, 0);
  s += "set ylabel 'accuracy'\nset key bottom right\nset title 'accuracy'\n" + panel(runs, dir, 2, 1);
  return s + "unset multiplot\nset output\n";
}

void plot_curves(const std::vector<std::string>& runs, const std::string& out_png) {
  const fs::path out_dir = fs::path(out_png).parent_path();
  if (!out_dir.empty() && !fs::is_directory(out_dir))
    fail("{}: directory '{}' does not exist", out_png, out_dir.string());
  const std::vector<CurveRun> curves = read_curve_runs(runs);
  const std::string gnuplot = find_gnuplot();
  const TempDir tmp("plot");
  std::ofstream(tmp.file("curves.gp")) << curves_script(curves, tmp.path(), tmp.file("curves.png"));
  run_gnuplot(gnuplot, tmp.file("curves.gp"), tmp.file("gnuplot.log"), tmp.file("curves.png"));
  const std::string part = out_png + ".part";
  std::error_code ec;
  fs::copy_file(tmp.file("curves.png"), part, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(part, out_png, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(part, ignored);
    fail("{}: cannot write the image: {}", out_png, ec.message());
  }
}

}  // namespace dpt::cli
