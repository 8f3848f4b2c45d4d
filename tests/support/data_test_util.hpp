// Helpers shared by the h5 and prepare tests: text files, error messages, and reading a split of a
// (prepared) file back through the trainer's reader (SampleSource).
#pragma once
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "h5/sample_source.hpp"
#include "prepare/csv.hpp"
#include "support/test_util.hpp"

namespace dpt::test {

inline std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

inline SplitPaths split_paths(const std::string& file, const std::string& split) {
  return {file, "/" + split + "/features", "/" + split + "/labels", "data.train_features", "data.train_labels"};
}

// A split as the trainer sees it: rows of float32 features (normalized if the file says so).
struct Rows {
  std::vector<std::vector<float>> x;
  std::vector<int32_t> y;
};

inline Rows read_rows(const SampleSource& src) {
  Rows r;
  const int64_t n = src.size(), D = src.sample_numel();
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  std::vector<float> x(static_cast<size_t>(n * D));
  r.y.resize(static_cast<size_t>(n));
  src.read(idx, x.data(), r.y.data());
  for (int64_t i = 0; i < n; ++i) r.x.emplace_back(x.begin() + i * D, x.begin() + (i + 1) * D);
  return r;
}

// The stored (raw) float32 values of a split, before normalization.
inline Rows read_raw_rows(const SampleSource& src) {
  Rows r;
  const int64_t n = src.size(), D = src.sample_numel();
  std::vector<unsigned char> raw(static_cast<size_t>(n * src.row_bytes()));
  r.y.resize(static_cast<size_t>(n));
  src.read_raw(0, n, raw.data(), r.y.data());
  const auto* f = reinterpret_cast<const float*>(raw.data());
  for (int64_t i = 0; i < n; ++i) r.x.emplace_back(f + i * D, f + (i + 1) * D);
  return r;
}

inline CsvPrepareOptions csv_options(const std::string& in, const std::string& out, const std::string& label) {
  CsvPrepareOptions o;
  o.input = in, o.out = out, o.label = label;
  o.split = {1.0, 0.0, 0.0};
  return o;
}

}  // namespace dpt::test
