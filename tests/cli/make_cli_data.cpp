// Writes the files the CLI error tests use into DIR: good and bad HDF5 files, configs.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "hand_made.hpp"
#include "init_files.hpp"
#include "support/synth_data.hpp"

using dpt::test::SynthSpec;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  auto spec = [](int64_t n, std::vector<int64_t> shape, int classes, const char* x, const char* y) {
    SynthSpec s;
    s.n = n, s.shape = std::move(shape), s.classes = classes, s.features = x, s.labels = y;
    s.elem = dpt::test::Elem::U8;
    return s;
  };
  dpt::test::write_synth(dir + "/good.h5", spec(64, {12}, 4, "/train/x", "/train/y"));
  dpt::test::write_synth(dir + "/good.h5", spec(32, {12}, 4, "/test/x", "/test/y"), true);
  dpt::test::write_synth(dir + "/good.h5", spec(32, {5}, 4, "/odd/x", "/odd/y"), true);
  dpt::test::write_synth(dir + "/badlabels.h5", spec(64, {12}, 10, "/train/x", "/train/y"));
  dpt::test::write_synth(dir + "/badlabels.h5", spec(32, {12}, 4, "/test/x", "/test/y"), true);
  dpt::test::write_synth(dir + "/flat.h5", spec(64, {}, 4, "/train/x", "/train/y"));
  dpt::test::write_synth(dir + "/one.h5", spec(1, {12}, 4, "/train/x", "/train/y"));
  dpt::test::write_synth(dir + "/one.h5", spec(32, {12}, 4, "/test/x", "/test/y"), true);
  std::ofstream(dir + "/notes.txt") << "this is not an HDF5 file\n";
  dpt::test::write_hand_made(dir);
  dpt::test::write_init_files(dir);
  // Run directories for plot: none, one without an epoch record, one with three epochs (val + test).
  std::filesystem::create_directories(dir + "/nometrics");
  std::filesystem::create_directories(dir + "/norecords");
  std::ofstream(dir + "/norecords/metrics.jsonl") << R"({"event": "end", "reason": "signal", "step": 0})"
                                                  << "\n";
  std::filesystem::create_directories(dir + "/handrun");
  std::ofstream hr(dir + "/handrun/metrics.jsonl");
  for (int e = 1; e <= 3; ++e)
    hr << "{\"epoch\": " << e << ", \"elapsed_s\": " << 1.5 * e << ", \"train_loss\": " << 1.0 / e
       << ", \"train_accuracy\": " << 0.5 + 0.1 * e << ", \"val_loss\": " << 1.2 / e
       << ", \"val_accuracy\": " << 0.45 + 0.1 * e << ", \"test_loss\": " << 1.1 / e
       << ", \"test_accuracy\": " << 0.4 + 0.1 * e << "}\n";
  hr << R"({"event": "end", "reason": "epochs", "step": 30})"
     << "\n";
  std::ofstream(dir + "/good.yaml") << R"(# small valid config
data: {file: good.h5, train_features: /train/x, train_labels: /train/y, test_features: /test/x, test_labels: /test/y,
       scale: 1/180}
model:
  layers: [{type: dense, units: 8}, {type: relu}, {type: dense, units: 4}]
train: {epochs: 2, batch_size: 16}
)";
  std::ofstream(dir + "/malformed.yaml") << "data:\n  file: good.h5\n  scale: [1, 2\nmodel: {}\n";
  std::ofstream(dir + "/typo.yaml") << "data: {file: good.h5}\noptimizer:\n  lrate: 0.1\n";
  std::ofstream(dir + "/dup.yaml") << "data: {file: good.h5}\ntrain:\n  epochs: 2\n  batch_size: 16\n  epochs: 3\n";
  std::ofstream(dir + "/dup_layer.yaml")
      << "data: {file: good.h5}\nmodel:\n  layers:\n    - {type: dense, units: 8, units: 4}\n";
  std::filesystem::create_directories(dir + "/adir.yaml");
  std::cout << "wrote test data to " << dir << "\n";
  return 0;
}
