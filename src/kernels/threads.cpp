#include "kernels/threads.hpp"

#include <cblas.h>
#include <sched.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace dpt::kern {

namespace {
std::unique_ptr<tbb::global_control> g_tbb_limit;
int g_threads = 1;
}  // namespace

int online_cpus() { return std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))); }

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return online_cpus();
  return std::max(1, CPU_COUNT(&set));
}

int auto_threads(int local_ranks) {
  const int mine = affinity_cpus(), all = online_cpus();
  if (mine < all) return mine;  // bound (mpirun --bind-to core, srun --cpu-bind): use the binding
  return std::max(1, all / std::max(1, local_ranks));
}

void configure_threads(int n, bool single_threaded_blas) {
  g_threads = std::max(1, n);
  g_tbb_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                      static_cast<size_t>(g_threads));
  openblas_set_num_threads(single_threaded_blas ? 1 : g_threads);
}

int configured_threads() { return g_threads; }

}  // namespace dpt::kern
