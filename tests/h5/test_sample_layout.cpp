// Features of rank 3 to 5 and array targets through SampleSource: the per-sample view (stored rank,
// the `layout` attribute, data.sample_shape), every element type chunked and not, class maps and
// target fields in the 4-byte slots, the label checks against a model's output shape (one line each,
// naming file, dataset, row, position and value), and the raw (streaming/exchange) path giving the
// rows the in-memory path gives.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "h5/file.hpp"
#include "h5/sample_layout.hpp"
#include "input/sample_rows.hpp"
#include "support/h5_put.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

using namespace dpt;
using namespace dpt::test;

namespace {
constexpr int64_t kN = 12;

// Writes /x of dims (kN first) with value(i, j) = (17 i + j) % 200 (j: the flat index in the sample),
// stored as ftype, chunked by 5 rows or contiguous; /y class maps (kN, H, W) = (i + j) % 3 (uint8);
// /t float targets (kN, 2, H, W) = i + j / 8; /y1 labels (kN) = i % 3. layout: "" for none.
std::string write_file(const std::string& name, const std::vector<hsize_t>& dims, hid_t ftype, bool chunked,
                       const std::string& layout, hsize_t H = 4, hsize_t W = 3) {
  const std::string path = temp_dir("layout") + "/" + name + ".h5";
  h5::Handle f = h5::create(path);
  hsize_t per = 1;
  for (size_t k = 1; k < dims.size(); ++k) per *= dims[k];
  std::vector<double> x(kN * per);
  for (int64_t i = 0; i < kN; ++i)
    for (hsize_t j = 0; j < per; ++j) x[i * per + j] = static_cast<double>((i * 17 + j) % 200);
  hid_t dcpl = H5P_DEFAULT;
  if (chunked) {
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    std::vector<hsize_t> c = dims;
    c[0] = 5;
    H5Pset_chunk(dcpl, static_cast<int>(c.size()), c.data());
  }
  put_dataset(f.get(), "/x", ftype, H5T_NATIVE_DOUBLE, dims, x.data(), dcpl);
  if (chunked) H5Pclose(dcpl);
  if (!layout.empty()) {
    h5::Handle d(H5Dopen2(f.get(), "/x", H5P_DEFAULT), H5Dclose);
    h5::write_attr(d.get(), "layout", layout);
  }
  std::vector<uint8_t> y(kN * H * W), y1(kN);
  std::vector<float> t(kN * 2 * H * W);
  for (int64_t i = 0; i < kN; ++i) {
    y1[i] = static_cast<uint8_t>(i % 3);
    for (hsize_t j = 0; j < H * W; ++j) y[i * H * W + j] = static_cast<uint8_t>((i + j) % 3);
    for (hsize_t j = 0; j < 2 * H * W; ++j) t[i * 2 * H * W + j] = static_cast<float>(i) + static_cast<float>(j) / 8;
  }
  put_dataset(f.get(), "/y", H5T_STD_U8LE, H5T_NATIVE_UINT8, {kN, H, W}, y.data());
  put_dataset(f.get(), "/y1", H5T_STD_U8LE, H5T_NATIVE_UINT8, {kN}, y1.data());
  put_dataset(f.get(), "/y4", H5T_STD_U8LE, H5T_NATIVE_UINT8, {kN, 1, H, W}, y.data());
  put_dataset(f.get(), "/t", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {kN, 2, H, W}, t.data());
  return path;
}

SplitPaths paths(const std::string& file, const std::string& labels = "/y1", bool float_targets = false) {
  SplitPaths p{file, "/x", labels, "data.train_features", "data.train_labels"};
  p.float_targets = float_targets;
  return p;
}

double expected(int64_t i, int64_t j) { return static_cast<double>((i * 17 + j) % 200); }
}  // namespace

