// Reading HDF5 files as users write them: element types, shapes, chunked or contiguous, gzip;
// rows in any order; and the errors a user can cause with a wrong file or dataset path.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "h5/sample_source.hpp"
#include "input/sample_rows.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

using namespace dpt;
using dpt::test::Elem;
using dpt::test::SynthSpec;

namespace {
SplitPaths paths(const std::string& file, const SynthSpec& s) {
  return {file, s.features, s.labels, "data.train_features", "data.train_labels"};
}

std::string expect_error(const std::function<void()>& f) { return test::error_of(f); }
}  // namespace

struct Layout {
  Elem elem;
  std::vector<int64_t> shape;
  bool chunked, gzip;
};

class H5RoundTrip : public ::testing::TestWithParam<Layout> {};

TEST_P(H5RoundTrip, ReadsRowsInAnyOrderAsScaledFloat32) {
  const Layout l = GetParam();
  SynthSpec s;
  s.n = 101, s.shape = l.shape, s.elem = l.elem, s.chunked = l.chunked, s.gzip = l.gzip;
  const std::string file = test::temp_dir("h5rt") + "/d.h5";
  test::write_synth(file, s);
  const float scale = 0.25f;
  const SampleSource src(paths(file, s), scale);
  ASSERT_EQ(src.size(), 101);
  Shape expect_shape = l.shape;
  if (l.shape.size() == 2) expect_shape.insert(expect_shape.begin(), 1);  // (N, H, W) -> (1, H, W)
  EXPECT_EQ(src.sample_shape(), expect_shape);
  const std::vector<int64_t> idx = {100, 0, 37, 36, 5, 99, 38, 74};  // across chunk edges (chunks of 37)
  const Shard sh = load_shard(src, idx);
  for (size_t k = 0; k < idx.size(); ++k) {
    EXPECT_EQ(sh.y[k], test::synth_label(s, idx[k]));
    for (int64_t j = 0; j < sh.D; ++j)
      ASSERT_FLOAT_EQ(sh.x[k * sh.D + j], static_cast<float>(test::synth_value(s, idx[k], j)) * scale)
          << "row " << idx[k] << " feature " << j;
  }
  const Shard block = load_block(src, 30, 45);
  for (int64_t r = 0; r < 15; ++r) EXPECT_EQ(block.y[r], test::synth_label(s, 30 + r));
  // read_raw + convert_row (the exchange path) gives the same floats.
  std::vector<unsigned char> raw(static_cast<size_t>(src.row_bytes() * 3));
  std::vector<int32_t> y(3);
  src.read_raw(36, 39, raw.data(), y.data());
  std::vector<float> x(static_cast<size_t>(src.sample_numel()));
  src.convert_row(raw.data() + src.row_bytes(), x.data());
  EXPECT_EQ(y[1], test::synth_label(s, 37));
  for (int64_t j = 0; j < src.sample_numel(); ++j)
    EXPECT_FLOAT_EQ(x[j], static_cast<float>(test::synth_value(s, 37, j)) * scale);
}

INSTANTIATE_TEST_SUITE_P(Layouts, H5RoundTrip,
                         ::testing::Values(Layout{Elem::U8, {28, 28}, true, true}, Layout{Elem::U8, {10}, false, false},
                                           Layout{Elem::I16, {3, 4, 5}, true, true},
                                           Layout{Elem::I32, {7}, true, false}, Layout{Elem::F32, {2, 3}, false, false},
                                           Layout{Elem::F64, {1, 6, 6}, true, true}));

TEST(H5Errors, MissingFileNotHdf5MissingDataset) {
  const std::string dir = test::temp_dir("h5err");
  SynthSpec s;
  auto msg = expect_error([&] { SampleSource(paths(dir + "/nope.h5", s), 1.0f); });
  EXPECT_NE(msg.find(dir + "/nope.h5: file not found"), std::string::npos) << msg;
  std::ofstream(dir + "/text.h5") << "not hdf5\n";
  msg = expect_error([&] { SampleSource(paths(dir + "/text.h5", s), 1.0f); });
  EXPECT_NE(msg.find("not an HDF5 file"), std::string::npos) << msg;
  test::write_synth(dir + "/ok.h5", s);
  SplitPaths p = paths(dir + "/ok.h5", s);
  p.features = "/train/imgs";
  msg = expect_error([&] { SampleSource(p, 1.0f); });
  EXPECT_NE(msg.find("dataset '/train/imgs' not found (data.train_features)"), std::string::npos) << msg;
  p.features = "/nogroup/deeper/x";
  msg = expect_error([&] { SampleSource(p, 1.0f); });
  EXPECT_NE(msg.find("'/nogroup/deeper/x' not found"), std::string::npos) << msg;
}

TEST(H5Errors, WrongDimensionsAndCounts) {
  const std::string dir = test::temp_dir("h5dims");
  SynthSpec one_d;
  one_d.shape = {};  // features (N): not a sample matrix
  test::write_synth(dir + "/flat.h5", one_d);
  auto msg = expect_error([&] { SampleSource(paths(dir + "/flat.h5", one_d), 1.0f); });
  EXPECT_NE(msg.find("has shape (256); features must be (N, D)"), std::string::npos) << msg;

  SynthSpec a, b;
  a.n = 50, b.n = 40, b.features = "/other/x", b.labels = "/other/y";
  test::write_synth(dir + "/mismatch.h5", a);
  test::write_synth(dir + "/mismatch.h5", b, /*append=*/true);
  SplitPaths p{dir + "/mismatch.h5", "/train/x", "/other/y", "data.train_features", "data.train_labels"};
  msg = expect_error([&] { SampleSource(p, 1.0f); });
  EXPECT_NE(msg.find("'/train/x' has 50 samples but '/other/y' has 40 labels"), std::string::npos) << msg;

  SplitPaths float_labels{dir + "/mismatch.h5", "/train/x", "/train/x", "data.train_features", "data.train_labels"};
  msg = expect_error([&] { SampleSource(float_labels, 1.0f); });
  EXPECT_NE(msg.find("class labels must be integers"), std::string::npos) << msg;
}

TEST(H5Errors, LabelOutsideClassRangeNamesRowAndValue) {
  const std::string dir = test::temp_dir("h5lab");
  SynthSpec s;
  s.classes = 6;
  test::write_synth(dir + "/d.h5", s);
  const SampleSource src(paths(dir + "/d.h5", s), 1.0f);
  EXPECT_NO_THROW(src.check_labels(0, s.n, 6));
  int64_t bad_row = -1;
  for (int64_t i = 0; i < s.n && bad_row < 0; ++i)
    if (test::synth_label(s, i) >= 4) bad_row = i;
  const auto msg = expect_error([&] { src.check_labels(0, s.n, 4); });
  EXPECT_NE(msg.find(fmt::format("row {} has label {}", bad_row, test::synth_label(s, bad_row))), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("outside [0, 4)"), std::string::npos) << msg;
}
