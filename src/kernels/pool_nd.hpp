// N-d pooling (1-3 spatial axes) over (B, C, D, H, W) planes, TBB-parallel over planes, with
// reference twins. A 1-D input is D = H = 1 (k = stride = 1, pad = 0 on the unused axes); a 2-D
// one D = 1. Per axis a: O[a] = (in[a] + 2*pad[a] - k[a]) / stride[a] + 1. Padding never wins a
// max; average pooling divides by the full window k[0]*k[1]*k[2] (PyTorch's count_include_pad=True).
// maxpool2d/avgpool2d keep their own kernels (kernels/pool.hpp).
#pragma once
#include <cstdint>

namespace dpt::kern {

struct PoolNdGeom {
  int64_t planes;  // B * C
  int64_t in[3];   // D, H, W
  int64_t k[3], stride[3], pad[3];
  int64_t out(int a) const { return (in[a] + 2 * pad[a] - k[a]) / stride[a] + 1; }
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out(0) * out(1) * out(2); }
};

// y: (planes, OD, OH, OW), the max of each window; arg: its index within the input plane (for
// backward). relu: a fused ReLU before the pooling (as kern::maxpool_forward's): y = the max of
// relu(x), arg = -1 where y is not positive.
template <class T>
void maxpool_nd_forward(const PoolNdGeom& g, const T* x, T* y, int32_t* arg, bool relu = false);
// dx = 0, then dx[arg] += dy (where arg >= 0), output positions in order within each plane
template <class T>
void maxpool_nd_backward(const PoolNdGeom& g, const T* dy, const int32_t* arg, T* dx);
// y = the sum of the window in (d, h, w) order, times 1 / (k0 k1 k2)
template <class T>
void avgpool_nd_forward(const PoolNdGeom& g, const T* x, T* y);
// dx = 0, then every output position in order adds dy / (k0 k1 k2) to its window (overwritten)
template <class T>
void avgpool_nd_backward(const PoolNdGeom& g, const T* dy, T* dx);

namespace ref {
template <class T>
void maxpool_nd_forward(const PoolNdGeom& g, const T* x, T* y, int32_t* arg, bool relu = false);
template <class T>
void maxpool_nd_backward(const PoolNdGeom& g, const T* dy, const int32_t* arg, T* dx);
template <class T>
void avgpool_nd_forward(const PoolNdGeom& g, const T* x, T* y);
template <class T>
void avgpool_nd_backward(const PoolNdGeom& g, const T* dy, T* dx);
}  // namespace ref

}  // namespace dpt::kern
