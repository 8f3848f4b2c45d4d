// dptrain predict --model RUN/model.h5 --data FILE.h5 [--features PATH] --out FILE.{h5,csv}
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/trained_model.hpp"
#include "comm/comm.hpp"
#include "comm/fail_together.hpp"
#include "core/memory.hpp"
#include "core/partition.hpp"
#include "h5/prediction_file.hpp"
#include "input/sample_rows.hpp"
#include "kernels/softmax.hpp"
#include "layers/loss.hpp"

namespace dpt::cli {

namespace {
// Class probabilities and arg-max of this rank's rows [lo, hi), read a batch at a time; for
// regression (predicted null) the outputs.
void predict_block(Model& model, const SampleSource& src, int64_t lo, int64_t hi, float* probs, int32_t* predicted) {
  const int64_t C = numel(model.output_shape());
  model.context().training = false;
  for (int64_t i = 0; i < hi - lo; i += model.max_batch()) {
    const int64_t b = std::min(model.max_batch(), hi - lo - i);
    const Shard batch = load_block(src, lo + i, lo + i + b);
    const float* out = model.forward(batch.x_at(0), b);
    if (predicted)
      kern::softmax_rows(out, b, C, probs + i * C, predicted + i);
    else
      std::copy_n(out, b * C, probs + i * C);
  }
}

// Rank 0 gathers every row's outputs (and predicted class): check that they fit before the work.
void check_prediction_memory(const Comm& world, const std::string& out, int64_t n, int64_t C, bool regression) {
  const int64_t row = 4 * C + (regression ? 0 : 4);
  check_memory({{fmt::format("{}: the predictions of all {} rows ({} bytes each), gathered on rank 0,", out, n, row),
                 mul_bytes(n, row), "predict the rows in parts: split the data set into smaller files"}},
               memory_available(world.local_size()));
}

// Every rank's block, gathered in row order on rank 0 (other ranks return rows = 0).
Predictions gather(const Comm& world, int64_t n, int64_t C, const std::vector<float>& probs,
                   const std::vector<int32_t>& predicted, bool regression) {
  std::vector<int64_t> counts(static_cast<size_t>(world.size()));
  for (int q = 0; q < world.size(); ++q) {
    const auto [begin, end] = block_range(n, q, world.size());
    counts[q] = end - begin;
  }
  Predictions p;
  p.regression = regression;
  std::vector<float>& out = regression ? p.values : p.probabilities;
  if (world.rank() == 0) {
    p.rows = n, p.classes = C;
    out.resize(static_cast<size_t>(n * C));
    if (!regression) p.predicted.resize(static_cast<size_t>(n));
  }
  world.gatherv_rows(probs.data(), counts, out.data(), C * static_cast<int64_t>(sizeof(float)), 0,
                     regression ? "predicted values" : "probabilities");
  if (regression) return p;
  world.gatherv_rows(predicted.data(), counts, p.predicted.data(), sizeof(int32_t), 0, "predicted classes");
  return p;
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
    std::vector<float> probs(static_cast<size_t>((hi - lo) * C));
    std::vector<int32_t> predicted(static_cast<size_t>(regression ? 0 : hi - lo));
    fail_together(
        world, [&] { predict_block(*m.model, src, lo, hi, probs.data(), regression ? nullptr : predicted.data()); },
        "prediction data");
    Predictions p = gather(world, src.size(), C, probs, predicted, regression);
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
