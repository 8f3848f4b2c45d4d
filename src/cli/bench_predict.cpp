#include "cli/bench_predict.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "comm/link_probe.hpp"
#include "core/error.hpp"

namespace dpt::cli {

namespace {
double parse_number(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !std::isfinite(x)) fail("{} '{}': not a number", flag, v);
  return x;
}

// The probe's largest message: past the largest bucket (x4 steps from 64 KiB), at most 4 MiB.
constexpr int64_t kProbeBytes = 4 << 20;
}  // namespace

PredictOptions read_predict_options(const PredictArgs& a, int ranks) {
  PredictOptions o;
  if (a.nodes.empty()) {
    for (const auto* f : {&a.link, &a.latency_us})
      if (!f->empty()) fail("--link and --latency-us go with --predict-nodes (e.g. --predict-nodes 2,8,64)");
    return o;
  }
  o.nodes = perf::parse_counts(a.nodes, "--predict-nodes");
  const auto rpn = perf::parse_counts(a.ranks_per_node, "--ranks-per-node");
  if (rpn.size() != 1) fail("--ranks-per-node '{}': expected one whole number >= 1", a.ranks_per_node);
  o.ranks_per_node = rpn[0];
  if (!a.link.empty()) perf::preset_link(a.link);  // throws for an unknown name
  o.link = a.link;
  if (!a.latency_us.empty()) {
    o.latency_us = parse_number("--latency-us", a.latency_us);
    if (o.latency_us < 0) fail("--latency-us {} is out of range: must be >= 0 (microseconds)", a.latency_us);
  }
  if (ranks < 2 && o.link.empty())
    fail("--predict-nodes on 1 rank needs --link (1gbit, 10gbit, 100gbit, 200gbit): there is no link to calibrate on");
  return o;
}

nlohmann::json predict_report(const perf::StepProfile& prof, const PredictOptions& o, const Comm& comm,
                              int64_t per_rank_batch, double measured_step_s) {
  nlohmann::json link;
  perf::Link L;
  if (o.link.empty()) {
    const perf::LinkFit fit = perf::probe_link(comm, kProbeBytes);
    L = perf::link_from_fit(fit.A, fit.B, comm.size());
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : fit.points) pts.push_back({{"bytes", p.bytes}, {"ms", p.seconds * 1e3}});
    link = {{"source", fmt::format("calibrated: all-reduces on this job's {} ranks", comm.size())},
            {"fit", {{"A_us", fit.A * 1e6}, {"B_ns_per_byte", fit.B * 1e9}, {"points", pts}}}};
  } else {
    L = perf::preset_link(o.link);
    link = {{"source", "preset " + o.link}};
  }
  if (o.latency_us >= 0) L.alpha = o.latency_us * 1e-6, link["latency_from_flag"] = true;
  link["alpha_us"] = L.alpha * 1e6;
  link["beta_ns_per_byte"] = L.beta * 1e9;
  link["gbytes_per_s"] = L.beta > 0 ? 1e-9 / L.beta : 0.0;
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& b : prof.buckets) buckets.push_back({{"ready_ms", b.ready * 1e3}, {"bytes", b.bytes}});
  const perf::NodeLevel node{o.ranks_per_node, perf::shared_memory_link()};
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t n : o.nodes) {
    const int64_t P = n * o.ranks_per_node;
    const perf::Prediction p = perf::predict_step(prof, P, L);
    rows.push_back({{"nodes", n},
                    {"ranks", P},
                    {"step_ms", p.step_s * 1e3},
                    {"samples_per_s", static_cast<double>(per_rank_batch * P) / p.step_s},
                    {"efficiency", p.efficiency},
                    {"comm_ms", p.comm_s * 1e3},
                    {"comm_exposed_ms", p.exposed_s * 1e3},
                    {"largest_bucket_algorithm", perf::algo_name(p.largest_algo)}});
    if (o.ranks_per_node == 1) continue;
    const perf::Prediction h = perf::predict_step(prof, P, L, &node);  // comm.hierarchical
    rows.back()["hierarchical"] = {
        {"step_ms", h.step_s * 1e3}, {"efficiency", h.efficiency}, {"comm_ms", h.comm_s * 1e3}};
  }
  const perf::Prediction self = perf::predict_step(prof, comm.size(), L);
  return {{"link", link},
          {"ranks_per_node", o.ranks_per_node},
          {"profile",
           {{"before_backward_ms", prof.before_backward * 1e3},
            {"backward_ms", prof.backward * 1e3},
            {"after_ms", prof.after * 1e3},
            {"overlap", prof.overlap},
            {"buckets", buckets}}},
          {"rows", rows},
          {"this_job",
           {{"ranks", comm.size()},
            {"measured_step_ms", measured_step_s * 1e3},
            {"predicted_step_ms", self.step_s * 1e3}}}};
}

std::string prediction_table(const nlohmann::json& pr) {
  const auto& l = pr["link"];
  std::string t = fmt::format("predicted weak scaling ({}: alpha {:.1f} us, {:.3g} GB/s; {} rank(s) per node)\n",
                              l["source"].get<std::string>(), l["alpha_us"].get<double>(),
                              l["gbytes_per_s"].get<double>(), pr["ranks_per_node"].get<int64_t>());
  t += fmt::format("{:>6} {:>6} {:>10} {:>12} {:>10} {:>9} {:>12}  {}\n", "nodes", "ranks", "step ms", "samples/s",
                   "efficiency", "comm ms", "exposed ms", "largest bucket");
  for (const auto& r : pr["rows"]) {
    t += fmt::format("{:>6} {:>6} {:>10.3f} {:>12.0f} {:>9.1f}% {:>9.3f} {:>12.3f}  {}", r["nodes"].get<int64_t>(),
                     r["ranks"].get<int64_t>(), r["step_ms"].get<double>(), r["samples_per_s"].get<double>(),
                     100 * r["efficiency"].get<double>(), r["comm_ms"].get<double>(),
                     r["comm_exposed_ms"].get<double>(), r["largest_bucket_algorithm"].get<std::string>());
    if (r.contains("hierarchical"))  // --ranks-per-node > 1: comm.hierarchical's step beside the flat one
      t += fmt::format("; hierarchical: step {:.3f} ms, {:.1f}%", r["hierarchical"]["step_ms"].get<double>(),
                       100 * r["hierarchical"]["efficiency"].get<double>());
    t += "\n";
  }
  const auto& j = pr["this_job"];
  t += fmt::format("this job, {} rank(s): measured step {:.3f} ms, predicted {:.3f} ms\n", j["ranks"].get<int64_t>(),
                   j["measured_step_ms"].get<double>(), j["predicted_step_ms"].get<double>());
  return t;
}

}  // namespace dpt::cli
