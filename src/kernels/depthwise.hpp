// Depthwise 2-D convolution (groups = C_in = C_out: one KHxKW filter per channel) by direct loops,
// with plain reference twins in ref::. Geometry as im2col's ConvGeom (stride, zero padding,
// dilation):
//   x: (B, C, H, W), w: (C, KH, KW) (PyTorch's (C, 1, KH, KW)), y: (B, C, OH, OW)
//   y[b, c, oy, ox] = sum over taps (i, j) of w[c, i, j] * x[b, c, oy*S - P + i*D, ox*S - P + j*D]
// (taps outside the image skipped). Forward and the input gradient run in parallel over the B*C
// planes, the weight gradient over channels; every sum runs in a fixed order, so results never
// depend on threads. y and dx add the taps in (i, j) order as ref:: does (the same bits); dw sums
// each output column over samples and rows, then the columns (vectorizable), where ref:: sums each
// sample's plane in row-major order: equal to rounding.
#pragma once
#include <cstdint>

#include "kernels/im2col.hpp"

namespace dpt::kern {

// y (B, C, OH, OW) overwritten (no bias)
template <class T>
void depthwise_forward(const ConvGeom& g, const T* x, const T* w, T* y);
// dx (B, C, H, W) overwritten with the input gradient of dy (B, C, OH, OW)
template <class T>
void depthwise_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx);
// dw (C, KH, KW) += the weight gradient: sum over b, oy, ox of dy * x at each tap
template <class T>
void depthwise_backward_weight_acc(const ConvGeom& g, const T* x, const T* dy, T* dw);

namespace ref {
template <class T>
void depthwise_forward(const ConvGeom& g, const T* x, const T* w, T* y);
template <class T>
void depthwise_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx);
template <class T>
void depthwise_backward_weight_acc(const ConvGeom& g, const T* x, const T* dy, T* dw);
}  // namespace ref

}  // namespace dpt::kern
