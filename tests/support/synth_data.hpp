// Small synthetic HDF5 data sets for tests: a learnable classification problem with any element
// type, shape and layout (chunked/contiguous), written the way h5py users write them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dpt::test {

enum class Elem { U8, I16, I32, F32, F64 };

struct SynthSpec {
  int64_t n = 256;                 // samples
  std::vector<int64_t> shape{16};  // per-sample shape
  int classes = 4;
  Elem elem = Elem::F32;
  bool chunked = true;
  bool gzip = true;
  std::string features = "/train/x", labels = "/train/y";
  uint64_t seed = 7;
};

// Writes features where class c has a bump at feature c (plus noise), labels in [0, classes).
// Returns the labels written. Appends to an existing file when `append` (other datasets).
std::vector<int32_t> write_synth(const std::string& path, const SynthSpec& spec, bool append = false);
// The value of feature j of sample i as written by write_synth (before type conversion).
double synth_value(const SynthSpec& spec, int64_t i, int64_t j);
int32_t synth_label(const SynthSpec& spec, int64_t i);

// A unique temporary directory per test, the same on every rank of MPI_COMM_WORLD; removed when
// the process ends (DPTRAIN_KEEP_TEST_DIRS=1 keeps it).
std::string temp_dir(const std::string& tag);

}  // namespace dpt::test
