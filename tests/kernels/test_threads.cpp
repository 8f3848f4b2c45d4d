// configure_threads sets the thread count the kernels really run with (TBB's limit, OpenBLAS's
// threads), and results must not depend on it: the same inputs under configure_threads(1) and
// configure_threads(2) give bitwise identical outputs (a data-parallel run on a different number of
// cores per rank must reproduce the same numbers).
#include <gtest/gtest.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/rng.hpp"
#include "kernel_test_util.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/softmax_xent.hpp"
#include "kernels/threads.hpp"
#include "kernels/update.hpp"

// OpenBLAS's own extension (its cblas.h, which only src/kernels includes, declares it).
extern "C" int openblas_get_num_threads(void);

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

// The most iterations of a TBB loop in flight at once: each of 256 one-iteration tasks sleeps 1 ms,
// so an idle worker has every chance to join. What configure_threads allows is what this sees.
int peak_parallelism() {
  std::atomic<int> now{0}, peak{0};
  tbb::parallel_for(
      tbb::blocked_range<int>(0, 256, 1),
      [&](const tbb::blocked_range<int>& r) {
        for (int i = r.begin(); i < r.end(); ++i) {
          const int n = ++now;
          for (int p = peak.load(); n > p && !peak.compare_exchange_weak(p, n);) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          --now;
        }
      },
      tbb::simple_partitioner());
  return peak.load();
}

size_t tbb_limit() { return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism); }

// configure_threads must reach the pools the kernels run on, not only record the count: TBB's
// global limit is n and a parallel loop runs on exactly n threads; OpenBLAS runs n threads, or 1
// with single_threaded_blas (train.deterministic).
TEST(KernelThreads, ConfigureThreadsLimitsTbbAndOpenBlas) {
  kern::configure_threads(1);
  EXPECT_EQ(tbb_limit(), 1u);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  EXPECT_EQ(peak_parallelism(), 1);
  kern::configure_threads(0);  // clamped to 1
  EXPECT_EQ(kern::configured_threads(), 1);
  EXPECT_EQ(tbb_limit(), 1u);
  if (kern::affinity_cpus() < 2) GTEST_SKIP() << "one CPU: 2 threads cannot run at once";
  kern::configure_threads(2);
  EXPECT_EQ(kern::configured_threads(), 2);
  EXPECT_EQ(tbb_limit(), 2u);
  EXPECT_EQ(openblas_get_num_threads(), 2);
  EXPECT_EQ(peak_parallelism(), 2);
  kern::configure_threads(2, /*single_threaded_blas=*/true);
  EXPECT_EQ(tbb_limit(), 2u);
  EXPECT_EQ(openblas_get_num_threads(), 1);
}

TEST(KernelThreads, CpuCountsAreConsistent) {
  EXPECT_GE(kern::online_cpus(), 1);
  EXPECT_GE(kern::affinity_cpus(), 1);
  EXPECT_LE(kern::affinity_cpus(), kern::online_cpus());
  EXPECT_GE(kern::auto_threads(1000), 1);
  EXPECT_LE(kern::auto_threads(1), kern::online_cpus());
  EXPECT_LE(kern::auto_threads(2), kern::auto_threads(1));
}

// Runs f under 1 thread and under 2 threads and returns both results.
template <class F>
auto under_1_and_2_threads(F&& f) {
  kern::configure_threads(1);
  auto one = f();
  kern::configure_threads(2);
  auto two = f();
  return std::make_pair(one, two);
}

TEST(KernelThreads, SumRowsIsIndependentOfThreadCount) {
  constexpr int64_t B = 256, N = 3000;  // 12 column blocks: parallel
  const auto dy = random_vector<float>(B * N, 1);
  const auto [one, two] = under_1_and_2_threads([&] {
    std::vector<float> db = random_vector<float>(N, 2);
    kern::sum_rows_acc(dy.data(), db.data(), B, N);
    return db;
  });
  EXPECT_TRUE(bitwise_equal(one, two));
}

TEST(KernelThreads, SoftmaxXentIsIndependentOfThreadCount) {
  constexpr int64_t B = 4096, C = 10;
  const auto z = random_vector<float>(B * C, 3, -4, 4);
  std::vector<int32_t> labels(B);
  Rng rng(4);
  for (auto& l : labels) l = static_cast<int32_t>(rng.below(C));
  struct Out {
    double loss;
    int64_t correct;
    std::vector<float> dz;
  };
  const auto [one, two] = under_1_and_2_threads([&] {
    Out o{0, 0, std::vector<float>(B * C)};
    const auto r = kern::softmax_xent<float>(z.data(), labels.data(), B, C, 1.0f / B, o.dz.data());
    o.loss = r.loss_sum, o.correct = r.correct;
    return o;
  });
  EXPECT_EQ(one.loss, two.loss);  // bitwise: the row losses are summed in row order
  EXPECT_EQ(one.correct, two.correct);
  EXPECT_TRUE(bitwise_equal(one.dz, two.dz));
}

TEST(KernelThreads, SgdUpdateIsIndependentOfThreadCount) {
  constexpr int64_t n = 200000;
  const auto dp = random_vector<float>(n, 5);
  const auto [one, two] = under_1_and_2_threads([&] {
    auto p = random_vector<float>(n, 6);
    std::vector<float> v(n, 0.0f);
    for (int step = 0; step < 3; ++step) kern::sgd_update(p.data(), dp.data(), v.data(), n, {0.1f, 0.9f, 1e-4f, true});
    return p;
  });
  EXPECT_TRUE(bitwise_equal(one, two));
}

}  // namespace
}  // namespace dpt
