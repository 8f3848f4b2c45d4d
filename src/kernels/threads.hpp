// Thread pools: one TBB limit and one OpenBLAS thread count per rank, chosen so that
// ranks x threads never exceed the cores the rank owns.
#pragma once

namespace dpt::kern {

int online_cpus();    // CPUs of this machine
int affinity_cpus();  // CPUs this process may run on (its binding)
// Threads for one of `local_ranks` ranks on this node: all CPUs of its binding when the ranks are
// bound to disjoint CPUs, else an equal share of the node. Never below 1.
int auto_threads(int local_ranks);
// Limits TBB to n threads and sets OpenBLAS to n threads (1 with single_threaded_blas: OpenBLAS's
// threaded sgemm can round differently from its one-thread path at some shapes, which
// train.deterministic cannot allow). Call before kernels run.
void configure_threads(int n, bool single_threaded_blas = false);
int configured_threads();

}  // namespace dpt::kern
