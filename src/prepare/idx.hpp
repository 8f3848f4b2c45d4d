// `dptrain prepare idx`: IDX files of any element type (the MNIST family's format, plain or gzip'd)
// to dptrain's HDF5 layout, each array stored with the HDF5 type that matches its IDX type:
//   /train/images  (N, d1, ...) u8 | i8 | i16 | i32 | f32 | f64 (IDX 0x08 0x09 0x0B 0x0C 0x0D 0x0E),
//                  chunks of up to 1024 samples (about 1 MiB at most), shuffle + gzip 4
//   /train/labels  (N) of the labels' integer type (IDX 0x08, 0x09, 0x0B or 0x0C), gzip 4
//   /test/...      the same, when test files are given
//   root attribute `source` (the input files)
// Images must be (N, D), (N, H, W) or (N, C, H, W); labels (N) or (N, 1) non-negative integers,
// one per image; test images must match the training images' per-sample shape and type.
// Each file is read into memory whole (IDX files are not chunked); the output is written to a
// temporary file and renamed into place.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dpt {

struct IdxSplitFiles {
  std::string images, labels;  // both empty: no such split
};

struct IdxPrepareSummary {
  int64_t train = 0, test = 0;
  std::vector<int64_t> sample_dims;
  std::string image_type, label_type;             // "uint8", "float32", ...
  std::map<int64_t, int64_t> train_class_counts;  // label -> samples
};

IdxPrepareSummary prepare_idx(const IdxSplitFiles& train, const IdxSplitFiles& test, const std::string& out);
const char* idx_type_name(uint8_t type);  // "uint8", "int8", "int16", "int32", "float32", "float64"; "?" if invalid

}  // namespace dpt
