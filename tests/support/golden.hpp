// PyTorch golden files (tests/golden/): the reader and the comparison the golden tests share.
// The format is documented in tests/tools/make_layer_golden.py; CI never runs PyTorch, it only
// reads these files.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/shape.hpp"

#ifndef DPTRAIN_GOLDEN_DIR
#error "DPTRAIN_GOLDEN_DIR must name tests/golden (target_compile_definitions in the suite's CMakeLists.txt)"
#endif

namespace dpt::test {

// A file under tests/golden/, e.g. golden_path("graph/resnet_block.txt").
inline std::string golden_path(const std::string& rel) { return std::string(DPTRAIN_GOLDEN_DIR) + "/" + rel; }

struct Tensor {
  Shape shape;
  std::vector<double> v;
};

struct Golden {
  std::string layer;  // YAML: the layer entry, or the model.layers list of a graph case
  Shape input;
  int64_t batch = 0;
  bool training = false;
  std::map<std::string, Tensor> t;
  const Tensor& at(const std::string& name) const {
    const auto it = t.find(name);
    if (it == t.end()) throw std::runtime_error("golden file has no tensor '" + name + "'");
    return it->second;
  }
};

// Reads the format documented in tests/tools/make_layer_golden.py ("layer" or "model" line).
inline Golden read_golden(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (regenerate with tests/tools/make_layer_golden.py)");
  Golden g;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "layer" || key == "model") {
      g.layer = line.substr(key.size() + 1);
    } else if (key == "input") {
      for (int64_t d; ls >> d;) g.input.push_back(d);
    } else if (key == "batch") {
      ls >> g.batch;
    } else if (key == "training") {
      int v = 0;
      ls >> v;
      g.training = v != 0;
    } else if (key == "tensor") {
      std::string name;
      ls >> name;
      Tensor t;
      for (int64_t d; ls >> d;) t.shape.push_back(d);
      t.v.resize(static_cast<size_t>(numel(t.shape)));
      for (auto& v : t.v) {
        std::string tok;  // strtod, not >>: the stream rejects subnormals
        if (!(in >> tok)) throw std::runtime_error(path + ": tensor " + name + " is short");
        v = std::strtod(tok.c_str(), nullptr);
      }
      std::getline(in, line);  // the rest of the last value line
      g.t[name] = std::move(t);
    } else {
      throw std::runtime_error(path + ": unexpected line '" + line + "'");
    }
  }
  return g;
}

// Every element within rel (relative to itself, or to floor x the largest |want|).
template <class T>
inline void expect_close(const std::string& what, const std::vector<T>& got, const Tensor& want, double rel,
                         double floor) {
  ASSERT_EQ(got.size(), want.v.size()) << what;
  double scale = 0;
  for (const double w : want.v) scale = std::max(scale, std::abs(w));
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(static_cast<double>(got[i]) - want.v[i]);
    const double denom = std::max({std::abs(want.v[i]), floor * scale, 1e-300});
    if (!(err / denom <= worst)) worst = err / denom;  // NaN sticks
    if (!(err <= rel * denom) && ++bad <= 5)
      ADD_FAILURE() << what << "[" << i << "]: dptrain " << got[i] << ", PyTorch " << want.v[i];
  }
  EXPECT_EQ(bad, 0) << what << " (worst relative error " << worst << ")";
}

template <class T>
inline std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

}  // namespace dpt::test
