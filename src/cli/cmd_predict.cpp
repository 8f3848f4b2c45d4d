// dptrain predict --model RUN/model.h5 --data FILE.h5 [--features PATH] --out FILE.{h5,csv}
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/trained_model.hpp"
#include "comm/comm.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "eval/predictor.hpp"
#include "h5/prediction_file.hpp"
#include "h5/sample_layout.hpp"
#include "layers/loss.hpp"
#include "train/train_config.hpp"

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
                  "(or predicted0,...); dense outputs (K, ...) (.h5 only): /probabilities (N, K, ...) and with class "
                  "maps /predicted (N, ...) int32 (the arg-max over K), regression /predicted (N, T, ...); rows in the "
                  "order of the data set; an existing file is replaced")
      ->required();
  cmd->footer(model_config_help());
  return [a] {
    const Comm world;
    if (world.rank() == 0) prediction_format(a->out);  // a bad --out fails before the work
    auto [m, src, lo, hi] = open_eval_input(*a, world);
    const int64_t C = m.classes();
    const bool regression = is_regression_loss(m.settings.loss);
    const int64_t S = loss_options(m.settings, src.target_slots()).positions;
    if (S > 1) (void)check_target_shape(src.paths(), src.paths().file, src.target_shape(), m.model->output_shape());
    if (m.model->output_shape().size() >= 2 && prediction_format(a->out) == PredictionFormat::csv)
      fail("{}: the model's outputs are {} per sample; dense predictions are written to HDF5 only (name the file .h5)",
           a->out, shape_str(m.model->output_shape()));
    check_prediction_memory(world, a->out, src.size(), C + (regression ? 0 : S - 1), regression);
    Predictions p = predict(*m.model, src, lo, hi, regression, S, world);
    if (world.rank() != 0) return 0;
    p.provenance = {{"model", a->model}, {"data", src.paths().file}, {"features", src.paths().features}};
    write_predictions(a->out, p);
    if (S > 1)
      spdlog::info("wrote {}: {} samples x {} class probabilities and the class map {}", a->out, p.rows,
                   shape_str(p.output_shape), shape_str(p.map_shape));
    else if (regression)
      spdlog::info("wrote {}: {} samples x {} predicted value(s)", a->out, p.rows, p.classes);
    else
      spdlog::info("wrote {}: {} samples x {} class probabilities and the predicted class", a->out, p.rows, p.classes);
    return 0;
  };
}

}  // namespace dpt::cli
