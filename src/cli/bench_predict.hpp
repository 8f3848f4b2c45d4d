// `dptrain bench --predict-nodes`: the measured step of this job, fed to the alpha-beta model of
// comm/allreduce_model, predicts the step time and the weak-scaling efficiency on more nodes.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "comm/allreduce_model.hpp"
#include "comm/comm.hpp"

namespace dpt::cli {

// The flags as given (strings, checked here so that a wrong value is one error line per job).
struct PredictArgs {
  std::string nodes, link, latency_us, ranks_per_node = "1";
};
struct PredictOptions {
  std::vector<int64_t> nodes;  // empty: no prediction
  std::string link;            // a preset; empty: calibrate on the job's communicator
  double latency_us = -1;      // >= 0: replaces the link's latency
  int64_t ranks_per_node = 1;
};
// Throws naming the flag and its value; on one rank without --link too (nothing to calibrate).
PredictOptions read_predict_options(const PredictArgs& a, int ranks);

// Collective when o.link is empty (timed all-reduces on comm). Returns the "prediction" object of
// bench's JSON: the link and where it came from, the step profile, one row per node count, and the
// prediction for this job's own rank count next to its measured median step.
nlohmann::json predict_report(const perf::StepProfile& prof, const PredictOptions& o, const Comm& comm,
                              int64_t per_rank_batch, double measured_step_s);
// The rows as a table for the terminal.
std::string prediction_table(const nlohmann::json& prediction);

}  // namespace dpt::cli
