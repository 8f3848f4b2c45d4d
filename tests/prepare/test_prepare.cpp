// `prepare fashion-mnist` on small hand-made IDX files: layout, values, attributes, and errors.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "core/error.hpp"
#include "h5/sample_source.hpp"
#include "input/sample_rows.hpp"
#include "prepare/fashion_mnist.hpp"
#include "prepare/idx_reader.hpp"
#include "support/synth_data.hpp"

using namespace dpt;

namespace {
void write_idx(const std::string& path, uint8_t type, const std::vector<uint32_t>& dims,
               const std::vector<uint8_t>& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  const uint8_t magic[4] = {0, 0, type, static_cast<uint8_t>(dims.size())};
  gzwrite(f, magic, 4);
  for (uint32_t d : dims) {
    const uint8_t be[4] = {static_cast<uint8_t>(d >> 24), static_cast<uint8_t>(d >> 16), static_cast<uint8_t>(d >> 8),
                           static_cast<uint8_t>(d)};
    gzwrite(f, be, 4);
  }
  gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  gzclose(f);
}

// A fake Fashion-MNIST: n_train / n_test images of 4x3 pixels; pixel value = (i * 7 + j) % 256.
std::string fake_source(int n_train, int n_test, int train_labels = -1) {
  const std::string dir = test::temp_dir("idx");
  for (auto [prefix, n] : {std::pair{"train", n_train}, std::pair{"t10k", n_test}}) {
    std::vector<uint8_t> img, lab;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < 12; ++j) img.push_back(static_cast<uint8_t>((i * 7 + j) % 256));
      lab.push_back(static_cast<uint8_t>(i % 10));
    }
    write_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", 0x08, {static_cast<uint32_t>(n), 4, 3}, img);
    const int nl = std::string(prefix) == "train" && train_labels >= 0 ? train_labels : n;
    lab.resize(static_cast<size_t>(nl));
    write_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", 0x08, {static_cast<uint32_t>(nl)}, lab);
  }
  return dir;
}
}  // namespace

TEST(PrepareFashionMnist, WritesTrainAndTestSplitsReadableByTheTrainer) {
  const std::string src = fake_source(25, 12), out = test::temp_dir("prep") + "/fm.h5";
  const PrepareSummary s = prepare_fashion_mnist(src, out);
  EXPECT_EQ(s.train, 25);
  EXPECT_EQ(s.test, 12);
  EXPECT_EQ(s.train_class_counts[4], 3);  // labels 4, 14, 24
  const SampleSource train({out, "/train/images", "/train/labels", "a", "b"}, 1.0f);
  const SampleSource test({out, "/test/images", "/test/labels", "a", "b"}, 1.0f);
  EXPECT_EQ(train.size(), 25);
  EXPECT_EQ(test.size(), 12);
  EXPECT_EQ(train.sample_shape(), (Shape{1, 4, 3}));
  const Shard sh = load_shard(train, {24, 3});
  EXPECT_EQ(sh.y[0], 4);
  EXPECT_EQ(sh.x[0 * 12 + 5], static_cast<float>((24 * 7 + 5) % 256));
  EXPECT_EQ(sh.x[1 * 12 + 11], static_cast<float>((3 * 7 + 11) % 256));
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST(PrepareFashionMnist, RealPackageFilesHaveTheExpectedHeaders) {
  const std::string dir = kFashionMnistDir;
  if (!std::filesystem::exists(dir + "/t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const IdxArray labels = read_idx(dir + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(labels.dims, (std::vector<int64_t>{10000}));
  EXPECT_EQ(labels.type, 0x08);
}

TEST(PrepareFashionMnist, ErrorsNameTheFile) {
  auto msg_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string out = test::temp_dir("preperr") + "/fm.h5";
  EXPECT_NE(msg_of([&] { prepare_fashion_mnist("/nonexistent/dir", out); }).find("source directory not found"),
            std::string::npos);
  const std::string mismatch = fake_source(20, 5, /*train_labels=*/19);
  std::string m = msg_of([&] { prepare_fashion_mnist(mismatch, out); });
  EXPECT_NE(m.find("20 images but"), std::string::npos) << m;
  EXPECT_NE(m.find("has 19 labels"), std::string::npos) << m;
  const std::string bad = fake_source(5, 5);
  write_idx(bad + "/train-images-idx3-ubyte.gz", 0x0D, {5, 4, 3}, std::vector<uint8_t>(240));
  m = msg_of([&] { prepare_fashion_mnist(bad, out); });
  EXPECT_NE(m.find("train-images-idx3-ubyte.gz: expected unsigned-byte images"), std::string::npos) << m;
  gzFile f = gzopen((bad + "/t10k-labels-idx1-ubyte.gz").c_str(), "wb");
  gzwrite(f, "\x00\x00\x08\x01\x00\x00\x00\x05\x01", 9);  // says 5 labels, holds 1
  gzclose(f);
  m = msg_of([&] { read_idx(bad + "/t10k-labels-idx1-ubyte.gz"); });
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
  EXPECT_FALSE(std::filesystem::exists(out)) << "a failed prepare must not leave an output file";
}