TEST(SampleLayout, EveryRankTypeAndStorage) {
  struct Case {
    std::vector<hsize_t> dims;
    std::string layout;
    Shape want;
  };
  const std::vector<Case> cases = {{{kN, 2, 40}, "NCL", {2, 40}},
                                   {{kN, 2, 40}, "", {1, 2, 40}},  // no layout: (N, H, W) images
                                   {{kN, 40}, "NL", {1, 40}},
                                   {{kN, 40}, "NF", {40}},
                                   {{kN, 3, 5, 4}, "", {3, 5, 4}},
                                   {{kN, 5, 4}, "NHW", {1, 5, 4}},
                                   {{kN, 2, 3, 4, 5}, "", {2, 3, 4, 5}},
                                   {{kN, 3, 4, 5}, "NDHW", {1, 3, 4, 5}},
                                   {{kN, 2, 3, 4, 5}, "NCDHW", {2, 3, 4, 5}}};
  const hid_t types[] = {H5T_STD_U8LE, H5T_STD_I16LE, H5T_IEEE_F32LE, H5T_IEEE_F64LE};
  int k = 0;
  for (const Case& c : cases)
    for (hid_t type : types)
      for (bool chunked : {true, false}) {
        SCOPED_TRACE(shape_str(c.want) + " " + c.layout + (chunked ? " chunked" : " contiguous"));
        const SampleSource src(paths(write_file("f" + std::to_string(k++), c.dims, type, chunked, c.layout)), 1.0f);
        ASSERT_EQ(src.sample_shape(), c.want);
        const Shard s = load_shard(src, {7, 0, 11, 3});
        const int64_t D = src.sample_numel();
        for (int64_t r = 0; r < 4; ++r)
          for (int64_t j : {int64_t{0}, D / 2, D - 1})
            ASSERT_EQ(s.x_at(r)[j], expected(std::vector<int64_t>{7, 0, 11, 3}[r], j)) << r << " " << j;
      }
}

TEST(SampleLayout, SampleShapeOptionViewsTheRow) {
  const std::string file = write_file("view", {kN, 2, 40}, H5T_IEEE_F32LE, true, "");
  SplitPaths p = paths(file);
  p.sample_shape = {2, 40};
  EXPECT_EQ(SampleSource(p, 1.0f).sample_shape(), (Shape{2, 40}));
  p.sample_shape = {80};
  EXPECT_EQ(SampleSource(p, 1.0f).sample_shape(), (Shape{80}));
  p.sample_shape = {3, 40};
  const std::string msg = error_of([&] { SampleSource(p, 1.0f); });
  EXPECT_NE(msg.find(file + ": '/x' (data.train_features) holds samples of shape (2, 40) (80 values), which "
                            "data.sample_shape (3, 40) (120 values) cannot view"),
            std::string::npos)
      << msg;
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 0);
}

TEST(SampleLayout, WrongLayoutAttributeIsOneLine) {
  for (const std::string layout : {"NCHW", "NXL"}) {
    const std::string file = write_file("bad" + layout, {kN, 2, 40}, H5T_IEEE_F32LE, false, layout);
    const std::string msg = error_of([&] { SampleSource(paths(file), 1.0f); });
    EXPECT_NE(msg.find("has layout attribute '" + layout + "' but shape (12, 2, 40); the layout must name its 3 axes"),
              std::string::npos)
        << msg;
  }
}

