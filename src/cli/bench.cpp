#include "cli/bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "core/partition.hpp"
#include "core/rng.hpp"
#include "h5/sample_source.hpp"
#include "input/sampler.hpp"
#include "kernels/blas_env.hpp"
#include "kernels/gemm.hpp"
#include "kernels/threads.hpp"
#include "train/powersgd.hpp"
#include "train/shards.hpp"
#include "train/step.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

namespace {
// Seconds per call of all the model's GEMMs at batch B (median of a few repetitions).
double gemm_seconds(const Model& model, int64_t B, double* flops) {
  const auto shapes = model.gemms(B);
  int64_t most = 0;
  for (const auto& g : shapes) most = std::max({most, g.M * g.K, g.K * g.N, g.M * g.N});
  Buffer<float> a(static_cast<size_t>(most), 0.5f), b(static_cast<size_t>(most), 0.25f), c(static_cast<size_t>(most));
  *flops = 0;
  for (const auto& g : shapes) *flops += 2.0 * static_cast<double>(g.M * g.N * g.K);
  std::vector<double> runs;
  for (int rep = 0; rep < 7; ++rep) {
    const double t0 = wall_time();
    for (const auto& g : shapes)
      kern::gemm<float>(g.trans_a, g.trans_b, g.M, g.N, g.K, 1.0f, a.data(), b.data(), 0.0f, c.data());
    runs.push_back(wall_time() - t0);
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

// The largest peak resident set size of any rank, in MB (a sum of one-hot slots).
double peak_rss_mb(const Comm& comm) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::vector<double> all(static_cast<size_t>(comm.size()), 0.0);
  all[static_cast<size_t>(comm.rank())] = static_cast<double>(u.ru_maxrss) / 1024.0;
  comm.allreduce_sum(all.data(), comm.size());
  return *std::max_element(all.begin(), all.end());
}

// In-memory data: one global batch of B random samples of D features and `slots` targets per
// sample (class labels in [0, K), or with regression float32 values in [0, 1)), the same every
// step; returns this rank's slice of it. The plan indexes rows of the global batch; this rank's
// slice starts at step_begin[0] = 0.
Shard rank_batch(int64_t B, int64_t D, int64_t slots, int64_t K, bool regression, uint64_t seed,
                 const EpochPlan& plan) {
  Shard data;
  data.rows = B, data.D = D, data.slots = slots;
  data.x.resize(static_cast<size_t>(B * D)), data.y.resize(static_cast<size_t>(B * slots));
  Rng rng(derive_seed(seed, 0xbe4c, 0));
  for (auto& v : data.x) v = static_cast<float>(rng.uniform01());
  for (auto& v : data.y) {
    const auto f = static_cast<float>(rng.uniform01());
    if (regression)
      std::memcpy(&v, &f, sizeof v);
    else
      v = static_cast<int32_t>(rng.below(static_cast<uint64_t>(K)));
  }
  Shard mine;
  mine.D = D, mine.rows = plan.local_size(0), mine.slots = slots;
  mine.x.assign(data.x.begin() + plan.indices[0] * D, data.x.begin() + (plan.indices[0] + mine.rows) * D);
  mine.y.assign(data.y.begin() + plan.indices[0] * slots, data.y.begin() + (plan.indices[0] + mine.rows) * slots);
  return mine;
}

// The median of column c of the phases.
double median_of(std::vector<std::array<double, 3>> v, size_t c) {
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end(),
                   [c](const auto& a, const auto& b) { return a[c] < b[c]; });
  return v[v.size() / 2][c];
}

// The step as the alpha-beta model sees it: the median phases of the timed steps (medians: a shared
// machine's outliers inflate means) and, from a few traced steps more (median over them), when
// backward handed each gradient bucket to the sums, as the time left until backward's end. Wire
// bytes per gradient: 2 with comm.compress: bf16, else 4, times `shrink` (what compression would
// leave of the traced floats, where the job compresses nothing itself: below).
perf::StepProfile step_profile(StepRunner& runner, const Shard& mine, const EpochPlan& plan, const TrainSettings& s,
                               const std::vector<std::array<double, 3>>& phases, int64_t params, double shrink) {
  perf::StepProfile p;
  p.before_backward = median_of(phases, 0), p.backward = median_of(phases, 1), p.after = median_of(phases, 2);
  p.overlap = s.comm.overlap;
  const double wire = (s.comm.compress_bf16 ? 2 : 4) * shrink;
  constexpr int kTraced = 5;
  std::vector<Span> spans;
  spans.reserve(1024);
  std::vector<std::vector<double>> left;  // per bucket: seconds from its start to backward's end
  std::vector<int64_t> floats;
  for (int i = 0; i < kTraced; ++i) {
    spans.clear();
    StepTimes t;
    t.spans = &spans;
    runner.run(mine, plan, 0, i, s.optim.lr, &t);
    double bwd_end = 0;
    for (const Span& sp : spans)
      if (sp.lane == 0 && std::string_view(sp.name) == "backward") bwd_end = sp.end;
    size_t k = 0;
    for (const Span& sp : spans) {
      if (sp.lane != 1) continue;
      if (left.size() <= k) left.emplace_back(), floats.push_back(sp.floats);
      left[k++].push_back(std::max(0.0, bwd_end - sp.begin));
    }
  }
  for (size_t k = 0; k < left.size() && p.overlap; ++k) {
    std::sort(left[k].begin(), left[k].end());
    const double ready = std::max(0.0, p.backward - left[k][left[k].size() / 2]);
    p.buckets.push_back({ready, wire * static_cast<double>(floats[k])});
  }
  if (p.buckets.empty()) p.buckets.push_back({p.backward, wire * static_cast<double>(params)});
  return p;
}
}  // namespace

