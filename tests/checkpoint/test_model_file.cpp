// checkpoint/model_file: the final model file round trip (parameters and batchnorm running
// statistics bit-exact, the info attributes), what it refuses (files that are not model files,
// another architecture), and that saving is atomic: a save that fails leaves no temporary file and
// an earlier model.h5 unchanged.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "checkpoint/model_file.hpp"
#include "checkpoint/model_graph.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

namespace fs = std::filesystem;
using test::bitwise_equal;
using test::error_of;
using test::random_vector;

const char* kLayers = "[{type: dense, units: 6}, {type: batchnorm}, {type: relu}, {type: dense, units: 3}]";
const Shape kInput{5};

// A model whose parameters and buffers hold distinct random values (the init alone would leave
// biases and running statistics at 0 and 1, which a swapped or skipped tensor would not show).
Model random_model(uint64_t seed, const char* layers = kLayers) {
  Model m(YAML::Load(layers), kInput, 4, "test");
  const auto p = random_vector<float>(static_cast<size_t>(m.store().size()), seed);
  const auto b = random_vector<float>(static_cast<size_t>(m.buffers().size()), seed + 1, 0.5, 2);
  std::copy(p.begin(), p.end(), m.store().params());
  std::copy(b.begin(), b.end(), m.buffers().params());
  return m;
}

std::vector<float> params_of(const ParamStore& s) { return {s.params(), s.params() + s.size()}; }

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Names in `dir` that look like a temporary of a model save ("model.h5.tmp.<pid>").
std::vector<std::string> temporaries_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) out.push_back(e.path().string());
  return out;
}

const ModelFileInfo kInfo{"model:\n  layers: [dense]\ntrain: {epochs: 3}\n", kInput, 3, 1234};

TEST(ModelFile, RoundTripIsBitExact) {
  const std::string dir = test::temp_dir("model-rt"), path = dir + "/model.h5";
  const Model saved = random_model(1);
  ASSERT_GT(saved.buffers().size(), 0);  // the batchnorm's running statistics
  save_model(path, saved, kInfo);

  const ModelFileInfo info = read_model_info(path);
  EXPECT_EQ(info.config_yaml, kInfo.config_yaml);
  EXPECT_EQ(info.input_shape, kInput);
  EXPECT_EQ(info.epoch, 3);
  EXPECT_EQ(info.step, 1234);

  Model loaded = random_model(99);
  ASSERT_FALSE(bitwise_equal(params_of(loaded.store()), params_of(saved.store())));
  load_model_params(path, loaded);
  EXPECT_TRUE(bitwise_equal(params_of(loaded.store()), params_of(saved.store())));
  EXPECT_TRUE(bitwise_equal(params_of(loaded.buffers()), params_of(saved.buffers())));
  EXPECT_TRUE(temporaries_in(dir).empty());
  fs::remove_all(dir);
}

// The graph attribute stores per-axis options as given: one int, or a list with one per axis
// (tools/dptrain_torch.py hands both to PyTorch as they are).
TEST(ModelFile, GraphKeepsPerAxisOptionsAsGiven) {
  Model m(YAML::Load("[{type: conv3d, out_channels: 2, kernel_size: [3, 1, 3], padding: 1},"
                     " {type: conv_transpose3d, out_channels: 1, kernel_size: 2, stride: [2, 1, 2],"
                     " output_padding: [1, 0, 0]}, {type: dense, units: 2}]"),
          {1, 4, 5, 6}, 2, "nd.yaml");
  const nlohmann::json g = nlohmann::json::parse(graph_json(m));
  const nlohmann::json& conv = g[0]["options"];
  EXPECT_EQ(g[0]["type"], "conv3d");
  EXPECT_EQ(conv["kernel_size"], nlohmann::json({3, 1, 3}));
  EXPECT_EQ(conv["padding"], 1);
  EXPECT_EQ(conv["stride"], 1);
  EXPECT_EQ(conv["groups"], 1);
  EXPECT_EQ(g[0]["output_shape"], nlohmann::json({2, 4, 7, 6}));
  const nlohmann::json& up = g[1]["options"];
  EXPECT_EQ(up["kernel_size"], 2);
  EXPECT_EQ(up["stride"], nlohmann::json({2, 1, 2}));
  EXPECT_EQ(up["output_padding"], nlohmann::json({1, 0, 0}));
  EXPECT_EQ(g[1]["output_shape"], nlohmann::json({1, 9, 8, 12}));
  EXPECT_EQ(g[1]["params"], nlohmann::json({"layers.1.weight", "layers.1.bias"}));
}

