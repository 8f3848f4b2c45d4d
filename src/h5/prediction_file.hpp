// Output of `dptrain predict`: class probabilities and the predicted class of every sample.
//   FILE.h5 / FILE.hdf5:  /probabilities (N, C) float32, /predicted (N) int32, root attributes
//                         naming the model, data file and features dataset they came from
//   FILE.csv:             a header row "row,predicted,p0,...,p{C-1}", then one row per sample
// Regression (a model trained with loss mse): the predicted values instead,
//   FILE.h5:  /predicted (N) float32 for one output, (N, T) for T outputs; the same attributes
//   FILE.csv: a header row "row,predicted" (one output) or "row,predicted0,...,predicted{T-1}"
// Written to a temporary file beside FILE and renamed into place: a failed write leaves no torn file.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dpt {

enum class PredictionFormat { hdf5, csv };

// The format named by the file extension; throws for any other extension or a missing directory.
PredictionFormat prediction_format(const std::string& path);

struct Predictions {
  int64_t rows = 0, classes = 0;
  std::vector<float> probabilities;                             // (rows, classes)
  std::vector<int32_t> predicted;                               // (rows)
  bool regression = false;                                      // then only `values` is written
  std::vector<float> values;                                    // regression: (rows, classes) predicted values
  std::vector<std::pair<std::string, std::string>> provenance;  // (name, value): model, data, features
};

void write_predictions(const std::string& path, const Predictions& p);

}  // namespace dpt
