#include "prepare/fashion_mnist.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "h5/write.hpp"
#include "prepare/idx_reader.hpp"

namespace dpt {

const char* const kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> c = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return c;
}

namespace {
// Reads and checks one split's images and labels; returns the number of samples.
std::pair<IdxArray, IdxArray> read_split(const std::string& dir, const std::string& prefix) {
  const std::string ip = dir + "/" + prefix + "-images-idx3-ubyte.gz",
                    lp = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  IdxArray images = read_idx(ip), labels = read_idx(lp);
  if (images.type != 0x08 || images.dims.size() != 3)
    fail("{}: expected unsigned-byte images (magic 0x00000803), got type 0x{:02x} with {} dimensions", ip, images.type,
         images.dims.size());
  if (labels.type != 0x08 || labels.dims.size() != 1)
    fail("{}: expected unsigned-byte labels (magic 0x00000801), got type 0x{:02x} with {} dimensions", lp, labels.type,
         labels.dims.size());
  if (images.dims[0] != labels.dims[0])
    fail("{}: {} images but {} has {} labels", ip, images.dims[0], lp, labels.dims[0]);
  for (size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] >= fashion_mnist_classes().size())
      fail("{}: label {} at row {} is not a Fashion-MNIST class (0..9)", lp, labels.data[i], i);
  return {std::move(images), std::move(labels)};
}
}  // namespace

PrepareSummary prepare_fashion_mnist(const std::string& dir, const std::string& out) {
  if (!std::filesystem::is_directory(dir))
    fail("{}: source directory not found (install Debian's dataset-fashion-mnist package, or pass --source DIR)", dir);
  auto [train_x, train_y] = read_split(dir, "train");
  auto [test_x, test_y] = read_split(dir, "t10k");
  if (train_x.dims[1] != test_x.dims[1] || train_x.dims[2] != test_x.dims[2])
    fail("{}: train images are {}x{} but test images are {}x{}", dir, train_x.dims[1], train_x.dims[2], test_x.dims[1],
         test_x.dims[2]);

  h5::write_h5_atomically(out, [&](hid_t f, const std::string& tmp) {
    for (auto [name, x, y] : {std::tuple{"train", &train_x, &train_y}, std::tuple{"test", &test_x, &test_y}}) {
      h5::Handle g = h5::create_group(f, name, tmp);
      h5::write_array(g.get(), "images", H5T_STD_U8LE, H5T_NATIVE_UINT8, x->dims, x->data.data(), 1024, tmp);
      h5::write_array(g.get(), "labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, y->dims, y->data.data(), 1024, tmp);
    }
    h5::write_string_list_attr(f, "classes", fashion_mnist_classes());
    h5::write_attr(f, "source", "Fashion-MNIST (Zalando Research), from " + dir);
  });
  PrepareSummary s{train_x.dims[0], test_x.dims[0], std::vector<int64_t>(10, 0)};
  for (uint8_t l : train_y.data) ++s.train_class_counts[l];
  return s;
}

}  // namespace dpt
