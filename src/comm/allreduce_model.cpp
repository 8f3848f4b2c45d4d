#include "comm/allreduce_model.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace dpt::perf {

const std::vector<LinkPreset>& link_presets() {
  static const std::vector<LinkPreset> p = {
      {"1gbit", 0.125e9, 10, "1 Gbit/s Ethernet, TCP"},
      {"10gbit", 1.25e9, 10, "10 Gbit/s Ethernet, TCP"},
      {"100gbit", 12.5e9, 3, "100 Gbit/s, RDMA (InfiniBand EDR, RoCE)"},
      {"200gbit", 25e9, 2, "200 Gbit/s, RDMA (InfiniBand HDR)"},
  };
  return p;
}

Link preset_link(const std::string& name) {
  std::string known;
  for (const LinkPreset& p : link_presets()) {
    if (name == p.name) return {p.latency_us * 1e-6, 1.0 / p.bytes_per_s};
    known += (known.empty() ? "" : ", ") + std::string(p.name);
  }
  fail("--link '{}': unknown link (known: {})", name, known);
}

const char* algo_name(Algo a) {
  switch (a) {
    case Algo::recursive_doubling:
      return "recursive_doubling";
    case Algo::ring:
      return "ring";
    case Algo::rabenseifner:
      return "rabenseifner";
  }
  return "?";
}

namespace {
double rounds(int64_t P) { return std::ceil(std::log2(static_cast<double>(P))); }
}  // namespace

double allreduce_seconds(Algo a, double bytes, int64_t P, const Link& link) {
  if (P <= 1) return 0;
  const double p = static_cast<double>(P), shard = 2 * (p - 1) / p * bytes * link.beta;
  switch (a) {
    case Algo::recursive_doubling:
      return rounds(P) * (link.alpha + bytes * link.beta);
    case Algo::ring:
      return 2 * (p - 1) * link.alpha + shard;
    case Algo::rabenseifner:
      return 2 * rounds(P) * link.alpha + shard;
  }
  return 0;
}

Cost best_allreduce(double bytes, int64_t P, const Link& link) {
  Cost best{Algo::recursive_doubling, allreduce_seconds(Algo::recursive_doubling, bytes, P, link)};
  for (Algo a : {Algo::ring, Algo::rabenseifner}) {
    const double t = allreduce_seconds(a, bytes, P, link);
    if (t < best.seconds) best = {a, t};
  }
  return best;
}

Link link_from_fit(double A, double B, int64_t P) {
  if (P < 2) fail("calibrating a link needs at least 2 ranks (this job has {})", P);
  const double p = static_cast<double>(P);
  return {std::max(A, 0.0) / rounds(P), std::max(B, 0.0) / (2 * (p - 1) / p)};
}

Cost hierarchical_allreduce(double bytes, int64_t nodes, int64_t per_node, const Link& link, const Link& node) {
  const Cost leaders = best_allreduce(bytes, nodes, link);
  const double local = per_node > 1 ? 2 * rounds(per_node) * (node.alpha + bytes * node.beta) : 0;
  return {leaders.algo, local + leaders.seconds};
}

Link shared_memory_link() { return {1e-6, 1.0 / 5e9}; }

Prediction predict_step(const StepProfile& prof, int64_t ranks, const Link& link, const NodeLevel* node) {
  Prediction r;
  r.ranks = ranks;
  const double compute_end = prof.before_backward + prof.backward;
  double end = 0, largest = -1;
  auto sum = [&](double ready, double bytes) {
    const Cost c = node ? hierarchical_allreduce(bytes, ranks / node->per_node, node->per_node, link, node->link)
                        : best_allreduce(bytes, ranks, link);
    end = std::max(end, ready) + c.seconds;
    r.comm_s += c.seconds;
    if (bytes > largest) largest = bytes, r.largest_algo = c.algo;
  };
  if (ranks > 1 && prof.overlap) {
    for (const auto& b : prof.buckets) sum(prof.before_backward + std::min(b.ready, prof.backward), b.bytes);
  } else if (ranks > 1) {
    double total = 0;
    for (const auto& b : prof.buckets) total += b.bytes;
    sum(compute_end, total);
  }
  r.step_s = std::max(compute_end, end) + prof.after;
  r.exposed_s = r.step_s - prof.compute();
  r.efficiency = r.step_s > 0 ? prof.compute() / r.step_s : 1;
  return r;
}

std::vector<int64_t> parse_counts(const std::string& text, const std::string& flag) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    const bool digits =
        !item.empty() && (std::isdigit(static_cast<unsigned char>(item[0])) || (item[0] == '-' && item.size() > 1));
    if (!digits || *end || errno == ERANGE)
      fail("{} '{}': '{}' is not a whole number (expected a list like 2,8,64)", flag, text, item);
    if (v < 1) fail("{} '{}': node count {} is out of range: must be >= 1", flag, text, v);
    out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

}  // namespace dpt::perf
