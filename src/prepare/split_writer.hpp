// The HDF5 side of `prepare csv`: rows of float32 features and int32 labels appended to the
// groups /train, /val and /test of a new file, chunk by chunk:
//   /<split>/features  (N, D) float32, chunks (chunk_rows, D), shuffle + gzip 4, extendable;
//                      attributes feature_names (D strings), normalize, offset (D), scale (D)
//   /<split>/labels    (N) int32, chunks (chunk_rows), shuffle + gzip 4; attribute label_column
//                      (float_labels: (N) float32 regression targets; add() takes their bits)
// Memory: one chunk of rows per split.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "h5/feature_norm.hpp"
#include "h5/write.hpp"

namespace dpt {

extern const char* const kSplitNames[3];  // "train", "val", "test"

class SplitWriter {
 public:
  SplitWriter(hid_t file, const std::string& path, const std::vector<std::string>& feature_names,
              const std::string& label_column, int64_t chunk_rows, bool float_labels = false);
  hid_t labels(int split) const { return out_[split].labels->id(); }
  void add(int split, const float* x, int32_t label);
  // Writes the buffered rows and the normalization attributes; call once, after the last add().
  void finish(const FeatureNorm& norm);
  int64_t rows(int split) const { return out_[split].features->rows() + out_[split].buffered; }

 private:
  struct Out {
    h5::Handle group;
    std::unique_ptr<h5::RowWriter> features, labels;
    std::vector<float> x;
    std::vector<int32_t> y;
    int64_t buffered = 0;
  };
  void flush(Out& o);
  std::array<Out, 3> out_;
  int64_t D_, chunk_rows_;
};

}  // namespace dpt
