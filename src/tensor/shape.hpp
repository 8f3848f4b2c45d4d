// Shapes and owned, 64-byte aligned buffers. A per-sample shape excludes the batch dimension:
// an image batch x: (B, C, H, W) has per-sample shape {C, H, W}.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

namespace dpt {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& s);          // product of the dimensions (1 for {})
std::string shape_str(const Shape& s);  // "(1, 28, 28)"

template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const {
    return true;
  }
};

// Contiguous, 64-byte aligned storage (cache-line and AVX-512 friendly).
template <class T>
using Buffer = std::vector<T, AlignedAllocator<T>>;

}  // namespace dpt
