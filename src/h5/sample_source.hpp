// One split of a data set in one or more HDF5 files: a features dataset (N, ...) of any integer or
// float type, read as float32, and a labels dataset (N) or (N, 1) of any integer type.
// Several files (a list or a glob, see data/file_list.hpp) form one data set addressed by one
// global sample index: file k holds the rows [begin_k, begin_k + n_k) in list order (a prefix sum
// of the counts), and reads split at file boundaries transparently. Every file must have the same
// per-sample shape, element type and stored normalization.
// Conversion: x = raw * scale, or with stored normalization (data/feature_norm.hpp)
// x = (raw - offset) * norm_scale * scale, feature by feature.
// Reads select only the requested rows (hyperslabs over chunk-sized windows); nothing reads a
// whole dataset at once. At most one file is open at a time.
#pragma once
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
  // Regression (loss mse): the labels dataset holds targets (N) or (N, T) of any integer or float
  // type, read as float32; otherwise it holds integer class labels (N) or (N, 1), read as int32.
  bool float_targets = false;
};

class SampleSource {
 public:
  SampleSource(const SplitPaths& paths, float scale);
  ~SampleSource();
  SampleSource(SampleSource&&) noexcept;

  int64_t size() const { return n_; }
  // Per-sample shape: (N, D) -> (D); (N, H, W) -> (1, H, W); (N, C, H, W) -> (C, H, W).
  const Shape& sample_shape() const { return sample_shape_; }
  int64_t sample_numel() const { return numel(sample_shape_); }
  const SplitPaths& paths() const { return paths_; }
  const std::vector<std::string>& files() const { return files_; }
  std::string element_type() const;  // the stored feature type: "uint8", "int16", "float32", ...
  // The stored normalization (attributes normalize/offset/scale), applied by convert_row when active.
  const FeatureNorm& norm() const { return norm_; }

  // 4-byte target slots per row in y below: 1 (an int32 class label), or T float32 targets (their bits).
  int64_t target_slots() const { return target_slots_; }
  // Rows idx[i] -> x[i]: (idx.size(), D) and y[i]; any order, no duplicates needed.
  void read(const std::vector<int64_t>& idx, float* x, int32_t* y) const;
  // Rows [begin, end) in the file's own element type (row_bytes() each), and their labels.
  void read_raw(int64_t begin, int64_t end, unsigned char* raw, int32_t* y) const;
  int64_t row_bytes() const { return sample_numel() * static_cast<int64_t>(elem_size_); }
  // One row from read_raw() -> float32 features, scaled and normalized: x: (D).
  void convert_row(const unsigned char* raw, float* x) const;
  // Throws naming file, dataset, row and value if a label in rows [begin, end) is outside [0, classes);
  // with float targets: unless there are `classes` (the model's outputs) per row, all finite.
  void check_labels(int64_t begin, int64_t end, int64_t classes) const;
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
  void check_targets(int64_t begin, int64_t end, int64_t outputs) const;  // float targets
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
  size_t part_of(int64_t row) const;      // the file holding global row `row`
  int64_t window_end(int64_t row) const;  // end of the chunk-aligned window starting at `row`

  SplitPaths paths_;
  std::vector<std::string> files_;
  float scale_;
  struct Handles;  // HDF5 handles (hdf5.h stays out of this header)
  std::unique_ptr<Handles> h_;
  int64_t n_ = 0;
  size_t elem_size_ = 4;
  int64_t target_slots_ = 1;
  Shape sample_shape_;
  FeatureNorm norm_;
  std::vector<float> offset_, mul_;  // stored normalization: x = (raw - offset) * mul (mul includes scale)
};

}  // namespace dpt
