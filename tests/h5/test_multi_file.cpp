// One data set in several HDF5 files (a list or a glob) reads exactly like the same rows in one
// concatenated file; files that disagree on shape, type or stored normalization are refused.
#include <gtest/gtest.h>

#include <numeric>

#include "h5/file_list.hpp"
#include "input/data_settings.hpp"
#include "support/data_test_util.hpp"
#include "support/synth_data.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
std::string csv_rows(int begin, int end, int features = 3) {
  std::string t = "label";
  for (int j = 0; j < features; ++j) t += fmt::format(",f{}", j);
  t += "\n";
  for (int i = begin; i < end; ++i) {
    t += std::to_string(i % 3);
    for (int j = 0; j < features; ++j) t += fmt::format(",{}", i * 10 + j);
    t += "\n";
  }
  return t;
}

// rows [begin, end) as /train/features + /train/labels of `out`, chunks of 8 rows.
std::string make_h5(const std::string& dir, const std::string& name, int begin, int end, int features = 3,
                    Normalize n = Normalize::None) {
  CsvPrepareOptions o = csv_options(write_text(dir + "/" + name + ".csv", csv_rows(begin, end, features)),
                                    dir + "/" + name + ".h5", "label");
  o.chunk_rows = 8, o.normalize = n;
  prepare_csv(o);
  return o.out;
}

SplitPaths many(const std::vector<std::string>& files) {
  SplitPaths p = split_paths("", "train");
  p.file = "test files", p.files = files;
  return p;
}

class MultiFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = temp_dir("multi");
    whole = make_h5(dir, "whole", 0, 200);
    parts = {make_h5(dir, "part-0", 0, 37), make_h5(dir, "part-1", 37, 137), make_h5(dir, "part-2", 137, 200)};
  }
  std::string dir, whole;
  std::vector<std::string> parts;
};
}  // namespace

TEST_F(MultiFile, RowsAcrossFileBoundariesEqualOneConcatenatedFile) {
  const SampleSource one(split_paths(whole, "train"), 0.5f), split(many(parts), 0.5f);
  ASSERT_EQ(split.size(), 200);
  EXPECT_EQ(split.files(), parts);
  // Random reads (the evaluation path): every boundary and both ends, in any order.
  const std::vector<int64_t> idx = {199, 0, 36, 37, 38, 136, 137, 5, 100, 64, 63, 128, 127, 198};
  std::vector<float> xa(idx.size() * 3), xb(idx.size() * 3);
  std::vector<int32_t> ya(idx.size()), yb(idx.size());
  one.read(idx, xa.data(), ya.data());
  split.read(idx, xb.data(), yb.data());
  EXPECT_EQ(xa, xb);
  EXPECT_EQ(ya, yb);
  EXPECT_EQ(xb[1 * 3 + 2], 0.5f * 2);    // row 0, feature 2
  EXPECT_EQ(xb[3 * 3 + 1], 0.5f * 371);  // row 37 (first row of the second file), feature 1
  // Block reads (the training path: each rank reads a contiguous block once).
  for (auto [a, b] : {std::pair<int64_t, int64_t>{0, 200}, {30, 140}, {37, 137}, {136, 138}, {199, 200}}) {
    std::vector<unsigned char> ra(static_cast<size_t>((b - a) * one.row_bytes())), rb(ra.size());
    std::vector<int32_t> la(static_cast<size_t>(b - a)), lb(la.size());
    one.read_raw(a, b, ra.data(), la.data());
    split.read_raw(a, b, rb.data(), lb.data());
    EXPECT_EQ(ra, rb) << a << ".." << b;
    EXPECT_EQ(la, lb) << a << ".." << b;
  }
  EXPECT_NO_THROW(split.check_labels(0, 200, 3));
  EXPECT_EQ(read_rows(SampleSource(many({parts[2], parts[0]}), 1.0f)).y.size(), 100u);
}

