// How a features dataset's rows are viewed as samples, and which label/target datasets fit them.
// Features are (N, ...) of rank 2 to 5. Each sample's shape is, in this order of precedence:
//   1. data.sample_shape (SplitPaths::sample_shape): any shape with the stored row's element count;
//   2. the dataset's string attribute `layout`, one of NF, NL, NCL, NHW, NCHW, NDHW, NCDHW: the
//      stored dims after N, with a channel axis of 1 put first when the layout has no C;
//   3. the stored rank: (N, D) -> (D); (N, H, W) -> (1, H, W) (one-channel images);
//      (N, C, H, W) -> (C, H, W); (N, C, D, H, W) -> (C, D, H, W). A signal (N, C, L) therefore
//      needs layout "NCL" (or data.sample_shape: [C, L]), else it is read as a (1, C, L) image.
// Labels (loss cross_entropy) are integers: (N) or (N, 1) per-sample classes, or per-position class
// maps (N, ...) (e.g. (N, H, W), (N, 1, H, W), (N, D, H, W)); targets (loss mse) are integers or
// floats (N, ...) of any shape. Each per-sample label/target array travels as that many 4-byte slots.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/shape.hpp"

namespace dpt {

struct SplitPaths;

// The per-sample shape of features stored as `dims` (N first) in file `path`; `layout` is the
// dataset's `layout` attribute ("" when it has none). Throws one line naming the file, the dataset
// and both shapes when data.sample_shape does not fit, or the layout is unknown or of another rank.
Shape sample_view(const SplitPaths& p, const std::string& path, const std::vector<int64_t>& dims,
                  const std::string& layout);

// Checks the rank of a labels/targets dataset of `dims` (N first); `kind` is "integer" or "float".
void check_label_dims(const SplitPaths& p, const std::string& path, const std::string& kind,
                      const std::vector<int64_t>& dims);

// What a per-sample target array must be for a model whose per-sample output is `output`:
// cross-entropy with one slot: classes = numel(output); with a class map (slots > 1): output
// (K, ...) and the map the output's positions (...), optionally with a leading 1; mse: the same
// number of values as the output. Returns K (the classes; for mse, the output's values). Throws one
// line naming the file, the labels dataset and both shapes.
int64_t check_target_shape(const SplitPaths& p, const std::string& path, const Shape& target, const Shape& output);

// "row 3 position (2, 5)" for the flat index `at` of a per-sample array of `shape` ("" for one slot).
std::string position_text(const Shape& shape, int64_t at);

}  // namespace dpt
