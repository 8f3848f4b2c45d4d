#include "hand_made.hpp"

#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "checkpoint/model_file.hpp"
#include "core/config.hpp"
#include "train/train_config.hpp"

namespace dpt::test {

namespace {
constexpr int kN = 12, kC = 3;
// Sample: features, label; the comment gives the logits x + b and the predicted class.
const float kX[kN][kC] = {
    {2, 0, 0},     // y 0: (2, 0, .5)   -> 0
    {2, 0, 0},     // y 0: (2, 0, .5)   -> 0
    {0.4f, 0, 0},  // y 0: (.4, 0, .5)  -> 2 (the bias decides)
    {0, 2, 0},     // y 1: (0, 2, .5)   -> 1
    {0, 2, 0},     // y 1                -> 1
    {0, 2, 0},     // y 0                -> 1
    {0, 0, 2},     // y 2: (0, 0, 2.5)  -> 2
    {0, 0, 0},     // y 2: (0, 0, .5)   -> 2
    {0, 0, 2},     // y 1                -> 2
    {1, 0, 0},     // y 2: (1, 0, .5)   -> 0
    {0, 1, 0},     // y 2: (0, 1, .5)   -> 1
    {0, 0, 2},     // y 2                -> 2
};
const int32_t kY[kN] = {0, 0, 0, 1, 1, 0, 2, 2, 1, 2, 2, 2};
const int32_t kPredicted[kN] = {0, 0, 2, 1, 1, 1, 2, 2, 2, 0, 1, 2};
const float kBias[kC] = {0, 0, 0.5f};
// [true][predicted], counted by hand from the table above.
const std::vector<std::vector<int64_t>> kConfusion = {{2, 1, 1}, {0, 2, 1}, {1, 1, 3}};

void write_dataset(hid_t f, const char* name, std::vector<hsize_t> dims, hid_t type, const void* data) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d < 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw std::runtime_error(std::string("hand.h5: writing ") + name + " failed");
  H5Dclose(d);
  H5Sclose(space);
}

void write_data(const std::string& path) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) throw std::runtime_error(path + ": cannot create");
  write_dataset(f, "x", {kN, kC}, H5T_NATIVE_FLOAT, kX);
  write_dataset(f, "y", {kN}, H5T_NATIVE_INT32, kY);
  H5Fclose(f);
}

void write_model(const std::string& path) {
  Config cfg(train_options());
  cfg.load_yaml(YAML::Load("data: {file: hand.h5, train_features: /x, train_labels: /y, test_features: /x, "
                           "test_labels: /y}\nmodel: {layers: [{type: dense, units: 3}]}"),
                "hand_made.cpp");
  cfg.check_required();
  Model model(cfg.get_node("model.layers"), {kC}, 16, "hand_made.cpp");
  for (const auto& v : model.store().views()) {
    float* p = model.store().params() + v.offset;
    if (v.name == "layers.0.weight" && v.count == kC * kC)
      for (int i = 0; i < kC * kC; ++i) p[i] = i % (kC + 1) == 0 ? 1.0f : 0.0f;  // identity
    else if (v.name == "layers.0.bias" && v.count == kC)
      std::copy(kBias, kBias + kC, p);
    else
      throw std::runtime_error("hand_made: unexpected parameter " + v.name);
  }
  save_model(path, model, {cfg.to_yaml(), {kC}, 1, 1});
}

nlohmann::json expected() {
  nlohmann::json probs = nlohmann::json::array();
  double loss = 0;
  for (int i = 0; i < kN; ++i) {
    double z[kC], mx = -INFINITY, sum = 0;
    for (int j = 0; j < kC; ++j) z[j] = double(kX[i][j]) + kBias[j], mx = std::max(mx, z[j]);
    for (int j = 0; j < kC; ++j) sum += std::exp(z[j] - mx);
    loss += std::log(sum) + mx - z[kY[i]];
    std::vector<double> p(kC);
    for (int j = 0; j < kC; ++j) p[j] = std::exp(z[j] - mx) / sum;
    probs.push_back(p);
  }
  return {{"samples", kN},
          {"confusion", kConfusion},
          {"per_class_samples", {4, 3, 5}},
          {"per_class_accuracy", {2.0 / 4, 2.0 / 3, 3.0 / 5}},
          {"accuracy", 7.0 / 12},
          {"loss", loss / kN},
          {"predicted", std::vector<int32_t>(kPredicted, kPredicted + kN)},
          {"probabilities", probs}};
}
}  // namespace

void write_hand_made(const std::string& dir) {
  write_data(dir + "/hand.h5");
  write_model(dir + "/hand_model.h5");
  std::ofstream(dir + "/hand_expected.json") << expected().dump(1) << "\n";
}

}  // namespace dpt::test
