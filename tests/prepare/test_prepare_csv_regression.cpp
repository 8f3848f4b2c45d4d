// `prepare csv --task regression` on a hand-made file: float targets, optionally standardized with
// the training split's statistics (stored as attributes), read back through the trainer's reader.
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
double attr(const std::string& file, const char* dset, const char* name) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, dset, H5P_DEFAULT);
  hid_t a = H5Aopen(d, name, H5P_DEFAULT);
  double v = NAN;
  if (a >= 0) H5Aread(a, H5T_NATIVE_DOUBLE, &v), H5Aclose(a);
  H5Dclose(d), H5Fclose(f);
  return v;
}

std::vector<float> stored_targets(const std::string& file) {
  SplitPaths p = split_paths(file, "train");
  p.float_targets = true;
  const SampleSource src(p, 1.0f);
  const Shard sh = load_block(src, 0, src.size());
  std::vector<float> t(static_cast<size_t>(sh.rows));
  std::memcpy(t.data(), sh.y.data(), t.size() * sizeof(float));
  return t;
}
}  // namespace

TEST(PrepareCsvRegression, FloatTargetsOptionallyStandardizedWithTrainingStatistics) {
  const std::string dir = temp_dir("csvreg");
  const std::string in = write_text(dir + "/r.csv",
                                    "x1,y,x2\n"
                                    "1,1.5,10\n"
                                    "2,2.5,20\n"
                                    "3,NA,30\n"  // no target: dropped with --missing drop
                                    "4,-0.5,40\n"
                                    "5,4.25,50\n");
  CsvPrepareOptions o = csv_options(in, dir + "/r.h5", "y");
  o.regression = true, o.missing = MissingMode::Drop;
  const CsvPrepareReport r = prepare_csv(o);
  EXPECT_EQ(r.split_rows[0], 4);
  EXPECT_EQ(r.rows_dropped_no_label, 1);
  EXPECT_DOUBLE_EQ(r.targets[0].mean(0), 1.9375);
  EXPECT_EQ(stored_targets(o.out), (std::vector<float>{1.5f, 2.5f, -0.5f, 4.25f}));
  EXPECT_NE(format_report(o, r).find("train 4 rows; target mean 1.9375"), std::string::npos) << format_report(o, r);
  // Integer class labels would refuse these targets.
  SplitPaths as_classes = split_paths(o.out, "train");
  EXPECT_NE(error_of([&] { SampleSource(as_classes, 1.0f); }).find("class labels must be integers"), std::string::npos);

  o.standardize_target = true, o.out = dir + "/rs.h5";
  const CsvPrepareReport s = prepare_csv(o);
  const double mean = 1.9375,
               sd = std::sqrt((0.4375 * 0.4375 + 0.5625 * 0.5625 + 2.4375 * 2.4375 + 2.3125 * 2.3125) / 4);
  EXPECT_NEAR(s.target_offset, mean, 1e-12);
  EXPECT_NEAR(s.target_scale, 1 / sd, 1e-12);
  const std::vector<float> t = stored_targets(o.out);
  const double raw[] = {1.5, 2.5, -0.5, 4.25};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(t[i], static_cast<float>((raw[i] - mean) / sd)) << i;
  EXPECT_NEAR(attr(o.out, "/train/labels", "target_offset"), mean, 1e-12);
  EXPECT_NEAR(attr(o.out, "/test/labels", "target_scale"), 1 / sd, 1e-12);  // every split: the training statistics

  const std::string bad = write_text(dir + "/bad.csv", "x1,y\n1,2\n2,abc\n");
  CsvPrepareOptions b = csv_options(bad, dir + "/bad.h5", "y");
  b.regression = true;
  const std::string msg = error_of([&] { prepare_csv(b); });
  EXPECT_NE(msg.find("bad.csv: row 2 (line 3), target column 'y': value 'abc' is not a number"), std::string::npos)
      << msg;
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad.h5"));
}
