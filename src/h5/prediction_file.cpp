#include "h5/prediction_file.hpp"

#include <fmt/format.h>

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

void write_h5(hid_t f, const std::string& tmp, const Predictions& p) {
  const auto n = static_cast<hsize_t>(p.rows), c = static_cast<hsize_t>(p.classes);
  if (p.regression) {
    const std::vector<hsize_t> dims = c == 1 ? std::vector<hsize_t>{n} : std::vector<hsize_t>{n, c};
    write_dataset(f, "predicted", dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, p.values.data(), tmp);
  } else {
    write_dataset(f, "probabilities", {n, c}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, p.probabilities.data(), tmp);
    write_dataset(f, "predicted", {n}, H5T_STD_I32LE, H5T_NATIVE_INT32, p.predicted.data(), tmp);
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

void write_predictions(const std::string& path, const Predictions& p) {
  if (prediction_format(path) == PredictionFormat::hdf5)
    h5::write_h5_atomically(path, [&](hid_t f, const std::string& tmp) { write_h5(f, tmp, p); });
  else
    h5::write_atomically(path, [&](const std::string& tmp) { write_csv(tmp, p); });
}

}  // namespace dpt
