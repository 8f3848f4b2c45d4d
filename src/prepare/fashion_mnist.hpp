// `dptrain prepare fashion-mnist`: the gzip'd IDX files of Debian's dataset-fashion-mnist package
// to one HDF5 file:
//   /train/images (60000, 28, 28) uint8, chunks (1024, 28, 28), shuffle + gzip 4
//   /train/labels (60000,) uint8, gzip 4
//   /test/images  (10000, 28, 28) uint8, /test/labels (10000,) uint8
//   root attributes: classes (10 strings), source (string)
// The same layout as ../shared/bench/pytorch/to_hdf5.py, so either tool reads the other's file.
#pragma once
#include <string>
#include <vector>

namespace dpt {

struct PrepareSummary {
  int64_t train = 0, test = 0;
  std::vector<int64_t> train_class_counts;
};

extern const char* const kFashionMnistDir;  // /usr/share/datasets/fashion-mnist
const std::vector<std::string>& fashion_mnist_classes();

// Writes `out` atomically (temporary file, then rename): an interrupted run never leaves a
// half-written file under the final name.
PrepareSummary prepare_fashion_mnist(const std::string& source_dir, const std::string& out);

}  // namespace dpt