TEST_F(MultiFile, GlobsAndConfigListsNameTheSameDataSet) {
  const SampleSource globbed(split_paths(dir + "/part-*.h5", "train"), 1.0f);
  EXPECT_EQ(globbed.files(), parts);  // sorted by name
  EXPECT_EQ(read_rows(globbed).x, read_rows(SampleSource(split_paths(whole, "train"), 1.0f)).x);

  Config cfg(data_options());
  cfg.load_yaml(YAML::Load(fmt::format("data: {{file: ['{}', '{}'], train_features: /train/features, "
                                       "train_labels: /train/labels, test_features: ''}}\n",
                                       parts[2], dir + "/part-[01].h5")),
                "test.yaml");
  const DataSettings s = read_data_settings(cfg, false);
  EXPECT_EQ(s.train.files, (std::vector<std::string>{parts[2], dir + "/part-[01].h5"}));
  const SampleSource listed(s.train, 1.0f);
  EXPECT_EQ(listed.files(), (std::vector<std::string>{parts[2], parts[0], parts[1]}));  // list order, globs sorted
  EXPECT_EQ(listed.size(), 200);
  EXPECT_EQ(read_rows(listed).x[0], (std::vector<float>{1370, 1371, 1372}));  // the first row of part-2

  EXPECT_NE(error_of([&] { cfg.get_string("data.file"); }).find("config: data.file is a list"), std::string::npos);
  Config saved(data_options());  // the resolved config (run directory, model files) keeps the list
  saved.load_yaml(YAML::Load(cfg.to_yaml()), "config.yaml");
  EXPECT_EQ(saved.get_strings("data.file"), cfg.get_strings("data.file"));

  cfg.set_override("data.file=" + dir + "/part-*.h5");
  EXPECT_EQ(SampleSource(read_data_settings(cfg, false).train, 1.0f).size(), 200);
  EXPECT_NE(
      error_of([&] { cfg.set_override("data.file=[]"); }).find("--set: data.file must be a string or a non-empty list"),
      std::string::npos);
  EXPECT_NE(
      error_of([&] { cfg.set_override("data.file={a: 1}"); }).find("data.file must be a string or a non-empty list"),
      std::string::npos);
}

TEST_F(MultiFile, FilesThatDisagreeAreRefusedNamingTheFile) {
  const std::string wide = make_h5(dir, "wide", 0, 10, 4);
  std::string msg = error_of([&] { SampleSource(many({parts[0], wide}), 1.0f); });
  EXPECT_NE(msg.find(wide + ": '/train/features' (data.train_features) holds float32 samples of shape (4), but " +
                     parts[0] + " holds float32 samples of shape (3)"),
            std::string::npos)
      << msg;

  SynthSpec i16;
  i16.n = 10, i16.shape = {3}, i16.elem = Elem::I16, i16.features = "/train/features", i16.labels = "/train/labels";
  write_synth(dir + "/i16.h5", i16);
  msg = error_of([&] { SampleSource(many({parts[0], dir + "/i16.h5"}), 1.0f); });
  EXPECT_NE(msg.find(dir + "/i16.h5: '/train/features' (data.train_features) holds int16 samples of shape (3)"),
            std::string::npos)
      << msg;

  const std::string normed = make_h5(dir, "normed", 200, 220, 3, Normalize::ZScore);
  msg = error_of([&] { SampleSource(many({parts[0], normed}), 1.0f); });
  EXPECT_NE(msg.find(normed + ": '/train/features' has different stored normalization"), std::string::npos) << msg;

  msg = error_of([&] { SampleSource(many({parts[0], parts[1], parts[0]}), 1.0f); });
  EXPECT_NE(msg.find(parts[0] + ": this file is part of the data set twice"), std::string::npos) << msg;
  msg = error_of([&] { SampleSource(split_paths(dir + "/nothing-*.h5", "train"), 1.0f); });
  EXPECT_NE(msg.find(dir + "/nothing-*.h5: no file matches this pattern"), std::string::npos) << msg;
  msg = error_of([&] { SampleSource(many({parts[0], dir + "/gone.h5"}), 1.0f); });
  EXPECT_NE(msg.find(dir + "/gone.h5: file not found"), std::string::npos) << msg;
}

TEST_F(MultiFile, LabelErrorsNameTheFileAndItsRow) {
  // part-1 holds labels 0..2; checking against 2 classes fails at its first label 2.
  const SampleSource src(many(parts), 1.0f);
  const std::string msg = error_of([&] { src.check_labels(37, 200, 2); });
  // Global row 38 has label 38 % 3 = 2: row 1 of part-1.
  EXPECT_NE(msg.find(parts[1] + ": '/train/labels' (data.train_labels) row 1 has label 2, outside [0, 2)"),
            std::string::npos)
      << msg;
}
