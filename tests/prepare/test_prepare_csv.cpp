// `prepare csv` on small hand-made files with known answers: cleaning (duplicates, missing values),
// normalization from the training split only, the split itself, and what the trainer is fed.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "input/sample_rows.hpp"
#include "support/data_test_util.hpp"
#include "support/synth_data.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
// The value the trainer must see for a raw value under stored normalization.
double expect_norm(double raw, double offset, double scale) { return (raw - offset) * scale; }

void expect_rows_near(const Rows& got, const std::vector<std::vector<double>>& want, double tol, const char* what) {
  ASSERT_EQ(got.x.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    for (size_t j = 0; j < want[i].size(); ++j)
      EXPECT_NEAR(got.x[i][j], want[i][j], tol * std::max(1.0, std::fabs(want[i][j])))
          << what << " row " << i << " feature " << j;
}
}  // namespace

TEST(PrepareCsv, CleansNormalizesAndTheTrainerAppliesTheStoredStatistics) {
  const std::string dir = temp_dir("csv");
  const std::string in = write_text(dir + "/a.csv",
                                    "a,b,label,c\n"
                                    "1,10,0,100\n"
                                    "2,20,1,NA\n"
                                    "3,,0,300\n"
                                    "1,10,0,100\n"  // a duplicate of row 1
                                    "\"4\",40,1,400\n"
                                    "5,50,2,500\n");
  CsvPrepareOptions o = csv_options(in, dir + "/a.h5", "label");
  o.drop_duplicates = true, o.missing = MissingMode::Mean, o.normalize = Normalize::ZScore;
  const CsvPrepareReport r = prepare_csv(o);
  EXPECT_EQ(r.rows_read, 6);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.values_missing, 2);
  EXPECT_EQ(r.values_filled, 2);
  EXPECT_EQ(r.split_rows, (std::array<int64_t, 3>{5, 0, 0}));
  EXPECT_EQ(r.class_counts[0], (std::map<int32_t, int64_t>{{0, 2}, {1, 2}, {2, 1}}));
  EXPECT_EQ(r.features, (std::vector<std::string>{"a", "b", "c"}));

  // Filled by hand: b's training mean is 30, c's is 325. z-score statistics of the filled columns
  // (population standard deviation): a: mean 3, sd sqrt(2); b: mean 30, sd sqrt(200);
  // c: 100, 325, 300, 400, 500: mean 325, sd sqrt(17500).
  const std::vector<std::vector<double>> raw = {{1, 10, 100}, {2, 20, 325}, {3, 30, 300}, {4, 40, 400}, {5, 50, 500}};
  const std::vector<double> offset = {3, 30, 325},
                            scale = {1 / std::sqrt(2.0), 1 / std::sqrt(200.0), 1 / std::sqrt(17500.0)};
  const SampleSource src(split_paths(o.out, "train"), 1.0f);
  ASSERT_TRUE(src.norm().active());
  EXPECT_EQ(src.norm().method, "zscore");
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(src.norm().offset[j], offset[j], 1e-9 * offset[j]);
    EXPECT_NEAR(src.norm().scale[j], scale[j], 1e-9 * scale[j]);
  }
  expect_rows_near(read_raw_rows(src), raw, 0, "stored raw values");
  std::vector<std::vector<double>> want = raw;
  for (auto& row : want)
    for (size_t j = 0; j < 3; ++j) row[j] = expect_norm(row[j], offset[j], scale[j]);
  expect_rows_near(read_rows(src), want, 1e-5, "trainer input (read)");
  EXPECT_EQ(read_rows(src).y, (std::vector<int32_t>{0, 1, 0, 1, 2}));
  // The exchange path (read_raw + convert_row, as EpochData/RawRows use it) gives the same values.
  std::vector<unsigned char> bytes(static_cast<size_t>(src.row_bytes()));
  std::vector<float> x(3);
  int32_t y = 0;
  src.read_raw(4, 5, bytes.data(), &y);
  src.convert_row(bytes.data(), x.data());
  for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(x[j], want[4][j], 1e-5 * std::max(1.0, std::fabs(want[4][j])));
  // data.scale multiplies after the stored normalization.
  const SampleSource half(split_paths(o.out, "train"), 0.5f);
  expect_rows_near(
      read_rows(half),
      [&] {
        auto w = want;
        for (auto& row : w)
          for (double& v : row) v *= 0.5;
        return w;
      }(),
      1e-5, "with data.scale 0.5");
}

