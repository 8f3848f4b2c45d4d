#include "h5/prediction_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "h5/file.hpp"
#include "h5/write.hpp"

namespace dpt {

namespace fs = std::filesystem;

PredictionFormat prediction_format(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::is_directory(dir)) fail("{}: directory '{}' does not exist", path, dir.string());
  if (ext == ".h5" || ext == ".hdf5") return PredictionFormat::hdf5;
  if (ext == ".csv") return PredictionFormat::csv;
  fail("{}: unknown output format '{}': name the file .h5, .hdf5 or .csv", path, ext);
}

namespace {
void write_dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims, hid_t file_type, hid_t mem_type,
                   const void* data, const std::string& path) {
  h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  h5::Handle d(H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!d.valid() || H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail("{}: writing '{}' failed (disk full?)", path, name);
}

// (n) followed by `shape`.
std::vector<hsize_t> rows_of(hsize_t n, const std::vector<int64_t>& shape) {
  std::vector<hsize_t> d{n};
  for (int64_t v : shape) d.push_back(static_cast<hsize_t>(v));
  return d;
}

void write_h5(hid_t f, const std::string& tmp, const Predictions& p) {
  const auto n = static_cast<hsize_t>(p.rows), c = static_cast<hsize_t>(p.classes);
  const std::vector<hsize_t> out = dense_predictions(p) ? rows_of(n, p.output_shape) : std::vector<hsize_t>{n, c};
  if (p.regression) {
    const std::vector<hsize_t> dims = c == 1 ? std::vector<hsize_t>{n} : out;
    write_dataset(f, "predicted", dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, p.values.data(), tmp);
  } else {
    write_dataset(f, "probabilities", out, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, p.probabilities.data(), tmp);
    write_dataset(f, "predicted", rows_of(n, p.map_shape), H5T_STD_I32LE, H5T_NATIVE_INT32, p.predicted.data(), tmp);
  }
  for (const auto& [name, value] : p.provenance) h5::write_attr(f, name.c_str(), value);
}

void write_csv(const std::string& tmp, const Predictions& p) {
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) fail("{}: cannot open for writing", tmp);
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "row");
  if (p.regression && p.classes == 1) fmt::format_to(std::back_inserter(line), ",predicted");
  if (!p.regression) fmt::format_to(std::back_inserter(line), ",predicted");
  for (int64_t j = 0; j < p.classes && !(p.regression && p.classes == 1); ++j)
    fmt::format_to(std::back_inserter(line), fmt::runtime(p.regression ? ",predicted{}" : ",p{}"), j);
  line.push_back('\n');
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  const std::vector<float>& v = p.regression ? p.values : p.probabilities;
  for (int64_t i = 0; i < p.rows && ok; ++i) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "{}", i);
    if (!p.regression) fmt::format_to(std::back_inserter(line), ",{}", p.predicted[i]);
    for (int64_t j = 0; j < p.classes; ++j)  // shortest text that reads back as the same float
      fmt::format_to(std::back_inserter(line), ",{}", v[i * p.classes + j]);
    line.push_back('\n');
    ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok) fail("{}: writing failed (disk full?)", tmp);
}
}  // namespace

bool dense_predictions(const Predictions& p) { return p.output_shape.size() >= 2 || !p.map_shape.empty(); }

void write_predictions(const std::string& path, const Predictions& p) {
  const PredictionFormat format = prediction_format(path);
  if (format == PredictionFormat::csv && dense_predictions(p))
    fail("{}: the model's outputs are {} per sample; dense predictions are written to HDF5 only (name the file .h5)",
         path, fmt::format("({})", fmt::join(p.output_shape, ", ")));
  if (format == PredictionFormat::hdf5)
    h5::write_h5_atomically(path, [&](hid_t f, const std::string& tmp) { write_h5(f, tmp, p); });
  else
    h5::write_atomically(path, [&](const std::string& tmp) { write_csv(tmp, p); });
}

}  // namespace dpt
