// `dptrain bench`: training steps of a config's model on in-memory random data, timed per part,
// next to the sgemm rate measured in the same process at the model's own GEMM shapes.
#pragma once
#include <nlohmann/json.hpp>

#include "cli/bench_predict.hpp"
#include "comm/comm.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

struct BenchOptions {
  int64_t steps = 200, warmup = 20;
  PredictOptions predict;  // --predict-nodes: the "prediction" object (bench_predict.hpp)
};

// Collective. Returns the report (complete on rank 0): samples_per_s, step_ms {median, p90},
// breakdown_ms (mean per step: data, forward, backward, comm, optimizer), gflops_per_s_per_rank,
// sgemm_gflops_per_s (at the model's shapes, this rank's threads), fraction_of_sgemm,
// peak_rss_mb (max over ranks), the setup (model, parameters, ranks, threads, batch, BLAS), and with
// o.predict.nodes the "prediction" (collective: calibrating the link times all-reduces on every rank).
nlohmann::json run_bench(const TrainSettings& s, const Comm& comm, const BenchOptions& o);

}  // namespace dpt::cli