TEST(PrepareCsv, MinMaxMapsTheTrainingRangeToZeroOne) {
  const std::string dir = temp_dir("csvmm");
  const std::string in = write_text(dir + "/m.csv", "y,u,k\n0,-2,7\n1,0,7\n0,6,7\n1,2,7\n");
  CsvPrepareOptions o = csv_options(in, dir + "/m.h5", "y");
  o.normalize = Normalize::MinMax;
  prepare_csv(o);
  const SampleSource src(split_paths(o.out, "train"), 1.0f);
  EXPECT_EQ(src.norm().offset, (std::vector<double>{-2, 7}));
  EXPECT_EQ(src.norm().scale, (std::vector<double>{1.0 / 8, 1.0}));  // a constant column keeps scale 1
  expect_rows_near(read_rows(src), {{0, 0}, {0.25, 0}, {1, 0}, {0.5, 0}}, 1e-7, "minmax");
}

TEST(PrepareCsv, NoNormalizationStoresNoStatistics) {
  const std::string dir = temp_dir("csvnone");
  const std::string in = write_text(dir + "/n.csv", "f,label\n1.5,0\n-2.25,1\n");
  prepare_csv(csv_options(in, dir + "/n.h5", "label"));
  const SampleSource src(split_paths(dir + "/n.h5", "train"), 1.0f);
  EXPECT_FALSE(src.norm().active());
  EXPECT_EQ(src.norm().method, "none");
  expect_rows_near(read_rows(src), {{1.5}, {-2.25}}, 0, "raw");
}

TEST(PrepareCsv, StatisticsComeFromTheTrainingSplitOnly) {
  // Training rows hold small values; validation and test rows hold huge ones (and missing cells).
  // Any leak of val/test rows into the statistics would move the mean by about 1e6.
  const std::string dir = temp_dir("csvleak");
  const std::array<double, 3> fr{0.5, 0.25, 0.25};
  const uint64_t seed = 99;
  std::string text = "big,small,label\n";
  std::vector<double> train_big, train_small;
  std::array<int64_t, 3> rows{};
  for (int i = 0; i < 400; ++i) {
    const int s = split_of(seed, i, fr);
    ++rows[s];
    const double big = s == 0 ? i % 10 : 1e6 + i;
    const bool missing = i % 7 == 0;
    const double small = s == 0 ? i % 4 : 5e5;
    if (s == 0) train_big.push_back(big);
    if (s == 0 && !missing) train_small.push_back(small);
    text += fmt::format("{},{},{}\n", big, missing ? "" : fmt::format("{}", small), i % 3);
  }
  ASSERT_GT(rows[1], 50);
  ASSERT_GT(rows[2], 50);
  CsvPrepareOptions o = csv_options(write_text(dir + "/s.csv", text), dir + "/s.h5", "label");
  o.split = fr, o.seed = seed, o.missing = MissingMode::Mean, o.normalize = Normalize::ZScore;
  const CsvPrepareReport r = prepare_csv(o);
  EXPECT_EQ(r.split_rows, rows);

  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  const double fill = static_cast<float>(mean(train_small));  // the training mean of the observed values
  std::vector<double> filled_small = train_small;
  filled_small.resize(train_big.size(), fill);  // the filled training column (order does not matter)
  auto sd = [&](const std::vector<double>& v) {
    const double m = mean(v);
    double q = 0;
    for (double x : v) q += (x - m) * (x - m);
    return std::sqrt(q / static_cast<double>(v.size()));
  };
  for (const char* split : {"train", "val", "test"}) {
    const SampleSource src(split_paths(o.out, split), 1.0f);
    EXPECT_NEAR(src.norm().offset[0], mean(train_big), 1e-9) << split;
    EXPECT_NEAR(src.norm().offset[1], mean(filled_small), 1e-9) << split;
    EXPECT_NEAR(src.norm().scale[0], 1 / sd(train_big), 1e-9) << split;
    EXPECT_NEAR(src.norm().scale[1], 1 / sd(filled_small), 1e-9) << split;
  }
  EXPECT_NEAR(r.fill[1], fill, 1e-12);
  // Validation rows: missing cells get the training mean, not their own split's.
  const Rows val = read_raw_rows(SampleSource(split_paths(o.out, "val"), 1.0f));
  ASSERT_EQ(static_cast<int64_t>(val.x.size()), rows[1]);
  int filled_val = 0;
  for (const auto& row : val.x) {
    EXPECT_GE(row[0], 1e6);
    if (row[1] == 5e5f) continue;
    EXPECT_FLOAT_EQ(row[1], static_cast<float>(fill));
    ++filled_val;
  }
  EXPECT_GT(filled_val, 0);
}

