// dptrain predict --model RUN/model.h5 --data FILE.h5 [--features PATH] --out FILE.{h5,csv}
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/trained_model.hpp"
#include "comm/comm.hpp"
#include "core/memory.hpp"
#include "eval/predictor.hpp"
#include "h5/prediction_file.hpp"
#include "layers/loss.hpp"

namespace dpt::cli {

namespace {
// Rank 0 gathers every row's outputs (and predicted class): check that they fit before the work.
void check_prediction_memory(const Comm& world, const std::string& out, int64_t n, int64_t C, bool regression) {
  const int64_t row = 4 * C + (regression ? 0 : 4);
  check_memory({{fmt::format("{}: the predictions of all {} rows ({} bytes each), gathered on rank 0,", out, n, row),
                 mul_bytes(n, row), "predict the rows in parts: split the data set into smaller files"}},
               memory_available(world.local_size()));
}
}  // namespace

Run add_predict(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "predict",
      "class probabilities (softmax) and the predicted class of every sample (regression: the predicted "
      "values), to HDF5 or CSV (any rank count)");
  struct Args : EvalDataArgs {
    std::string out;
  };
  auto a = std::make_shared<Args>();
  add_eval_data_options(cmd, *a, "labels dataset of the same rows (read with the features, not used)");
  cmd->add_option("--out,-o", a->out,
                  "FILE.h5: /probabilities (N, C) float32 and /predicted (N) int32; FILE.csv: header "
                  "row,predicted,p0,...; regression (loss mse): /predicted (N) or (N, T) float32, CSV row,predicted "
                  "(or predicted0,...); rows in the order of the data set; an existing file is replaced")
      ->required();
  cmd->footer(model_config_help());
  return [a] {
    const Comm world;
    if (world.rank() == 0) prediction_format(a->out);  // a bad --out fails before the work
    auto [m, src, lo, hi] = open_eval_input(*a, world);
    const int64_t C = m.classes();
    const bool regression = is_regression_loss(m.settings.loss);
    check_prediction_memory(world, a->out, src.size(), C, regression);
    Predictions p = predict(*m.model, src, lo, hi, regression, world);
    if (world.rank() != 0) return 0;
    p.provenance = {{"model", a->model}, {"data", src.paths().file}, {"features", src.paths().features}};
    write_predictions(a->out, p);
    if (regression)
      spdlog::info("wrote {}: {} samples x {} predicted value(s)", a->out, p.rows, p.classes);
    else
      spdlog::info("wrote {}: {} samples x {} class probabilities and the predicted class", a->out, p.rows, p.classes);
    return 0;
  };
}

}  // namespace dpt::cli
