// dptrain evaluate --model RUN/model.h5 [--data FILE.h5] [--features PATH --labels PATH] [--json]
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "cli/eval_report.hpp"
#include "cli/trained_model.hpp"
#include "comm/comm.hpp"
#include "comm/fail_together.hpp"
#include "eval/evaluator.hpp"
#include "h5/class_names.hpp"

namespace dpt::cli {

namespace {
// Class names from the data file's `classes` attribute; none for a data set spread over files.
std::vector<std::string> class_names_of(const SplitPaths& p, int64_t classes) {
  return p.files.size() <= 1 && std::filesystem::is_regular_file(p.file) ? read_class_names(p.file, classes)
                                                                         : std::vector<std::string>{};
}
}  // namespace

Run add_evaluate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "evaluate",
      "loss, accuracy, per-class accuracy and confusion matrix of a trained model; for class maps per-pixel "
      "accuracy, per-class and mean IoU; for a regression model (loss mse) mse, rmse, mae and r2, overall and per "
      "output (any rank count)");
  struct Args : EvalDataArgs {
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  add_eval_data_options(cmd, *a, "labels dataset");
  cmd->add_flag("--json", a->json,
                "print one JSON object: samples, loss, accuracy, per_class_accuracy, per_class_samples, "
                "confusion [true][predicted], class_names (when the file has them); class maps: samples, positions, "
                "loss, accuracy, miou, per_class_iou, confusion; regression: samples, loss, mse, rmse, mae, r2, "
                "per_output");
  cmd->footer(model_config_help());
  return [a] {
    const Comm world;
    auto [m, src, lo, hi] = open_eval_input(*a, world);
    fail_together(
        world, [&] { src.check_labels(lo, hi, label_rule(m.settings, m.model->output_shape())); }, "label check");
    const auto loss = make_loss<float>(m.settings.loss, loss_options(m.settings, src.target_slots()));
    if (loss->options().positions > 1) {  // class maps: per-position accuracy and IoU
      const EvalResult r = evaluate(*m.model, *loss, src, lo, hi, world);
      if (world.rank() != 0) return 0;
      const EvalReportInfo info{a->model, src.paths().file, src.paths().features,
                                class_names_of(src.paths(), static_cast<int64_t>(r.iou.size()))};
      fmt::print("{}", a->json ? segmentation_json(r, info).dump() + "\n" : segmentation_text(r, info));
      return 0;
    }
    if (loss->regression()) {
      const EvalResult r = evaluate(*m.model, *loss, src, lo, hi, world);
      if (world.rank() != 0) return 0;
      const EvalReportInfo info{a->model, src.paths().file, src.paths().features, {}};
      if (a->json)
        fmt::print("{}\n", regression_json(r, info).dump());
      else
        fmt::print("{}", regression_text(r, info));
      return 0;
    }
    const ClassEval r = evaluate_classes(*m.model, *loss, src, lo, hi, world);
    if (world.rank() != 0) return 0;
    const EvalReportInfo info{a->model, src.paths().file, src.paths().features,
                              class_names_of(src.paths(), m.classes())};
    if (a->json)
      fmt::print("{}\n", eval_json(r, info).dump());
    else
      fmt::print("{}", eval_table(r, info));
    return 0;
  };
}

}  // namespace dpt::cli