TEST(ModelFile, OneDatasetPerTensorWithItsShape) {
  const std::string dir = test::temp_dir("model-layout"), path = dir + "/model.h5";
  const Model saved = random_model(2);
  save_model(path, saved, kInfo);
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const auto& v : saved.store().views()) {
    const std::string name = "/params/" + v.name;
    ASSERT_GT(H5Lexists(f, name.c_str(), H5P_DEFAULT), 0) << name;
    const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT), space = H5Dget_space(d);
    std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(space)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    EXPECT_EQ(Shape(dims.begin(), dims.end()), v.shape) << name;
    H5Sclose(space), H5Dclose(d);
  }
  H5Fclose(f);
  fs::remove_all(dir);
}

TEST(ModelFile, AnotherHdf5FileIsNotAModelFile) {
  const std::string dir = test::temp_dir("model-not"), path = dir + "/data.h5";
  test::write_synth(path, {});
  const std::string e = error_of([&] { read_model_info(path); });
  EXPECT_NE(e.find(path + ": not a dptrain model file"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { read_model_info(dir); }).find("is a directory"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ModelFile, LoadingIntoAnotherArchitectureNamesTheTensor) {
  const std::string dir = test::temp_dir("model-arch"), path = dir + "/model.h5";
  save_model(path, random_model(3), kInfo);
  Model wider = random_model(4, "[{type: dense, units: 7}, {type: batchnorm}, {type: relu}, {type: dense, units: 3}]");
  const std::string e = error_of([&] { load_model_params(path, wider); });
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_NE(e.find("'/params/" + wider.store().views().front().name + "' has 30 values but the model needs 35"),
            std::string::npos)
      << e;
  fs::remove_all(dir);
}

TEST(ModelFile, AFailedRenameLeavesNoTemporaryAndTheDirectoryUntouched) {
  const std::string dir = test::temp_dir("model-dir"), path = dir + "/model.h5";
  fs::create_directory(path);  // the target is a non-empty directory: rename fails
  std::ofstream(path + "/keep.txt") << "mine";
  const std::string e = error_of([&] { save_model(path, random_model(5), kInfo); });
  EXPECT_NE(e.find(path + ": cannot move the finished model file into place"), std::string::npos) << e;
  EXPECT_TRUE(temporaries_in(dir).empty());
  EXPECT_EQ(bytes_of(path + "/keep.txt"), "mine");
  fs::remove_all(dir);
}

// While alive, this process may not write files beyond `bytes` (writes fail with EFBIG instead of
// raising SIGXFSZ): a disk that fills up in the middle of a save.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) : old_handler_(std::signal(SIGXFSZ, SIG_IGN)) {
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit lim = old_;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int);
};

// The failing save runs in a child process that leaves with _exit: after HDF5 failed to close the
// half-written file, its exit handler (H5F_term_package) crashes on that file (HDF5 1.10, seen here).
TEST(ModelFile, AFailedWriteLeavesNoTemporaryAndTheEarlierModelUnchanged) {
  const std::string dir = test::temp_dir("model-full"), path = dir + "/model.h5";
  save_model(path, random_model(6), kInfo);
  const std::string before = bytes_of(path);
  // 784 -> 512: 1.6 MB of parameters cannot be written under a 64 KiB limit.
  Model large(YAML::Load("[{type: dense, units: 512}, {type: relu}, {type: dense, units: 10}]"), {784}, 4, "test");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileSizeLimit limit(64 << 10);
    try {
      save_model(path, large, {"big", {784}, 9, 9});
    } catch (const Error& e) {  // 0: the error names the file it was writing
      _exit(std::string(e.what()).find(path + ".tmp") == std::string::npos ? 2 : 0);
    }
    _exit(3);  // no error
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: the error does not name the temporary file; 3: no error";
  EXPECT_TRUE(temporaries_in(dir).empty());
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(read_model_info(path).step, 1234);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dpt