TEST(PrepareCsv, MissingValueModes) {
  const std::string dir = temp_dir("csvmiss");
  const std::string in = write_text(dir + "/m.csv",
                                    "x,y,label\n"
                                    "1,NA,0\n"
                                    "2,4,1\n"
                                    "NaN,6,0\n"
                                    "10,,1\n"
                                    "3,8,0\n");
  auto run = [&](MissingMode m, const std::string& name) {
    CsvPrepareOptions o = csv_options(in, dir + "/" + name + ".h5", "label");
    o.missing = m;
    const CsvPrepareReport r = prepare_csv(o);
    EXPECT_EQ(r.values_missing, 3) << name;
    return std::pair{r, read_raw_rows(SampleSource(split_paths(o.out, "train"), 1.0f))};
  };
  auto [drop, drop_rows] = run(MissingMode::Drop, "drop");
  EXPECT_EQ(drop.rows_dropped_missing, 3);
  EXPECT_EQ(drop.values_filled, 0);
  expect_rows_near(drop_rows, {{2, 4}, {3, 8}}, 0, "drop");
  EXPECT_EQ(drop_rows.y, (std::vector<int32_t>{1, 0}));

  auto [mean, mean_rows] = run(MissingMode::Mean, "mean");  // x: 1, 2, 10, 3 -> 4; y: 4, 6, 8 -> 6
  EXPECT_EQ(mean.values_filled, 3);
  expect_rows_near(mean_rows, {{1, 6}, {2, 4}, {4, 6}, {10, 6}, {3, 8}}, 0, "mean");

  auto [med, med_rows] = run(MissingMode::Median, "median");  // x: 1 2 3 10 -> 2.5 (even); y: 4 6 8 -> 6 (odd)
  EXPECT_EQ(med.passes, 5);
  expect_rows_near(med_rows, {{1, 6}, {2, 4}, {2.5, 6}, {10, 6}, {3, 8}}, 0, "median");

  const std::string msg = error_of([&] { prepare_csv(csv_options(in, dir + "/err.h5", "label")); });
  EXPECT_NE(msg.find(in + ": row 1 (line 2), column 'y': missing value; choose --missing drop, mean or median"),
            std::string::npos)
      << msg;
  EXPECT_FALSE(std::filesystem::exists(dir + "/err.h5"));
}

TEST(PrepareCsv, MissingLabelsAreDroppedOrReported) {
  const std::string dir = temp_dir("csvnolab");
  const std::string in = write_text(dir + "/l.csv", "f,label\n1,0\n2,\n3,NA\n4,1\n");
  CsvPrepareOptions o = csv_options(in, dir + "/l.h5", "label");
  o.missing = MissingMode::Drop;
  const CsvPrepareReport r = prepare_csv(o);
  EXPECT_EQ(r.rows_dropped_no_label, 2);
  EXPECT_EQ(r.split_rows[0], 2);
  o.missing = MissingMode::Mean;
  const std::string msg = error_of([&] { prepare_csv(o); });
  EXPECT_NE(msg.find("row 2 (line 3), label column 'label': the label is missing"), std::string::npos) << msg;
}

TEST(PrepareCsv, DropsExactDuplicatesOnly) {
  const std::string dir = temp_dir("csvdup");
  const std::string in = write_text(dir + "/d.csv",
                                    "a,b,label\n"
                                    "1,2,0\n"
                                    "1.0,2,0\n"  // the same numbers: a duplicate
                                    "1,2,1\n"    // another label: kept
                                    "1,NA,0\n"
                                    "1, NaN ,0\n"  // missing in the same place: a duplicate
                                    "-0,0,0\n"
                                    "0,0,0\n"  // -0 equals 0: a duplicate
                                    "1,2,0\n");
  CsvPrepareOptions o = csv_options(in, dir + "/d.h5", "label");
  o.drop_duplicates = true, o.missing = MissingMode::Mean;
  const CsvPrepareReport r = prepare_csv(o);
  EXPECT_EQ(r.duplicates, 4);
  EXPECT_EQ(r.split_rows[0], 4);
  EXPECT_GT(r.dedup_bytes, 0u);
  o.drop_duplicates = false;
  EXPECT_EQ(prepare_csv(o).split_rows[0], 8);
}

