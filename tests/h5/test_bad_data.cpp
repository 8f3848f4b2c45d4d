// Wrong data is named as data: NaN/Inf features found when rows are read (file, dataset, row,
// column), labels reported at full width, truncated files, missing filters and dangling links
// named with the file, and the memory check's one line.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "core/memory.hpp"
#include "h5/sample_source.hpp"
#include "input/sample_rows.hpp"
#include "support/h5_put.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

using namespace dpt;

namespace {
bool has(const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; }

using test::put_dataset;

// /train/x (n, D) of type T (chunks of 16 rows) and int32 labels /train/y.
template <class T>
std::string write_file(const std::string& path, int64_t n, int64_t D, const std::vector<T>& x, hid_t ftype,
                       hid_t mtype) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[2] = {16, static_cast<hsize_t>(D)};
  H5Pset_chunk(dcpl, 2, chunk);
  put_dataset(f, "/train/x", ftype, mtype, {hsize_t(n), hsize_t(D)}, x.data(), dcpl);
  std::vector<int32_t> y(static_cast<size_t>(n), 1);
  put_dataset(f, "/train/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {hsize_t(n)}, y.data());
  H5Pclose(dcpl);
  H5Fclose(f);
  return path;
}

SplitPaths paths(const std::string& file) {
  return {file, "/train/x", "/train/y", "data.train_features", "data.train_labels"};
}
}  // namespace

TEST(BadData, NonFiniteFeatureNamedByFileDatasetRowColumnOnEveryReadPath) {
  const std::string dir = test::temp_dir("nanfeat");
  const int64_t n = 40, D = 6;
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    std::vector<float> x(static_cast<size_t>(n * D), 0.5f);
    x[static_cast<size_t>(33 * D + 4)] = bad;
    const auto file = write_file(dir + "/f.h5", n, D, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
    const SampleSource src(paths(file), 1.0f);
    const std::string want = fmt::format("{}: '/train/x' (data.train_features) row 33 column 4 has value {}", file,
                                         std::isnan(bad) ? "nan" : "-inf");
    EXPECT_PRED2(has, test::error_of([&] { load_block(src, 0, n); }), want);      // validation / test / evaluate
    EXPECT_PRED2(has, test::error_of([&] { load_shard(src, {39, 33}); }), want);  // carved rows
    std::vector<unsigned char> raw(static_cast<size_t>(n * src.row_bytes()));
    std::vector<int32_t> y(static_cast<size_t>(n));
    EXPECT_PRED2(has, test::error_of([&] { src.read_raw(30, 40, raw.data(), y.data()); }),
                 want);                                          // training, streaming
    EXPECT_NO_THROW(src.read_raw(0, 33, raw.data(), y.data()));  // rows before it are fine
  }
}

