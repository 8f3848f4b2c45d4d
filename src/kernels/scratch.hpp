// Per-thread scratch buffers that kernels reuse from call to call (no allocation per training step
// once the largest size was seen). The function returns a plain pointer on purpose: a lambda that
// TBB runs on a worker thread must use that pointer, never name a thread_local itself (the worker
// would get its own, empty buffer: that crashed twice before this helper existed).
#pragma once
#include <cstddef>
#include <vector>

namespace dpt::kern {

// At least n elements (contents unspecified), owned by the calling thread; Slot tells apart two
// buffers of the same type needed at once.
template <class T, int Slot = 0>
T* caller_scratch(std::size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

}  // namespace dpt::kern
