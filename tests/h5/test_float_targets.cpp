// Regression targets through the data path: float32/float64 (N) and (N, T) label datasets and
// integer ones (cast) read as float32 into the 4-byte target slots (SampleSource, Shard, RawRows),
// and the errors for a wrong type or shape.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "input/sample_rows.hpp"
#include "support/data_test_util.hpp"
#include "support/synth_data.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
constexpr int64_t kN = 40;

// Adds dataset `name` of shape dims to an existing file, stored as file_type, from doubles.
void add_dataset(const std::string& file, const char* name, const std::vector<hsize_t>& dims, hid_t file_type,
                 const std::vector<double>& v) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(f, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  H5Dclose(d), H5Sclose(space), H5Fclose(f);
}

float slot_value(const int32_t* slots, int64_t i) {
  float v;
  std::memcpy(&v, slots + i, sizeof v);
  return v;
}

SplitPaths targets(const std::string& file, const std::string& labels) {
  SplitPaths p{file, "/train/x", labels, "data.train_features", "data.train_labels"};
  p.float_targets = true;
  return p;
}

// A file with features /train/x (kN, 3), class labels /train/y and several target datasets.
std::string target_file() {
  const std::string dir = temp_dir("targets");
  SynthSpec s;
  s.n = kN, s.shape = {3};
  write_synth(dir + "/t.h5", s);
  std::vector<double> one(kN), two(2 * kN), four(4 * kN, 0.5);
  for (int64_t i = 0; i < kN; ++i) one[i] = 0.25 * static_cast<double>(i) - 3;  // exact in float32
  for (int64_t i = 0; i < 2 * kN; ++i) two[i] = -0.125 * static_cast<double>(i);
  add_dataset(dir + "/t.h5", "/train/t32", {kN}, H5T_IEEE_F32LE, one);
  add_dataset(dir + "/t.h5", "/train/t64x2", {kN, 2}, H5T_IEEE_F64LE, two);
  add_dataset(dir + "/t.h5", "/train/cube", {kN, 2, 2}, H5T_IEEE_F32LE, four);
  one[7] = NAN;
  add_dataset(dir + "/t.h5", "/train/nan", {kN}, H5T_IEEE_F64LE, one);
  return dir + "/t.h5";
}
}  // namespace

TEST(FloatTargets, Float32AndFloat64ReadIntoTheTargetSlots) {
  const std::string file = target_file();
  const SampleSource one(targets(file, "/train/t32"), 1.0f);
  EXPECT_EQ(one.target_slots(), 1);
  const std::vector<int64_t> idx{5, 0, 39, 17};
  std::vector<float> x(idx.size() * 3);
  std::vector<int32_t> y(idx.size());
  one.read(idx, x.data(), y.data());
  for (size_t k = 0; k < idx.size(); ++k) EXPECT_EQ(slot_value(y.data(), k), 0.25f * idx[k] - 3) << k;
  EXPECT_NO_THROW(one.check_labels(0, kN, 1));

  const SampleSource two(targets(file, "/train/t64x2"), 1.0f);
  EXPECT_EQ(two.target_slots(), 2);
  const Shard sh = load_shard(two, idx);
  EXPECT_EQ(sh.slots, 2);
  for (size_t k = 0; k < idx.size(); ++k)
    for (int j = 0; j < 2; ++j) EXPECT_EQ(slot_value(sh.y_at(static_cast<int64_t>(k)), j), -0.125f * (2 * idx[k] + j));
  // The exchange path: rows of raw features + target slots, converted per batch.
  RawRows rr;
  rr.src = &two, rr.n = 3, rr.row_bytes = two.row_bytes() + 8;
  std::vector<unsigned char> raw(static_cast<size_t>(3 * two.row_bytes()));
  std::vector<int32_t> slots(6);
  two.read_raw(10, 13, raw.data(), slots.data());
  rr.bytes.resize(static_cast<size_t>(3 * rr.row_bytes));
  for (int i = 0; i < 3; ++i) {
    std::memcpy(rr.bytes.data() + i * rr.row_bytes, raw.data() + i * two.row_bytes(),
                static_cast<size_t>(two.row_bytes()));
    std::memcpy(rr.bytes.data() + i * rr.row_bytes + two.row_bytes(), &slots[2 * i], 8);
  }
  std::vector<float> bx(6);
  std::vector<int32_t> by(4);
  rr.batch(1, 2, bx.data(), by.data());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(slot_value(by.data(), i), -0.125f * (22 + i)) << i;
  EXPECT_NO_THROW(two.check_labels(0, kN, 2));
  const std::string msg = error_of([&] { two.check_labels(0, kN, 1); });
  EXPECT_NE(msg.find("'/train/t64x2' (data.train_labels) has regression targets of shape (2) (2 values) per sample "
                     "but the model's output per sample is (1) (1 values)"),
            std::string::npos)
      << msg;
}

TEST(FloatTargets, IntegerLabelsWithMseAreCastToFloat) {
  const std::string file = target_file();
  SynthSpec s;
  s.n = kN, s.shape = {3};
  const SampleSource src(targets(file, "/train/y"), 1.0f);
  const Shard sh = load_block(src, 0, kN);
  for (int64_t i = 0; i < kN; ++i) EXPECT_EQ(slot_value(sh.y.data(), i), static_cast<float>(synth_label(s, i))) << i;
}

TEST(FloatTargets, ErrorsNameTheDatasetAndWhatWasFound) {
  const std::string file = target_file();
  // Float labels with cross_entropy: one line that points at loss: mse.
  SplitPaths ce{file, "/train/x", "/train/t32", "data.train_features", "data.train_labels"};
  std::string msg = error_of([&] { SampleSource(ce, 1.0f); });
  EXPECT_NE(msg.find("t.h5: dataset '/train/t32' (data.train_labels) has float elements; class labels must be "
                     "integers (loss cross_entropy; for regression targets set loss: mse)"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  // A target field (N, 2, 2): 4 slots per sample (tests/h5/test_sample_layout.cpp reads fields).
  EXPECT_EQ(SampleSource(targets(file, "/train/cube"), 1.0f).target_slots(), 4);
  const SampleSource nan(targets(file, "/train/nan"), 1.0f);
  msg = error_of([&] { nan.check_labels(0, kN, 1); });
  EXPECT_NE(msg.find("'/train/nan' (data.train_labels) row 7 has target nan; regression targets must be finite"),
            std::string::npos)
      << msg;
  EXPECT_NO_THROW(nan.check_labels(8, kN, 1));  // another rank's block without the bad row
}
