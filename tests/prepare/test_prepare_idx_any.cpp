// `prepare idx` for IDX files of any element type: each array keeps its type in the HDF5 file, the
// trainer's reader returns the same values, and malformed inputs name the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>

#include "prepare/idx.hpp"
#include "support/data_test_util.hpp"
#include "support/synth_data.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
// Writes an IDX file (gzip'd when the name ends in .gz) from native values, big-endian on disk.
template <class T>
void write_idx(const std::string& path, uint8_t type, const std::vector<uint32_t>& dims, const std::vector<T>& v) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>(d >> s));
  for (const T& x : v) {
    char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    for (size_t i = sizeof(T); i-- > 0;) bytes.push_back(b[i]);
  }
  gzFile f = gzopen(path.c_str(), path.ends_with(".gz") ? "wb" : "wbT");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}
}  // namespace

TEST(PrepareIdx, Int16ImagesAndUint8LabelsKeepTheirTypes) {
  const std::string dir = temp_dir("idxany");
  std::vector<int16_t> img;
  for (int i = 0; i < 7 * 6; ++i) img.push_back(static_cast<int16_t>(i * 997 - 20000));
  write_idx(dir + "/x.idx.gz", 0x0B, {7, 2, 3}, img);
  write_idx(dir + "/y.idx.gz", 0x08, {7}, std::vector<uint8_t>{0, 1, 2, 0, 1, 2, 2});
  const IdxPrepareSummary s = prepare_idx({dir + "/x.idx.gz", dir + "/y.idx.gz"}, {}, dir + "/out.h5");
  EXPECT_EQ(s.train, 7);
  EXPECT_EQ(s.test, 0);
  EXPECT_EQ(s.image_type, "int16");
  EXPECT_EQ(s.label_type, "uint8");
  EXPECT_EQ(s.train_class_counts, (std::map<int64_t, int64_t>{{0, 2}, {1, 2}, {2, 3}}));
  const SampleSource src({dir + "/out.h5", "/train/images", "/train/labels", "a", "b"}, 1.0f);
  EXPECT_EQ(src.element_type(), "int16");
  EXPECT_EQ(src.sample_shape(), (Shape{1, 2, 3}));
  const Rows r = read_rows(src);
  EXPECT_EQ(r.y, (std::vector<int32_t>{0, 1, 2, 0, 1, 2, 2}));
  for (size_t i = 0; i < 7; ++i)
    for (size_t j = 0; j < 6; ++j) EXPECT_EQ(r.x[i][j], static_cast<float>(img[i * 6 + j]));
}

TEST(PrepareIdx, Float32FeaturesInt32LabelsAndATestSplit) {
  const std::string dir = temp_dir("idxf32");
  std::vector<float> tr, te;
  for (int i = 0; i < 5 * 4; ++i) tr.push_back(static_cast<float>(i) * 0.37f - 2.0f);
  for (int i = 0; i < 3 * 4; ++i) te.push_back(-static_cast<float>(i) / 7.0f);
  write_idx(dir + "/tr.idx", 0x0D, {5, 4}, tr);  // plain, not gzip'd
  write_idx(dir + "/trl.idx", 0x0C, {5}, std::vector<int32_t>{4, 3, 2, 1, 0});
  write_idx(dir + "/te.idx.gz", 0x0D, {3, 4}, te);
  write_idx(dir + "/tel.idx.gz", 0x0C, {3, 1}, std::vector<int32_t>{1, 1, 0});
  const IdxPrepareSummary s =
      prepare_idx({dir + "/tr.idx", dir + "/trl.idx"}, {dir + "/te.idx.gz", dir + "/tel.idx.gz"}, dir + "/f.h5");
  EXPECT_EQ(s.image_type, "float32");
  EXPECT_EQ(s.label_type, "int32");
  EXPECT_EQ(s.sample_dims, (std::vector<int64_t>{4}));
  const SampleSource train({dir + "/f.h5", "/train/images", "/train/labels", "a", "b"}, 1.0f);
  const SampleSource test({dir + "/f.h5", "/test/images", "/test/labels", "a", "b"}, 1.0f);
  EXPECT_EQ(train.element_type(), "float32");
  EXPECT_EQ(train.sample_shape(), (Shape{4}));
  const Rows a = read_rows(train), b = read_rows(test);
  EXPECT_EQ(a.y, (std::vector<int32_t>{4, 3, 2, 1, 0}));
  EXPECT_EQ(b.y, (std::vector<int32_t>{1, 1, 0}));
  for (size_t i = 0; i < 5; ++i)
    for (size_t j = 0; j < 4; ++j) EXPECT_EQ(a.x[i][j], tr[i * 4 + j]);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 4; ++j) EXPECT_EQ(b.x[i][j], te[i * 4 + j]);
}

TEST(PrepareIdx, MalformedInputsNameTheFile) {
  const std::string dir = temp_dir("idxbad");
  write_idx(dir + "/img.idx", 0x08, {4, 2, 2}, std::vector<uint8_t>(16, 3));
  write_idx(dir + "/lab.idx", 0x08, {4}, std::vector<uint8_t>{0, 1, 0, 1});
  write_idx(dir + "/flab.idx", 0x0D, {4}, std::vector<float>{0, 1, 0, 1});
  write_idx(dir + "/neg.idx", 0x09, {4}, std::vector<int8_t>{0, 1, -3, 1});
  write_idx(dir + "/short.idx", 0x08, {3}, std::vector<uint8_t>{0, 1, 0});
  write_idx(dir + "/flat.idx", 0x08, {4}, std::vector<uint8_t>{0, 1, 0, 1});
  write_idx(dir + "/other.idx", 0x08, {2, 3, 2}, std::vector<uint8_t>(12, 1));
  write_idx(dir + "/otherl.idx", 0x08, {2}, std::vector<uint8_t>{0, 1});
  const std::string out = dir + "/o.h5";
  auto msg = [&](IdxSplitFiles tr, IdxSplitFiles te = {}) { return error_of([&] { prepare_idx(tr, te, out); }); };
  EXPECT_NE(msg({dir + "/img.idx", dir + "/flab.idx"})
                .find(dir + "/flab.idx: labels are float32; class labels must be integers"),
            std::string::npos);
  EXPECT_NE(msg({dir + "/img.idx", dir + "/neg.idx"}).find(dir + "/neg.idx: label -3 at row 2 is negative"),
            std::string::npos);
  EXPECT_NE(msg({dir + "/img.idx", dir + "/short.idx"})
                .find(dir + "/img.idx: 4 images but " + dir + "/short.idx has 3 labels"),
            std::string::npos);
  EXPECT_NE(msg({dir + "/flat.idx", dir + "/lab.idx"}).find(dir + "/flat.idx: images have 1 dimensions"),
            std::string::npos);
  EXPECT_NE(msg({dir + "/img.idx", dir + "/lab.idx"}, {dir + "/other.idx", dir + "/otherl.idx"})
                .find(dir + "/other.idx: test images are uint8 samples of 3x2 values, but the training images"),
            std::string::npos);
  EXPECT_NE(msg({dir + "/img.idx", dir + "/lab.idx"}, {dir + "/other.idx", ""}).find("give the images and the labels"),
            std::string::npos);
  EXPECT_NE(msg({dir + "/missing.idx", dir + "/lab.idx"}).find(dir + "/missing.idx: IDX file not found"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
}
