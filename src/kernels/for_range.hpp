// Internal to kernels/: [0, n) in pieces of at least `grain` elements on oneTBB's threads, or in
// one piece on the calling thread when n <= grain (below that, threading costs more than it saves).
// Each piece is f(begin, end); elementwise work gives the same result whatever the split.
#pragma once
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstdint>

namespace dpt::kern {

template <class F>
void for_range(int64_t n, int64_t grain, F&& f) {
  if (n <= grain) {
    f(int64_t{0}, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { f(r.begin(), r.end()); });
}

}  // namespace dpt::kern
