// The parts of `prepare csv` one by one: the CSV reader, cell parsing, the streaming statistics,
// the exact radix-select median and the duplicate-hash set, each against a direct computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "prepare/column_stats.hpp"
#include "prepare/csv_reader.hpp"
#include "prepare/csv_row.hpp"
#include "prepare/hash_set64.hpp"
#include "prepare/radix_select.hpp"
#include "support/data_test_util.hpp"
#include "support/synth_data.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
std::vector<std::vector<std::string>> read_all(const std::string& path, size_t buffer) {
  CsvReader r(path, buffer);
  std::vector<std::string_view> f;
  std::vector<std::vector<std::string>> out;
  while (r.next(f)) out.emplace_back(f.begin(), f.end());
  return out;
}
}  // namespace

TEST(CsvReader, QuotesLineEndsBlankLinesAndBufferSizes) {
  const std::string path = write_text(temp_dir("csvr") + "/q.csv",
                                      "\xEF\xBB\xBFh1,h2,h3\r\n"
                                      "\"a,b\",\"say \"\"hi\"\"\",\n"
                                      "\n"
                                      "   \n"
                                      " 1 ,\"\",x\r\n"
                                      "last,line,no newline");
  const std::vector<std::vector<std::string>> want = {
      {"h1", "h2", "h3"}, {"a,b", "say \"hi\"", ""}, {" 1 ", "", "x"}, {"last", "line", "no newline"}};
  for (size_t buffer : {1, 2, 3, 5, 64, 1 << 20}) EXPECT_EQ(read_all(path, buffer), want) << "buffer " << buffer;
  CsvReader r(path, 4);
  std::vector<std::string_view> f;
  std::vector<int64_t> lines;
  while (r.next(f)) lines.push_back(r.line());
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 5, 6}));
  const std::string bad = write_text(temp_dir("csvr") + "/b.csv", "a,b\n\"x\"y,1\n");
  EXPECT_NE(
      error_of([&] { read_all(bad, 16); }).find(bad + ": line 2: unexpected text after a closing quote (field 1)"),
      std::string::npos);
}

TEST(CsvCells, NumbersAndMissingMarkers) {
  double v = 0;
  for (const char* m : {"", " ", "NA", "na", "N/A", "NaN", "nan", "NAN", "null", "None", " NA "})
    EXPECT_EQ(parse_number(m, v), Cell::Missing) << "'" << m << "'";
  for (auto [text, want] : {std::pair{"1", 1.0}, {"-2.5", -2.5}, {"+3", 3.0}, {" 4e2 ", 400.0}, {".5", 0.5}}) {
    ASSERT_EQ(parse_number(text, v), Cell::Number) << text;
    EXPECT_EQ(v, want) << text;
  }
  for (const char* bad : {"abc", "1,2", "1.2.3", "inf", "-Infinity", "1e400", "3.5e38", "0x10", "1 2"})
    EXPECT_EQ(parse_number(bad, v), Cell::Invalid) << bad;
}

TEST(ColumnStats, StreamingMomentsAndFillMatchDirectComputation) {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> d(1000.0, 0.01);  // a large mean: naive sums would lose digits
  std::vector<double> v;
  ColumnStats s(1);
  for (int i = 0; i < 5000; ++i) v.push_back(d(gen)), s.add(0, v.back());
  s.add_repeated(0, 999.0, 250);
  v.insert(v.end(), 250, 999.0);
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double q = 0;
  for (double x : v) q += (x - mean) * (x - mean);
  EXPECT_EQ(s.count(0), 5250);
  EXPECT_NEAR(s.mean(0), mean, 1e-10);
  EXPECT_NEAR(s.stddev(0), std::sqrt(q / static_cast<double>(v.size())), 1e-9);
  EXPECT_EQ(s.min(0), 999.0);
  EXPECT_EQ(s.max(0), *std::max_element(v.begin(), v.end()));
}

TEST(RadixSelect, ExactOrderStatisticsOfAnyFloats) {
  std::mt19937_64 gen(11);
  std::vector<float> v;
  std::uniform_real_distribution<float> u(-1e3f, 1e3f);
  for (int i = 0; i < 20000; ++i) v.push_back(i % 5 == 0 ? std::round(u(gen)) : u(gen));  // many ties too
  v.push_back(-0.0f), v.push_back(0.0f), v.push_back(1e-40f), v.push_back(-3e38f), v.push_back(3e38f);
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<int64_t> ranks = {0, 1, 7, 10012, 10013, static_cast<int64_t>(v.size()) - 1};
  RadixSelect sel(ranks);
  for (int pass = 0; pass < RadixSelect::kPasses; ++pass) {
    for (float x : v)
      for (size_t p = 0; p < ranks.size(); ++p) sel.observe(p, x);
    sel.end_pass();
  }
  for (size_t p = 0; p < ranks.size(); ++p) EXPECT_EQ(sel.result(p), sorted[static_cast<size_t>(ranks[p])]) << ranks[p];
  for (float a : {-5.0f, -1e-30f, 0.0f, 1e-30f, 2.5f}) EXPECT_LT(order_key(a), order_key(std::nextafter(a, 1e9f))) << a;
  EXPECT_EQ(from_order_key(order_key(-7.25f)), -7.25f);
}

TEST(HashSet64, FindsEveryRepeatAcrossGrowth) {
  HashSet64 s;
  std::mt19937_64 gen(1);
  std::vector<uint64_t> keys;
  for (int i = 0; i < 50000; ++i) keys.push_back(gen());
  keys.push_back(0), keys.push_back(1);  // 0 is stored as 1: they count as one value
  size_t fresh = 0;
  for (uint64_t k : keys) fresh += s.insert(k);
  EXPECT_EQ(fresh, 50001u);
  for (uint64_t k : keys) EXPECT_FALSE(s.insert(k));
  EXPECT_EQ(s.size(), 50001u);
  EXPECT_LE(s.bytes(), 50001u * 23);  // 8-byte slots, table between 35 % and 70 % full
  EXPECT_GE(s.bytes(), 50001u * 11);
}
