// Helpers shared by the training tests: a small synthetic HDF5 data set and a config over it.
#pragma once
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "comm/comm.hpp"
#include "core/config.hpp"
#include "support/synth_data.hpp"
#include "train/train_config.hpp"

namespace dpt::test {

// A synthetic 4-class problem with train and test splits, written once by rank 0.
inline std::string synth_file(const Comm& c, const std::string& tag, int64_t n_train = 240) {
  const std::string dir = temp_dir(tag);
  const std::string file = dir + "/synth.h5";
  if (c.rank() == 0) {
    SynthSpec train;
    train.n = n_train, train.shape = {3, 5}, train.elem = test::Elem::U8, train.features = "/train/x",
    train.labels = "/train/y";
    write_synth(file, train);
    SynthSpec test = train;
    test.n = 97, test.seed = 99, test.features = "/test/x", test.labels = "/test/y";
    write_synth(file, test, /*append=*/true);
  }
  c.barrier();
  return file;
}

inline Config make_config(const std::string& file, const std::string& extra) {
  Config cfg(train_options());
  cfg.load_yaml(YAML::Load(fmt::format(R"(
seed: 11
data: {{file: {}, train_features: /train/x, train_labels: /train/y, test_features: /test/x, test_labels: /test/y,
       scale: 1/180}}
model:
  layers: [{{type: dense, units: 32}}, {{type: relu}}, {{type: dense, units: 16}}, {{type: relu}}, {{type: dense, units: 4}}]
optimizer: {{lr: 0.1, momentum: 0.9}}
train: {{batch_size: 24, epochs: 3}}
)",
                                       file)),
                "test");
  if (!extra.empty()) cfg.load_yaml(YAML::Load(extra), "test-extra");
  return cfg;
}

inline double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(a[i])));
  }
  return diff / std::max(scale, 1e-30);
}

}  // namespace dpt::test