TEST(BadData, Float64BeyondFloat32RangeIsNotFinite) {
  const std::string dir = test::temp_dir("f64feat");
  std::vector<double> x(20 * 3, 1.0);
  x[5 * 3 + 2] = 1e39;  // finite as float64, +inf as float32
  const auto file = write_file(dir + "/f.h5", 20, 3, x, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
  const SampleSource src(paths(file), 1.0f);
  const auto msg = test::error_of([&] { load_block(src, 0, 20); });
  EXPECT_PRED2(has, msg, "row 5 column 2 has value 1e+39; features must be finite (as float32)");
}

TEST(BadData, IntegerFeaturesNeedNoScanAndCleanFloatsPass) {
  const std::string dir = test::temp_dir("cleanfeat");
  std::vector<float> x(64 * 5, -3.25f);
  const auto file = write_file(dir + "/f.h5", 64, 5, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
  const SampleSource src(paths(file), 1.0f);
  const Shard s = load_block(src, 0, 64);
  EXPECT_EQ(s.x[64 * 5 - 1], -3.25f);
}

TEST(BadData, LabelBeyondInt32ReportedAtFullWidth) {
  const std::string dir = test::temp_dir("biglab");
  const std::string file = dir + "/l.h5";
  hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<uint8_t> x(30 * 2, 1);
  std::vector<int64_t> y(30, 0);
  y[17] = (int64_t{1} << 33) + 1;
  put_dataset(f, "/train/x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {30, 2}, x.data());
  put_dataset(f, "/train/y", H5T_STD_I64LE, H5T_NATIVE_INT64, {30}, y.data());
  H5Fclose(f);
  const SampleSource src(paths(file), 1.0f);
  const auto msg = test::error_of([&] { src.check_labels(0, 30, 10); });
  EXPECT_PRED2(has, msg, "row 17 has label 8589934593, outside [0, 10)");
}

TEST(BadData, TruncatedFileSaysSoWithItsSizes) {
  const std::string dir = test::temp_dir("trunc");
  std::vector<float> x(200 * 8, 1.0f);
  const auto file = write_file(dir + "/t.h5", 200, 8, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
  const auto full = static_cast<int64_t>(std::filesystem::file_size(file));
  std::filesystem::resize_file(file, static_cast<uintmax_t>(full / 2));
  const auto msg = test::error_of([&] { SampleSource(paths(file), 1.0f); });
  EXPECT_PRED2(has, msg,
               fmt::format("{}: truncated file: {} bytes on disk, but the file's superblock says it ends at "
                           "byte {}",
                           file, full / 2, full));
}

// Found by tests/fuzz/fuzz_h5_reader: superblock addresses near 2^63 overflowed int64 (UB) and
// could add up to a small end address, so a damaged superblock was reported as a truncated file.
TEST(BadData, DamagedSuperblockAddressesAreNoTruncation) {
  const std::string file = test::temp_dir("superblock") + "/s.h5";
  unsigned char b[128] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 2, 8, 8, 0};  // version 2, 8-byte offsets
  for (int k = 0; k < 8; ++k) b[12 + k] = k == 7 ? 0x7f : 0xff;                      // base address 2^63 - 1
  for (int k = 0; k < 8; ++k) b[28 + k] = k == 0 ? 0xe8 : k == 1 ? 0x03 : k == 7 ? 0x80 : 0;  // 2^63 + 1000
  FILE* f = std::fopen(file.c_str(), "wb");
  ASSERT_TRUE(f);
  ASSERT_EQ(std::fwrite(b, 1, sizeof b, f), sizeof b);
  std::fclose(f);
  const auto msg = test::error_of([&] { SampleSource(paths(file), 1.0f); });
  EXPECT_PRED2(has, msg, file + ": cannot open HDF5 file");
  EXPECT_FALSE(has(msg, "truncated")) << msg;
}

namespace {
size_t identity_filter(unsigned, size_t, const unsigned[], size_t nbytes, size_t*, void**) { return nbytes; }
}  // namespace

TEST(BadData, MissingFilterNamedWithHowToConvert) {
  const std::string dir = test::temp_dir("lzf");
  const std::string file = dir + "/z.h5";
  const H5Z_class2_t lzf = {H5Z_CLASS_T_VERS, 32000, 1, 1, "lzf", nullptr, nullptr, identity_filter};
  ASSERT_GE(H5Zregister(&lzf), 0);
  hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[2] = {8, 4};
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_filter(dcpl, 32000, H5Z_FLAG_OPTIONAL, 0, nullptr);
  std::vector<float> x(16 * 4, 1.0f);
  std::vector<int32_t> y(16, 0);
  put_dataset(f, "/train/x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {16, 4}, x.data(), dcpl);
  put_dataset(f, "/train/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {16}, y.data());
  H5Pclose(dcpl);
  H5Fclose(f);
  ASSERT_GE(H5Zunregister(32000), 0);
  unsigned loading = 0;  // no lzf plugin, whatever this machine has installed
  H5PLget_loading_state(&loading);
  H5PLset_loading_state(0);
  const auto msg = test::error_of([&] { SampleSource(paths(file), 1.0f); });
  H5PLset_loading_state(loading);
  EXPECT_PRED2(has, msg,
               file + ": dataset '/train/x' (data.train_features) is compressed with HDF5 filter 32000 'lzf'");
  EXPECT_PRED2(has, msg, "h5repack -f GZIP=4 " + file + " out.h5");
}

TEST(BadData, DanglingLinksNamedWithTheirTargets) {
  const std::string dir = test::temp_dir("links");
  const std::string file = dir + "/l.h5";
  hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<float> x(16 * 4, 1.0f);
  std::vector<int32_t> y(16, 0);
  put_dataset(f, "/real/x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {16, 4}, x.data());
  put_dataset(f, "/train/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {16}, y.data());
  H5Lcreate_soft("/nowhere/x", f, "/train/x", H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_soft("/real/x", f, "/train/good", H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_soft("/missing_group", f, "/via", H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_external("gone.h5", "/data/x", f, "/train/ext", H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  SplitPaths p = paths(file);
  EXPECT_PRED2(has, test::error_of([&] { SampleSource(p, 1.0f); }),
               file +
                   ": dataset '/train/x' (data.train_features): '/train/x' is a soft link to '/nowhere/x', which "
                   "does not exist in the file");
  p.features = "/via/x";  // a dangling link on the way
  EXPECT_PRED2(has, test::error_of([&] { SampleSource(p, 1.0f); }),
               "dataset '/via/x' (data.train_features): '/via' is a soft link to '/missing_group'");
  p.features = "/train/ext";
  EXPECT_PRED2(has, test::error_of([&] { SampleSource(p, 1.0f); }),
               file +
                   ": dataset '/train/ext' (data.train_features): '/train/ext' is an external link to '/data/x' in "
                   "file 'gone.h5', which cannot be opened");
  p.features = "/train/good";  // a soft link that resolves is fine
  EXPECT_EQ(SampleSource(p, 1.0f).size(), 16);
}

TEST(Memory, CheckNamesTheLargestNeedItsBytesAndTheHint) {
  setenv("DPTRAIN_TEST_MEMAVAILABLE", "1000", 1);
  const MemoryAvailable a = memory_available(2);
  unsetenv("DPTRAIN_TEST_MEMAVAILABLE");
  EXPECT_EQ(a.bytes, 500);
  EXPECT_PRED2(has, a.source, "DPTRAIN_TEST_MEMAVAILABLE 1000 bytes / 2 ranks on this node");
  EXPECT_NO_THROW(check_memory({{"small", 200, "h1"}, {"other", 300, "h2"}}, a));
  const auto msg = test::error_of([&] {
    check_memory({{"d.h5: '/x' rows 0..9", 400, "lower it"}, {"b", 200, "no"}}, a);
  });
  EXPECT_PRED2(has, msg,
               "d.h5: '/x' rows 0..9 need 400 bytes (400 bytes) on this rank (600 bytes in all with the "
               "rank's other data), but 500 bytes (500 bytes) are available (DPTRAIN_TEST_MEMAVAILABLE");
  EXPECT_PRED2(has, msg, "; lower it");
  EXPECT_EQ(mul_bytes(int64_t{1} << 40, int64_t{1} << 40), std::numeric_limits<int64_t>::max());
  const MemoryAvailable real = memory_available(1);  // /proc/meminfo on Linux
  EXPECT_GT(real.bytes, 0);
  EXPECT_PRED2(has, real.source, "MemAvailable");
}
