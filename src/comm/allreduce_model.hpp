// An alpha-beta model of data-parallel training steps on more nodes than the job has (`dptrain
// bench --predict-nodes`). Pure arithmetic: no MPI here (link_probe measures the inputs).
//
// A message of n bytes between two ranks costs alpha + n beta (alpha: latency in s, beta: s per
// byte). An all-reduce of n bytes over P ranks costs, per algorithm (Thakur, Rabenseifner, Gropp
// 2005; the reduction's arithmetic is left out, as it is memory-bound and small next to the wire):
//   recursive doubling   ceil(log2 P) alpha + ceil(log2 P) n beta        (small messages)
//   ring                 2 (P-1) alpha + 2 (P-1)/P n beta                 (large messages)
//   rabenseifner         2 ceil(log2 P) alpha + 2 (P-1)/P n beta          (reduce-scatter by recursive
//                        halving + all-gather by recursive doubling; large messages, many ranks)
// and each bucket takes the cheapest, as MPI's tuned decision does per message size.
// Assumptions: a flat network (every pair of ranks at the same alpha and beta: ranks on one node
// are costed like remote ones, which is pessimistic for them), full-duplex links, no contention
// (a switch with full bisection bandwidth; nothing else on the links), ceil(log2 P) rounds for P
// that is no power of two (MPI's extra pre/post step is left out).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dpt::perf {

struct Link {
  double alpha = 0;  // s per message
  double beta = 0;   // s per byte
};

// The --link presets: nominal line rate (bits / 8; TCP's framing makes the usable rate ~5 % less)
// and a default latency (Ethernet with TCP 10 us, RDMA fabrics 2-3 us). Throws for an unknown name,
// naming it and the known ones.
struct LinkPreset {
  const char* name;
  double bytes_per_s;
  double latency_us;
  const char* what;
};
const std::vector<LinkPreset>& link_presets();
Link preset_link(const std::string& name);  // throws: unknown name

enum class Algo { recursive_doubling, ring, rabenseifner };
const char* algo_name(Algo a);
double allreduce_seconds(Algo a, double bytes, int64_t P, const Link& link);  // 0 for P <= 1
struct Cost {
  Algo algo;
  double seconds;
};
Cost best_allreduce(double bytes, int64_t P, const Link& link);  // the cheapest of the three

// The link of the current job from timed all-reduces on its P ranks: t(n) = A + B n (A: the time
// of a tiny all-reduce, B: the slope over large ones). A small message takes recursive doubling
// (A = log2 P alpha), a large one ring or Rabenseifner (B = 2 (P-1)/P beta); throws for P < 2.
Link link_from_fit(double A, double B, int64_t P);

// One step of one rank, measured (weak scaling: the per-rank batch stays as measured).
struct StepProfile {
  double before_backward = 0;  // s: data + forward + loss
  double backward = 0;         // s
  double after = 0;            // s: the update (gradient norm, optimizer; also the gradient zeroing)
  struct Bucket {
    double ready;  // s after backward began: when backward has produced it
    double bytes;  // on the wire (float32: 4 per gradient, bf16: 2)
  };
  std::vector<Bucket> buckets;  // in the order backward produces them (= the order they are summed)
  bool overlap = true;          // false: one all-reduce of every bucket once backward has ended
  double compute() const { return before_backward + backward + after; }
};

struct Prediction {
  int64_t ranks = 1;
  double step_s = 0;               // max(end of backward, end of the last sum) + after
  double comm_s = 0;               // sum of the buckets' all-reduce times
  double exposed_s = 0;            // step_s - compute(): communication not hidden behind backward
  double efficiency = 1;           // compute() / step_s (the 1-rank step over this one)
  Algo largest_algo = Algo::ring;  // the algorithm of the largest bucket
};

// comm.hierarchical on N nodes of R ranks: a binomial-tree reduce to the node's leader and a
// binomial broadcast back, ceil(log2 R) rounds of the whole message each over the node's shared
// memory (`node`), around the leaders' all-reduce of N ranks on `link`:
//   2 ceil(log2 R) (node.alpha + n node.beta) + best_allreduce(n, N, link)
// (algo: the leaders'). R = 1 is the flat all-reduce of the N nodes.
Cost hierarchical_allreduce(double bytes, int64_t nodes, int64_t per_node, const Link& link, const Link& node);
// The node level of a hierarchical prediction: ranks per node and the link between them.
struct NodeLevel {
  int64_t per_node = 1;
  Link link;
};
// What the --ranks-per-node predictions assume for shared memory within a node (not measured:
// ~1 us per message, 5 GB/s per copy, a memcpy-bound transfer on one socket).
Link shared_memory_link();

// The sums run one after another in bucket order, each starting when backward produced it and the
// previous one ended (one communication thread, one collective at a time). Cost: O(buckets).
// With `node`: each sum is hierarchical (ranks / node->per_node nodes).
Prediction predict_step(const StepProfile& p, int64_t ranks, const Link& link, const NodeLevel* node = nullptr);

// "2,8,64" -> {2, 8, 64}; throws naming `flag` and the value for anything but positive integers.
std::vector<int64_t> parse_counts(const std::string& text, const std::string& flag);

}  // namespace dpt::perf
