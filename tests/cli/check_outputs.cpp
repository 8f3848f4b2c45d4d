// Checks the files the user-facing commands write; exit 0 and "ok: ..." or exit 1 and "FAIL: ...".
//   check_outputs png FILE MIN_BYTES            PNG signature, IHDR with a non-empty image, size
//   check_outputs eval ACTUAL.json EXPECTED.json  counts exact, loss/accuracies within 1e-6
//   check_outputs predictions FILE N C [EXPECTED.json]
//       FILE.h5 or FILE.csv: N rows of C probabilities in [0, 1] summing to 1, predicted = arg-max;
//       with EXPECTED: the predicted classes and probabilities (1e-6) of the hand-made model
//   check_outputs same-predictions A B          same classes, probabilities within 1e-6
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path + ": cannot open");
  return json::parse(in);
}

void png(const std::string& path, uintmax_t min_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": missing");
  unsigned char h[24] = {};
  in.read(reinterpret_cast<char*>(h), 24);
  const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!std::equal(sig, sig + 8, h)) fail(path + ": no PNG signature");
  if (std::string(reinterpret_cast<char*>(h + 12), 4) != "IHDR") fail(path + ": no IHDR chunk first");
  const auto be32 = [](const unsigned char* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; };
  const uint32_t w = be32(h + 16), ht = be32(h + 20);
  const uintmax_t size = std::filesystem::file_size(path);
  if (w < 100 || ht < 100) fail(path + ": image only " + std::to_string(w) + "x" + std::to_string(ht));
  if (size < min_bytes) fail(path + ": " + std::to_string(size) + " bytes, expected > " + std::to_string(min_bytes));
  std::cout << "ok: " << path << ": PNG " << w << "x" << ht << ", " << size << " bytes\n";
}

void near(const json& a, const json& b, double tol, const std::string& what) {
  if (a.is_array()) {
    if (!b.is_array() || a.size() != b.size()) fail(what + ": " + a.dump() + " vs " + b.dump());
    for (size_t i = 0; i < a.size(); ++i) near(a[i], b[i], tol, what + "[" + std::to_string(i) + "]");
    return;
  }
  if (a.is_null() || b.is_null() ? a != b : !(std::abs(a.get<double>() - b.get<double>()) <= tol))
    fail(what + ": " + a.dump() + ", expected " + b.dump());
}

void eval(const std::string& actual_path, const std::string& expected_path) {
  const json a = read_json(actual_path), e = read_json(expected_path);
  for (const char* k : {"samples", "confusion", "per_class_samples"})
    if (a.at(k) != e.at(k)) fail(std::string(k) + ": " + a.at(k).dump() + ", expected " + e.at(k).dump());
  for (const char* k : {"loss", "accuracy", "per_class_accuracy"}) near(a.at(k), e.at(k), 1e-6, k);
  std::cout << "ok: " << actual_path << " matches " << expected_path << "\n";
}

struct Table {
  int64_t rows = 0, cols = 0;
  std::vector<float> p;
  std::vector<int32_t> predicted;
};

std::vector<hsize_t> read_h5(hid_t f, const char* name, hid_t type, void* out, size_t capacity) {
  const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) fail(std::string("no dataset ") + name);
  const hid_t s = H5Dget_space(d);
  std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(s)));
  H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  if (out && static_cast<size_t>(H5Sget_simple_extent_npoints(s)) == capacity)
    H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
  H5Sclose(s);
  H5Dclose(d);
  return dims;
}

Table read_table_h5(const std::string& path) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail(path + ": not an HDF5 file");
  Table t;
  const auto pd = read_h5(f, "/probabilities", H5T_NATIVE_FLOAT, nullptr, 0);
  const auto cd = read_h5(f, "/predicted", H5T_NATIVE_INT32, nullptr, 0);
  if (pd.size() != 2 || cd.size() != 1 || cd[0] != pd[0]) fail(path + ": shapes of /probabilities and /predicted");
  t.rows = static_cast<int64_t>(pd[0]), t.cols = static_cast<int64_t>(pd[1]);
  t.p.resize(static_cast<size_t>(t.rows * t.cols));
  t.predicted.resize(static_cast<size_t>(t.rows));
  read_h5(f, "/probabilities", H5T_NATIVE_FLOAT, t.p.data(), t.p.size());
  read_h5(f, "/predicted", H5T_NATIVE_INT32, t.predicted.data(), t.predicted.size());
  H5Fclose(f);
  return t;
}