nlohmann::json run_bench(const TrainSettings& s, const Comm& comm, const BenchOptions& o) {
  configure_threads(s, comm);
  const SampleSource src(s.data.train, s.data.scale);
  const Shape input = src.sample_shape();
  const int64_t P = comm.size(), B = s.batch_size, local = per_rank_batch(B, comm.size());
  Model model(s.layers, input, local, s.layers_origin);
  model.init(s.seed);
  auto loss = make_loss<float>(s.loss, loss_options(s, src.target_slots()));
  auto opt = make_run_optimizer(s, model.store().size(), comm);
  const EpochPlan plan = Sampler(B, B, s.seed, false).plan(0, comm.rank(), comm.size());
  const int64_t C = numel(model.output_shape()), slots = loss->target_slots(C);
  const Shard mine =
      rank_batch(B, numel(input), slots, loss->regression() ? C : C / slots, loss->regression(), s.seed, plan);
  StepRunner runner(model, *loss, *opt, comm, s);
  std::vector<double> step_s;
  std::vector<std::array<double, 3>> phases;  // per timed step: data + forward, backward, optimizer
  phases.reserve(static_cast<size_t>(o.steps));
  StepTimes sum;
  for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
    StepTimes t;
    comm.barrier();
    const double t0 = wall_time();
    runner.run(mine, plan, 0, i, s.optim.lr, &t);
    if (i < o.warmup) continue;
    step_s.push_back(wall_time() - t0);
    phases.push_back({t.data + t.forward, t.backward, t.optimizer});
    sum.data += t.data, sum.forward += t.forward, sum.backward += t.backward, sum.comm += t.comm,
        sum.optimizer += t.optimizer;
  }
  std::sort(step_s.begin(), step_s.end());
  const double median = step_s[step_s.size() / 2], p90 = step_s[step_s.size() * 9 / 10];
  double gflop = 0;
  const double gemm_s = gemm_seconds(model, mine.rows, &gflop);
  const double rss = peak_rss_mb(comm);
  double state_mb = static_cast<double>(opt->state_size()) * 4 / 1e6;
  comm.allreduce_max(&state_mb, 1, "optimizer state size");
  const double n = static_cast<double>(o.steps),
               model_flops = model.flops_per_sample() * static_cast<double>(mine.rows);
  nlohmann::json prediction;
  if (!o.predict.nodes.empty()) {
    // One rank compresses nothing with comm.compress: powersgd (its traced sums are the gradients):
    // each bucket is shrunk by the share of the gradients PowerSGD would send (plain values and
    // low-rank factors of one bucket over them all).
    const int64_t params = model.store().size();
    const double shrink =
        s.comm.compress_powersgd && P == 1
            ? static_cast<double>(PowerSgd(model.store(), {{0, params}}, s.comm.powersgd_rank, 0).wire_floats()) /
                  static_cast<double>(params)
            : 1.0;
    const perf::StepProfile prof = step_profile(runner, mine, plan, s, phases, params, shrink);
    prediction = predict_report(prof, o.predict, comm, mine.rows, median);
  }
  nlohmann::json r = {{"model", model.architecture()},
                      {"parameters", model.store().size()},
                      {"ranks", P},
                      {"threads_per_rank", kern::configured_threads()},
                      {"blas", kern::blas_description()},
                      {"global_batch", B},
                      {"per_rank_batch", mine.rows},
                      {"steps", o.steps},
                      {"samples_per_s", static_cast<double>(B) / median},
                      {"step_ms", {{"median", median * 1e3}, {"p90", p90 * 1e3}}},
                      {"breakdown_ms",
                       {{"data", sum.data / n * 1e3},
                        {"forward", sum.forward / n * 1e3},
                        {"backward", sum.backward / n * 1e3},
                        {"comm_exposed", sum.comm / n * 1e3},
                        {"optimizer", sum.optimizer / n * 1e3}}},
                      {"gflops_per_s_per_rank", model_flops / median / 1e9},
                      {"sgemm_gflops_per_s", gflop / gemm_s / 1e9},
                      {"fraction_of_sgemm", (model_flops / median) / (gflop / gemm_s)},
                      {"peak_rss_mb", rss},
                      {"optimizer_state_mb", state_mb},  // the largest of the ranks (optimizer.shard: their parts)
                      {"optimizer_sharded", opt->sharded()}};
  if (!prediction.is_null()) r["prediction"] = prediction;
  return r;
}

}  // namespace dpt::cli
