// What one forward + backward of a layer costs: for benchmark reports (GFLOP/s, the sgemm rate at
// the model's own shapes), never used by training itself.
#pragma once
#include <cstdint>
#include <vector>

namespace dpt {

// One matrix product a layer issues per pass (for benchmarks: the sgemm rate at the model's shapes).
struct GemmShape {
  bool trans_a, trans_b;
  int64_t M, N, K;
};

struct Cost {
  double flops = 0;              // floating-point operations of forward + backward for one sample
  std::vector<GemmShape> gemms;  // the GEMMs of one forward + backward over the batch asked for
};

}  // namespace dpt
