// libFuzzer harness: bytes -> an HDF5 file -> SampleSource, the reader the trainer uses, with the
// datasets /train/x (features) and /train/y (labels): open and check it, then read a few rows
// (as float32 and raw) and check the labels, once as class labels and once as regression targets.
// A dpt::Error is the expected answer to a bad file; any other exception, a crash or undefined
// behaviour in dptrain code is a finding. (Crashes inside libhdf5 itself are HDF5's: see
// docs/development.md.)
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "fuzz/fuzz_common.hpp"
#include "h5/sample_source.hpp"

namespace {
constexpr int64_t kMaxRowBytes = 1 << 16;  // the harness reads at most this per row (memory limit)

void exercise(const std::string& path, bool float_targets) {
  dpt::SplitPaths p{path, "/train/x", "/train/y", "data.train_features", "data.train_labels", {}, float_targets};
  try {
    dpt::SampleSource src(p, 0.5f);
    (void)src.element_type();
    (void)src.extents();
    const int64_t n = src.size();
    if (n <= 0 || src.row_bytes() > kMaxRowBytes || src.target_slots() > kMaxRowBytes / 4) return;
    const std::vector<int64_t> idx{n - 1, 0, n / 2};  // unsorted, maybe repeated: as the sampler may ask
    std::vector<float> x(idx.size() * static_cast<size_t>(src.sample_numel()));
    std::vector<int32_t> y(idx.size() * static_cast<size_t>(src.target_slots()));
    src.read(idx, x.data(), y.data());
    const int64_t end = n < 3 ? n : 3;
    std::vector<unsigned char> raw(static_cast<size_t>(end * src.row_bytes()));
    std::vector<int32_t> ry(static_cast<size_t>(end * src.target_slots()));
    src.read_raw(0, end, raw.data(), ry.data());
    src.check_labels(0, end, float_targets ? src.target_slots() : 10);
  } catch (const dpt::Error&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = dpt::fuzz::input_path(".h5");
  dpt::fuzz::write_input(path, data, size);
  exercise(path, false);
  exercise(path, true);
  return 0;
}