Table read_table_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) fail(path + ": empty");
  Table t;
  std::string want = "row,predicted";
  for (t.cols = 0; want.size() < line.size(); ++t.cols) want += ",p" + std::to_string(t.cols);
  if (line != want) fail(path + ": header '" + line + "'");
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');
    if (std::stoll(cell) != t.rows) fail(path + ": row " + std::to_string(t.rows) + " numbered " + cell);
    std::getline(ss, cell, ',');
    t.predicted.push_back(std::stoi(cell));
    for (int64_t j = 0; j < t.cols; ++j) {
      if (!std::getline(ss, cell, ',')) fail(path + ": short row " + std::to_string(t.rows));
      t.p.push_back(std::stof(cell));
    }
    ++t.rows;
  }
  return t;
}

Table read_table(const std::string& path) {
  return std::filesystem::path(path).extension() == ".csv" ? read_table_csv(path) : read_table_h5(path);
}

void predictions(const std::string& path, int64_t n, int64_t c, const std::string& expected_path) {
  const Table t = read_table(path);
  if (t.rows != n || t.cols != c)
    fail(path + ": " + std::to_string(t.rows) + " x " + std::to_string(t.cols) + ", expected " + std::to_string(n) +
         " x " + std::to_string(c));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = t.p.data() + i * c;
    double sum = 0;
    for (int64_t j = 0; j < c; ++j) {
      if (!(row[j] >= 0 && row[j] <= 1))
        fail(path + ": row " + std::to_string(i) + " has p = " + std::to_string(row[j]));
      sum += row[j];
    }
    if (std::abs(sum - 1) > 1e-5) fail(path + ": row " + std::to_string(i) + " sums to " + std::to_string(sum));
    if (t.predicted[i] != std::max_element(row, row + c) - row) fail(path + ": row " + std::to_string(i) + " class");
  }
  if (!expected_path.empty()) {
    const json e = read_json(expected_path);
    if (json(t.predicted) != e.at("predicted")) fail(path + ": classes " + json(t.predicted).dump());
    for (int64_t i = 0; i < n; ++i)
      near(std::vector<double>(t.p.begin() + i * c, t.p.begin() + (i + 1) * c), e.at("probabilities")[i], 1e-6,
           path + " row " + std::to_string(i));
  }
  std::cout << "ok: " << path << ": " << n << " rows of " << c << " probabilities summing to 1\n";
}

void same_predictions(const std::string& a, const std::string& b) {
  const Table x = read_table(a), y = read_table(b);
  if (x.rows != y.rows || x.cols != y.cols || x.predicted != y.predicted) fail(a + " and " + b + ": classes differ");
  for (size_t i = 0; i < x.p.size(); ++i)
    if (std::abs(x.p[i] - y.p[i]) > 1e-6) fail(a + " and " + b + ": probability " + std::to_string(i) + " differs");
  std::cout << "ok: " << a << " and " << b << " agree\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 3 && a[0] == "png")
      png(a[1], std::stoull(a[2]));
    else if (a.size() == 3 && a[0] == "eval")
      eval(a[1], a[2]);
    else if ((a.size() == 4 || a.size() == 5) && a[0] == "predictions")
      predictions(a[1], std::stoll(a[2]), std::stoll(a[3]), a.size() == 5 ? a[4] : "");
    else if (a.size() == 3 && a[0] == "same-predictions")
      same_predictions(a[1], a[2]);
    else {
      std::cerr << "usage: see the top of check_outputs.cpp\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cout << "FAIL: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
