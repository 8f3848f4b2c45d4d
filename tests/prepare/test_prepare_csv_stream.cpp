// The streaming path of `prepare csv`: a file many times larger than a tiny read buffer, written in
// chunks of a few rows, gives exactly the rows, splits and statistics computed here directly and
// the same file as a run with the default buffer and chunk sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/data_test_util.hpp"
#include "support/synth_data.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
struct Generated {
  std::string text;
  std::array<std::vector<std::vector<float>>, 3> rows;  // expected stored rows per split (missing: NaN)
  std::array<std::vector<int32_t>, 3> labels;
};

// 3000 data rows with CRLF line ends, a byte-order mark, quoted fields, blank lines, an exact
// duplicate every 50 rows and a missing cell every 97 rows.
Generated generate(uint64_t seed, const std::array<double, 3>& fr) {
  Generated g;
  g.text =
      "\xEF\xBB\xBF"
      "f0,\"f 1\",label,f2,f3\r\n";
  std::string prev;
  for (int i = 0; i < 3000; ++i) {
    std::string line;
    std::vector<float> x;
    const bool dup = i % 50 == 49;
    if (dup) {
      line = prev;
    } else {
      const bool missing = i % 97 == 3;
      x = {static_cast<float>(i * 0.5), missing ? NAN : static_cast<float>((i * 7) % 13 - 6),
           static_cast<float>(i % 100), static_cast<float>(std::sin(i))};
      line = fmt::format("{},{},{},\"{}\",{:.6g}", i * 0.5, missing ? "" : std::to_string((i * 7) % 13 - 6), i % 4,
                         i % 100, std::sin(i));
      // The expected value is what the text parses to.
      x[3] = static_cast<float>(std::stod(fmt::format("{:.6g}", std::sin(i))));
      const int s = split_of(seed, i, fr);
      g.rows[s].push_back(x);
      g.labels[s].push_back(i % 4);
    }
    g.text += line + "\r\n";
    if (i % 333 == 0) g.text += "\r\n";  // blank lines are skipped
    prev = line;
  }
  return g;
}

std::array<Rows, 3> read_all(const std::string& file) {
  std::array<Rows, 3> r;
  const char* names[3] = {"train", "val", "test"};
  for (int s = 0; s < 3; ++s) r[s] = read_raw_rows(SampleSource(split_paths(file, names[s]), 1.0f));
  return r;
}
}  // namespace

TEST(PrepareCsvStream, TinyBufferAndChunksGiveTheExpectedFile) {
  const std::string dir = temp_dir("csvstream");
  const std::array<double, 3> fr{0.6, 0.25, 0.15};
  const uint64_t seed = 2024;
  Generated g = generate(seed, fr);
  // Median of the observed training values of f1, filled into every split.
  std::vector<float> obs;
  for (const auto& x : g.rows[0])
    if (!std::isnan(x[1])) obs.push_back(x[1]);
  std::sort(obs.begin(), obs.end());
  const size_t n = obs.size();
  const float median = static_cast<float>((double{obs[(n - 1) / 2]} + double{obs[n / 2]}) / 2);
  for (auto& split : g.rows)
    for (auto& x : split)
      if (std::isnan(x[1])) x[1] = median;

  const std::string in = write_text(dir + "/big.csv", g.text);
  CsvPrepareOptions small = csv_options(in, dir + "/small.h5", "label");
  small.split = fr, small.seed = seed, small.drop_duplicates = true, small.missing = MissingMode::Median;
  small.normalize = Normalize::ZScore;
  small.buffer_bytes = 7;  // far smaller than one line: every line straddles buffer refills
  small.chunk_rows = 5;    // hundreds of appends per split
  ASSERT_GT(g.text.size(), 10000 * small.buffer_bytes);
  const CsvPrepareReport r = prepare_csv(small);
  EXPECT_EQ(r.rows_read, 3000);
  EXPECT_EQ(r.duplicates, 60);
  EXPECT_EQ(r.features, (std::vector<std::string>{"f0", "f 1", "f2", "f3"}));
  EXPECT_FLOAT_EQ(static_cast<float>(r.fill[1]), median);

  const auto got = read_all(small.out);
  for (int s = 0; s < 3; ++s) {
    ASSERT_EQ(got[s].x.size(), g.rows[s].size()) << "split " << s;
    EXPECT_EQ(got[s].y, g.labels[s]) << "split " << s;
    for (size_t i = 0; i < g.rows[s].size(); ++i) ASSERT_EQ(got[s].x[i], g.rows[s][i]) << "split " << s << " row " << i;
  }
  // The same as one pass with the default 1 MiB buffer and automatic chunks.
  CsvPrepareOptions big = small;
  big.out = dir + "/default.h5", big.buffer_bytes = 1 << 20, big.chunk_rows = 0;
  prepare_csv(big);
  const auto ref = read_all(big.out);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(ref[s].x, got[s].x);
    EXPECT_EQ(ref[s].y, got[s].y);
  }
  EXPECT_EQ(SampleSource(split_paths(small.out, "train"), 1.0f).norm(),
            SampleSource(split_paths(big.out, "train"), 1.0f).norm());
}
