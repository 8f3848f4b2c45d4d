// One split of a data set in one or more HDF5 files: a features dataset (N, ...) of rank 2 to 5 and
// any integer or float type, read as float32, and a labels dataset of any integer type: (N) or
// (N, 1) class labels, or per-position class maps (N, ...) read as int32; with regression targets,
// integers or floats (N, ...) read as float32. Per-sample shapes: h5/sample_layout.hpp.
// Several files (a list or a glob, see data/file_list.hpp) form one data set addressed by one
// global sample index: file k holds the rows [begin_k, begin_k + n_k) in list order (a prefix sum
// of the counts), and reads split at file boundaries transparently. Every file must have the same
// per-sample shape, element type and stored normalization.
// Conversion: x = raw * scale, or with stored normalization (data/feature_norm.hpp)
// x = (raw - offset) * norm_scale * scale, feature by feature.
// Reads select only the requested rows (hyperslabs over chunk-sized windows); nothing reads a
// whole dataset at once. At most one file is open at a time.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "h5/feature_norm.hpp"
#include "tensor/shape.hpp"

namespace dpt {

struct SplitPaths {
  std::string file;                            // a path or a glob; with `files`: a name for messages
  std::string features, labels;                // dataset paths inside the file(s)
  std::string features_option, labels_option;  // config keys that named them, for errors
  std::vector<std::string> files;              // several files (paths or globs) in order; empty: `file`
  // Regression (loss mse): the labels dataset holds targets (N, ...) of any integer or float type,
  // read as float32; otherwise it holds integer class labels (N) or (N, 1) or class maps (N, ...),
  // read as int32.
  bool float_targets = false;
  // data.sample_shape: the shape each sample is viewed as (empty: from the `layout` attribute or
  // the stored rank; h5/sample_layout.hpp).
  Shape sample_shape;
};

// The label check of a model: its per-sample output shape, and the label value the loss ignores.
struct LabelRule {
  Shape output;
  bool has_ignore = false;
  int64_t ignore = 0;
};

class SampleSource {
 public:
  SampleSource(const SplitPaths& paths, float scale);
  ~SampleSource();
  SampleSource(SampleSource&&) noexcept;

  int64_t size() const { return n_; }
  // Per-sample shape: (N, D) -> (D); (N, H, W) -> (1, H, W); (N, C, H, W) -> (C, H, W); (N, C, D, H, W)
  // -> (C, D, H, W); or as data.sample_shape / the `layout` attribute say (h5/sample_layout.hpp).
  const Shape& sample_shape() const { return sample_shape_; }
  // Per-sample label/target shape as stored: {} for (N), (1) for (N, 1), (H, W) for (N, H, W) maps.
  const Shape& target_shape() const { return target_shape_; }
  int64_t sample_numel() const { return numel(sample_shape_); }
  const SplitPaths& paths() const { return paths_; }
  const std::vector<std::string>& files() const { return files_; }
  std::string element_type() const;  // the stored feature type: "uint8", "int16", "float32", ...
  // The stored normalization (attributes normalize/offset/scale), applied by convert_row when active.
  const FeatureNorm& norm() const { return norm_; }

  // 4-byte target slots per row in y below: numel(target_shape()): int32 class labels (one, or a
  // class map), or float32 targets (their bits).
  int64_t target_slots() const { return target_slots_; }
  // Rows idx[i] -> x[i]: (idx.size(), D) and y[i]; any order, no duplicates needed.
  void read(const std::vector<int64_t>& idx, float* x, int32_t* y) const;
  // Rows [begin, end) in the file's own element type (row_bytes() each), and their labels.
  void read_raw(int64_t begin, int64_t end, unsigned char* raw, int32_t* y) const;
  int64_t row_bytes() const { return sample_numel() * static_cast<int64_t>(elem_size_); }
  // One row from read_raw() -> float32 features, scaled and normalized: x: (D).
  void convert_row(const unsigned char* raw, float* x) const;
  // Throws one line naming file, dataset, row (and position in a class map) and value if a label in
  // rows [begin, end) is outside [0, K) and not the rule's ignore value, K = the classes
  // (check_target_shape); or, first, when the labels' shape does not fit the model's output. Float
  // targets: unless they have the output's number of values per row, all finite.
  void check_labels(int64_t begin, int64_t end, const LabelRule& rule) const;
  void check_labels(int64_t begin, int64_t end, int64_t classes) const {
    check_labels(begin, end, LabelRule{Shape{classes}});
  }
  // Throws naming file, dataset, row and column at the first NaN/Inf float feature in rows
  // [begin, end) (every read checks what it read; this reads them for the check alone). Integer
  // features: nothing to read.
  void check_features(int64_t begin, int64_t end) const;
  // The files' global row ranges [begin, begin + rows) in order, and their features' chunk rows
  // (0: not chunked); the streaming reader aligns its blocks to these.
  struct FileExtent {
    int64_t begin = 0, rows = 0, chunk_rows = 0;
  };
  std::vector<FileExtent> extents() const;

 private:
  void add_file(const std::string& path);
  void check_targets(int64_t begin, int64_t end) const;  // float targets: all finite
  // Rows [first, first + count) of file `part` (global indices; all inside that file).
  void read_window(size_t part, int64_t first, int64_t count, unsigned char* raw, int32_t* y) const;
  // Their labels only: int32, int64 (labels at full width, for checks), or float32 targets into y
  // (count x target slots).
  enum class LabelRead { I32, I64, F32 };
  void read_labels(size_t part, int64_t first, int64_t count, LabelRead as, void* y) const;
  // Throws naming file, dataset, row and column at the first NaN, infinite or beyond-float32 value
  // of `count` stored float rows starting at the file's row `local` (every read checks what it read).
  void check_finite(size_t part, int64_t local, int64_t count, const unsigned char* raw) const;
  // f(part, first, count) for the chunk-aligned windows that cover rows [begin, end), in order.
  template <class F>
  void for_windows(int64_t begin, int64_t end, F&& f) const;
  size_t part_of(int64_t row) const;  // the file holding global row `row`
  const std::string& part_path(size_t part) const;
  int64_t part_begin(size_t part) const;  // its first global row
  int64_t window_end(int64_t row) const;  // end of the chunk-aligned window starting at `row`

  SplitPaths paths_;
  std::vector<std::string> files_;
  float scale_;
  struct Handles;  // HDF5 handles (hdf5.h stays out of this header)
  std::unique_ptr<Handles> h_;
  int64_t n_ = 0;
  size_t elem_size_ = 4;
  int64_t target_slots_ = 1;
  Shape sample_shape_, target_shape_;
  FeatureNorm norm_;
  std::vector<float> offset_, mul_;  // stored normalization: x = (raw - offset) * mul (mul includes scale)
};

template <class F>
void SampleSource::for_windows(int64_t begin, int64_t end, F&& f) const {
  for (int64_t first = begin; first < end;) {
    const int64_t count = std::min(window_end(first), end) - first;
    f(part_of(first), first, count);
    first += count;
  }
}

}  // namespace dpt