TEST(SampleLayout, ClassMapsInTheSlotsAndTheirChecks) {
  const std::string file = write_file("maps", {kN, 1, 4, 3}, H5T_IEEE_F32LE, true, "NCHW");
  for (const std::string labels : {"/y", "/y4"}) {
    SCOPED_TRACE(labels);
    const SampleSource src(paths(file, labels), 1.0f);
    EXPECT_EQ(src.target_slots(), 12);
    const Shard s = load_shard(src, {5, 2});
    EXPECT_EQ(s.slots, 12);
    for (int64_t j = 0; j < 12; ++j) EXPECT_EQ(s.y_at(0)[j], (5 + j) % 3) << j;
    for (int64_t j = 0; j < 12; ++j) EXPECT_EQ(s.y_at(1)[j], (2 + j) % 3) << j;
    EXPECT_NO_THROW(src.check_labels(0, kN, LabelRule{{3, 4, 3}}));
    // Two classes: label 2 first appears in row 0 at position (0, 2).
    std::string msg = error_of([&] { src.check_labels(0, kN, LabelRule{{2, 4, 3}}); });
    EXPECT_NE(msg.find(file + ": '" + labels + "' (data.train_labels) row 0 position (" +
                       std::string(labels == "/y4" ? "0, " : "") +
                       "0, 2) has label 2, outside [0, 2) for a model "
                       "with 2 classes"),
              std::string::npos)
        << msg;
    // ... unless it is the ignored label.
    EXPECT_NO_THROW(src.check_labels(0, kN, LabelRule{{2, 4, 3}, true, 2}));
    msg = error_of([&] { src.check_labels(0, kN, LabelRule{{3, 4, 4}}); });
    EXPECT_NE(msg.find("holds class maps of shape " + std::string(labels == "/y4" ? "(1, 4, 3)" : "(4, 3)") +
                       " per sample but the model's output per sample is (3, 4, 4)"),
              std::string::npos)
        << msg;
    msg = error_of([&] { src.check_labels(0, kN, LabelRule{{36}}); });
    EXPECT_NE(msg.find("the model's output per sample is (36)"), std::string::npos) << msg;
  }
}

TEST(SampleLayout, TargetFieldsOfAnyShape) {
  const std::string file = write_file("fields", {kN, 1, 4, 3}, H5T_IEEE_F32LE, true, "NCHW");
  const SampleSource src(paths(file, "/t", true), 1.0f);
  EXPECT_EQ(src.target_shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(src.target_slots(), 24);
  const Shard s = load_shard(src, {9});
  for (int64_t j = 0; j < 24; ++j) {
    float v;
    std::memcpy(&v, s.y_at(0) + j, 4);
    EXPECT_EQ(v, 9.0f + static_cast<float>(j) / 8) << j;
  }
  EXPECT_NO_THROW(src.check_labels(0, kN, LabelRule{{2, 4, 3}}));
  EXPECT_NO_THROW(src.check_labels(0, kN, LabelRule{{24}}));  // same count: a flat output
  const std::string msg = error_of([&] { src.check_labels(0, kN, LabelRule{{2, 4, 4}}); });
  EXPECT_NE(msg.find(file + ": '/t' (data.train_labels) has regression targets of shape (2, 4, 3) (24 values) per "
                            "sample but the model's output per sample is (2, 4, 4) (32 values)"),
            std::string::npos)
      << msg;
}

TEST(SampleLayout, RawPathGivesTheInMemoryRows) {
  const std::string file = write_file("raw", {kN, 2, 3, 4, 5}, H5T_STD_I16LE, true, "NCDHW");
  const SampleSource src(paths(file, "/y"), 0.5f);
  const Shard mem = load_block(src, 0, kN);
  std::vector<unsigned char> raw(static_cast<size_t>(kN * src.row_bytes()));
  std::vector<int32_t> y(static_cast<size_t>(kN * src.target_slots()));
  src.read_raw(0, kN, raw.data(), y.data());
  RawRows rr;
  rr.src = &src, rr.n = kN, rr.row_bytes = packed_row_bytes(src);
  rr.bytes.resize(static_cast<size_t>(kN * rr.row_bytes));
  for (int64_t i = 0; i < kN; ++i)
    pack_row(src, raw.data() + i * src.row_bytes(), y.data() + i * src.target_slots(),
             rr.bytes.data() + i * rr.row_bytes);
  std::vector<float> bx(static_cast<size_t>(kN * src.sample_numel()));
  std::vector<int32_t> by(y.size());
  rr.batch(0, kN, bx.data(), by.data());
  EXPECT_EQ(std::vector<float>(mem.x.begin(), mem.x.end()), bx);
  EXPECT_EQ(mem.y, by);
}
