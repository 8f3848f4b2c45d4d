// Resampling kernels over (planes, D, H, W) planes (1-D and 2-D inputs: D = H = 1 or D = 1), with
// reference twins, TBB-parallel over planes; each output element is computed by one thread in a
// fixed order, so results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace dpt::kern {

// Nearest-neighbour upsampling by integer factors k[a] per axis (1 on unused axes):
// x (planes, D, H, W) -> y (planes, k0 D, k1 H, k2 W), y[d, h, w] = x[d / k0, h / k1, w / k2].
struct UpsampleGeom {
  int64_t planes;
  int64_t in[3];  // D, H, W
  int64_t k[3];
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return in_size() * k[0] * k[1] * k[2]; }
};
template <class T>
void upsample_nearest_forward(const UpsampleGeom& g, const T* x, T* y);
// dx[d, h, w] = the sum of its k0 k1 k2 copies' dy, in (i, j, l) order from 0 (overwritten)
template <class T>
void upsample_nearest_backward(const UpsampleGeom& g, const T* dy, T* dx);

// A shifted window: x (planes, in[3]) -> y (planes, out[3]), y[o] = x[o + shift] where that lies
// inside x, else 0. Zero padding by p is shift = -p with out = in + 2p; a crop of c is shift = +c
// with out = in - 2c; each is the other's backward.
struct ShiftGeom {
  int64_t planes;
  int64_t in[3], out[3], shift[3];
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
};
template <class T>
void shift_copy(const ShiftGeom& g, const T* x, T* y);

namespace ref {
template <class T>
void upsample_nearest_forward(const UpsampleGeom& g, const T* x, T* y);
template <class T>
void upsample_nearest_backward(const UpsampleGeom& g, const T* dy, T* dx);
template <class T>
void shift_copy(const ShiftGeom& g, const T* x, T* y);
}  // namespace ref

}  // namespace dpt::kern
