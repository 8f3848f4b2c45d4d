// The two-level layout of a job for hierarchical gradient sums (comm.hierarchical): the ranks of
// each node (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED): they share memory) and, across nodes, the
// ranks with the same place on their node (node rank 0 of every node: the leaders). A sum then is
//   reduce     within the node to its leader (shared memory)
//   all-reduce among the leaders (the network: one message stream per node, not one per rank)
//   broadcast  within the node from its leader
// Network bytes per node: 2 (N-1)/N n beta for N nodes instead of the flat ring's R-fold
// 2 (P-1)/P n beta through the node's link (R ranks per node share it); the node's steps add
// ~2 log R alpha + 2 n beta_shm. Uneven nodes (1 + 3 ranks) work the same way.
// Test-only: DPTRAIN_FAKE_NODES="2,2" (the sizes of consecutive groups of ranks, summing to the
// rank count) makes the groups the nodes instead of shared memory (one machine is one node).
#pragma once
#include <cstdint>
#include <string>

#include "comm/comm.hpp"

namespace dpt {

enum class Hierarchy { off, on, automatic };  // comm.hierarchical: off, on, auto

struct Topology {
  int nodes = 1;                           // ranks with node rank 0
  int min_per_node = 1, max_per_node = 1;  // ranks per node
  std::string describe() const;            // "2 nodes, 2 ranks per node" / "2 nodes, 1-3 ranks per node"
};

// auto: hierarchical only when the job spans several nodes and some node has several ranks (with
// one node, or one rank per node, the leaders' all-reduce is the flat one). on: whenever there
// are several ranks. off: never.
bool hierarchy_used(Hierarchy mode, const Topology& t);

struct NodeGroups {
  Comm node;   // this node's ranks, in rank order; its rank 0 is the node's leader
  Comm cross;  // the ranks with this rank's node rank, one per node (for a leader: the leaders)
  Topology topo;
};

// Collective over c: its nodes (or DPTRAIN_FAKE_NODES's groups) and their topology; `cross` is
// split off only when hierarchy_used(mode, topo) (else it is c itself). Throws for a malformed
// DPTRAIN_FAKE_NODES (the same message on every rank).
NodeGroups node_groups(const Comm& c, Hierarchy mode);

}  // namespace dpt
