#include "comm/hierarchy.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dpt {

std::string Topology::describe() const {
  const std::string per =
      min_per_node == max_per_node ? fmt::format("{}", max_per_node) : fmt::format("{}-{}", min_per_node, max_per_node);
  return fmt::format("{} node{}, {} rank{} per node", nodes, nodes == 1 ? "" : "s", per, max_per_node == 1 ? "" : "s");
}

bool hierarchy_used(Hierarchy mode, const Topology& t) {
  switch (mode) {
    case Hierarchy::on:
      return t.nodes > 1 || t.max_per_node > 1;
    case Hierarchy::automatic:
      return t.nodes > 1 && t.max_per_node > 1;
    default:
      return false;
  }
}

namespace {

// DPTRAIN_FAKE_NODES="2,2": the node (0, 1, ...) of `rank` among `size` ranks; -1 when unset.
int fake_node(int rank, int size) {
  const char* env = std::getenv("DPTRAIN_FAKE_NODES");
  if (!env || !*env) return -1;
  const std::string spec(env);
  int node = -1, seen = 0, count = 0;
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t end = std::min(spec.find(',', pos), spec.size());
    const std::string part = spec.substr(pos, end - pos);
    char* stop = nullptr;
    const long n = std::strtol(part.c_str(), &stop, 10);
    if (part.empty() || *stop || n < 1 || n > size)
      fail("DPTRAIN_FAKE_NODES = '{}': '{}' is not a rank count from 1 to {} (expected e.g. '2,2')", spec, part, size);
    if (rank >= seen && rank < seen + n) node = count;
    seen += static_cast<int>(n), ++count, pos = end + 1;
  }
  if (seen != size) fail("DPTRAIN_FAKE_NODES = '{}' covers {} ranks, the job has {}", spec, seen, size);
  return node;
}

}  // namespace

NodeGroups node_groups(const Comm& c, Hierarchy mode) {
  const int fake = fake_node(c.rank(), c.size());
  NodeGroups g{fake >= 0 ? c.split(fake) : c.split_shared(), c, {}};
  // nodes: the leaders; sizes: max(size) and max(-size) = -min(size)
  int64_t leaders = g.node.rank() == 0 ? 1 : 0;
  c.allreduce_sum(&leaders, 1, "node count");
  double sizes[2] = {static_cast<double>(g.node.size()), -static_cast<double>(g.node.size())};
  c.allreduce_max(sizes, 2, "ranks per node");
  g.topo = {static_cast<int>(leaders), static_cast<int>(-sizes[1]), static_cast<int>(sizes[0])};
  if (hierarchy_used(mode, g.topo)) g.cross = c.split(g.node.rank());
  return g;
}

}  // namespace dpt
