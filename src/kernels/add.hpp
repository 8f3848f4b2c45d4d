// Sums of whole tensors for layer graphs (residual adds, gradients of a layer with several
// consumers), TBB-parallel over fixed element ranges (each element is one addition: the same bits
// on any thread count), with plain reference twins in ref::. Float (training) and double (checks).
#pragma once
#include <cstdint>

namespace dpt::kern {

// z = x + y, n elements (z may alias x or y)
template <class T>
void add(const T* x, const T* y, T* z, int64_t n);
// y += x, n elements
template <class T>
void add_to(const T* x, T* y, int64_t n);

namespace ref {
template <class T>
void add(const T* x, const T* y, T* z, int64_t n);
template <class T>
void add_to(const T* x, T* y, int64_t n);
}  // namespace ref

}  // namespace dpt::kern
