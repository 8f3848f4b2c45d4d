// `dptrain bench`: training steps of a config's model on in-memory random data, timed per part,
// next to the sgemm rate measured in the same process at the model's own GEMM shapes.
#pragma once
#include <nlohmann/json.hpp>

#include "comm/comm.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

struct BenchOptions {
  int64_t steps = 200, warmup = 20;
};

// Collective. Returns the report (complete on rank 0): samples_per_s, step_ms {median, p90},
// breakdown_ms (mean per step: data, forward, backward, comm, optimizer), gflops_per_s_per_rank,
// sgemm_gflops_per_s (at the model's shapes, this rank's threads), fraction_of_sgemm,
// peak_rss_mb (max over ranks), and the setup (model, parameters, ranks, threads, batch, BLAS).
nlohmann::json run_bench(const TrainSettings& s, const Comm& comm, const BenchOptions& o);

}  // namespace dpt::cli
