// Output of `dptrain predict`: class probabilities and the predicted class of every sample.
//   FILE.h5 / FILE.hdf5:  /probabilities (N, C) float32, /predicted (N) int32, root attributes
//                         naming the model, data file and features dataset they came from
//   FILE.csv:             a header row "row,predicted,p0,...,p{C-1}", then one row per sample
// Regression (a model trained with loss mse): the predicted values instead,
//   FILE.h5:  /predicted (N) float32 for one output, (N, T) for T outputs; the same attributes
//   FILE.csv: a header row "row,predicted" (one output) or "row,predicted0,...,predicted{T-1}"
// Dense outputs (output_shape of rank >= 2): FILE.h5 only, datasets of the output's shape:
//   segmentation (map_shape set): /probabilities (N, K, ...) (softmax over K at each position) and
//                                 /predicted (N, ...) int32, the class map (arg-max over K);
//   regression: /predicted (N, T, ...) float32.
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
  std::vector<float> probabilities;   // (rows, classes)
  std::vector<int32_t> predicted;     // (rows)
  bool regression = false;            // then only `values` is written
  std::vector<float> values;          // regression: (rows, classes) predicted values
  std::vector<int64_t> output_shape;  // per sample (numel = classes); empty: (classes)
  std::vector<int64_t> map_shape;     // segmentation: the positions of `predicted` per sample; empty: one
  std::vector<std::pair<std::string, std::string>> provenance;  // (name, value): model, data, features
};

// Throws when dense predictions are to be written as CSV.
void write_predictions(const std::string& path, const Predictions& p);
bool dense_predictions(const Predictions& p);  // an output of rank >= 2

}  // namespace dpt
