#include "eval/predictor.hpp"

#include <algorithm>
#include <vector>

#include "comm/fail_together.hpp"
#include "core/partition.hpp"
#include "input/sample_rows.hpp"
#include "kernels/dense_xent.hpp"
#include "kernels/softmax.hpp"

namespace dpt {

namespace {
// Class probabilities and arg-max of this rank's rows [lo, hi), read a batch at a time (over the
// channels at each of S positions for class maps); for regression (predicted null) the outputs.
void predict_block(Model& model, const SampleSource& src, int64_t lo, int64_t hi, int64_t S, float* probs,
                   int32_t* predicted) {
  const int64_t C = numel(model.output_shape());
  model.context().training = false;
  for (int64_t i = 0; i < hi - lo; i += model.max_batch()) {
    const int64_t b = std::min(model.max_batch(), hi - lo - i);
    const Shard batch = load_block(src, lo + i, lo + i + b);
    const float* out = model.forward(batch.x_at(0), b);
    if (predicted && S > 1)
      kern::softmax_channels(out, b, C / S, S, probs + i * C, predicted + i * S);
    else if (predicted)
      kern::softmax_rows(out, b, C, probs + i * C, predicted + i);
    else
      std::copy_n(out, b * C, probs + i * C);
  }
}

// Every rank's block, gathered in row order on rank 0 (other ranks return rows = 0).
Predictions gather(const Comm& world, int64_t n, int64_t C, int64_t S, const std::vector<float>& probs,
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
    if (!regression) p.predicted.resize(static_cast<size_t>(n * S));
  }
  world.gatherv_rows(probs.data(), counts, out.data(), C * static_cast<int64_t>(sizeof(float)), 0,
                     regression ? "predicted values" : "probabilities");
  if (regression) return p;
  world.gatherv_rows(predicted.data(), counts, p.predicted.data(), S * static_cast<int64_t>(sizeof(int32_t)), 0,
                     "predicted classes");
  return p;
}
}  // namespace

Predictions predict(Model& model, const SampleSource& src, int64_t lo, int64_t hi, bool regression, int64_t positions,
                    const Comm& comm) {
  const int64_t C = numel(model.output_shape()), S = regression ? 1 : positions;
  std::vector<float> probs(static_cast<size_t>((hi - lo) * C));
  std::vector<int32_t> predicted(static_cast<size_t>(regression ? 0 : (hi - lo) * S));
  fail_together(
      comm, [&] { predict_block(model, src, lo, hi, S, probs.data(), regression ? nullptr : predicted.data()); },
      "prediction data");
  Predictions p = gather(comm, src.size(), C, S, probs, predicted, regression);
  const Shape& out = model.output_shape();
  p.output_shape = out;
  if (S > 1) p.map_shape.assign(out.begin() + 1, out.end());
  return p;
}

}  // namespace dpt