TEST(PrepareCsv, MalformedFilesNameFileRowAndColumn) {
  const std::string dir = temp_dir("csvbad");
  struct Case {
    std::string text, label, expect;
  };
  const std::vector<Case> cases = {
      {"a,b,y\n1,2,0\n3,4\n", "y", "row 2 (line 3) has 2 fields but the header has 3 columns"},
      {"a,b,y\n1,2,0\n3,4,1,5\n", "y", "row 2 (line 3) has 4 fields but the header has 3 columns"},
      {"a,b,y\n1,2,0\n\n3,abc,1\n", "y", "row 2 (line 4), column 'b': value 'abc' is not a number"},
      {"a,b,y\n1,inf,0\n", "y", "row 1 (line 2), column 'b': value 'inf' is not a number"},
      {"a,b,y\n1,1e39,0\n", "y", "row 1 (line 2), column 'b': value '1e39' is not a number"},
      {"a,b,y\n1,2,0\n", "label", "label column 'label' is not in the header (columns: a, b, y)"},
      {"a,b,y\n1,2,0\n1,2,1.5\n", "y", "row 2 (line 3), label column 'y': value '1.5' is not a class label"},
      {"a,b,y\n1,2,-1\n", "y", "row 1 (line 2), label column 'y': value '-1' is not a class label"},
      {"a,b,y\n1,2,cat\n", "y", "row 1 (line 2), label column 'y': value 'cat' is not a class label"},
      {"a,b,y\n1,\"2,0\n", "y", "line 2: a quoted field is not closed"},
      {"a,a,y\n1,2,0\n", "y", "line 1 (header): column name 'a' appears twice"},
      {"y\n1\n", "y", "no feature columns besides the label column 'y'"},
      {"", "y", "empty file; expected a header row"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string in = write_text(fmt::format("{}/bad{}.csv", dir, i), cases[i].text);
    const std::string out = fmt::format("{}/bad{}.h5", dir, i);
    const std::string msg = error_of([&] { prepare_csv(csv_options(in, out, cases[i].label)); });
    EXPECT_EQ(msg.rfind(in + ": ", 0), 0u) << "the message starts with the file: " << msg;
    EXPECT_NE(msg.find(cases[i].expect), std::string::npos) << msg;
    EXPECT_FALSE(std::filesystem::exists(out)) << "no output after a failure: " << out;
  }
  EXPECT_NE(
      error_of([&] { prepare_csv(csv_options(dir + "/none.csv", dir + "/x.h5", "y")); }).find("CSV file not found"),
      std::string::npos);
  const std::string ok = write_text(dir + "/ok.csv", "a,y\n1,0\n");
  EXPECT_NE(error_of([&] {
              prepare_csv(csv_options(ok, dir + "/no/such/dir/x.h5", "y"));
            }).find("output directory '" + dir + "/no/such/dir' does not exist"),
            std::string::npos);
}

TEST(PrepareCsv, SplitAssignmentFollowsTheFractionsAndTheSeed) {
  const std::array<double, 3> fr{0.7, 0.2, 0.1};
  std::array<int64_t, 3> n{};
  int differ = 0;
  for (int64_t i = 0; i < 100000; ++i) {
    ++n[split_of(5, i, fr)];
    EXPECT_EQ(split_of(5, i, fr), split_of(5, i, fr));
    differ += split_of(5, i, fr) != split_of(6, i, fr);
  }
  EXPECT_NEAR(n[0] / 1e5, 0.7, 0.01);
  EXPECT_NEAR(n[1] / 1e5, 0.2, 0.01);
  EXPECT_NEAR(n[2] / 1e5, 0.1, 0.01);
  EXPECT_GT(differ, 30000) << "another seed gives another assignment";
  EXPECT_EQ(parse_split("0.8,0.1,0.1"), (std::array<double, 3>{0.8, 0.1, 0.1}));
  EXPECT_NE(error_of([] { parse_split("0.8,0.1"); }).find("--split 0.8,0.1: expected three fractions"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_split("0.8,0.3,0.1"); }).find("add up to 1"), std::string::npos);
  EXPECT_NE(error_of([] { parse_split("0.8,x,0.1"); }).find("expected three fractions"), std::string::npos);
}
