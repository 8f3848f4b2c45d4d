// 2-D pooling over (B, C, H, W) planes, TBB-parallel over planes, with reference twins.
// Output (B, C, OH, OW), OH = (H + 2*pad - k) / stride + 1. Padding never wins a max; average
// pooling divides by the full window (PyTorch's count_include_pad=True).
#pragma once
#include <cstdint>

namespace dpt::kern {

struct PoolGeom {
  int64_t planes, H, W, k, stride, pad;  // planes = B * C
  int64_t OH() const { return (H + 2 * pad - k) / stride + 1; }
  int64_t OW() const { return (W + 2 * pad - k) / stride + 1; }
};

// y: max of each window; arg: index (within the plane) of the max, for backward. relu: the ReLU
// layer before the pooling, fused: y = max of relu(x) over each window (the same bits as a
// kern::relu_forward pass, then the pooling) and arg = -1 where y is not positive (ReLU passes no
// gradient there),
// so that backward returns the gradient of the ReLU's input: one pass over x instead of three.
template <class T>
void maxpool_forward(const PoolGeom& g, const T* x, T* y, int32_t* arg, bool relu = false);
// dx = 0, then dx[arg] += dy (where arg >= 0)
template <class T>
void maxpool_backward(const PoolGeom& g, const T* dy, const int32_t* arg, T* dx);
template <class T>
void avgpool_forward(const PoolGeom& g, const T* x, T* y);
template <class T>
void avgpool_backward(const PoolGeom& g, const T* dy, T* dx);  // dx overwritten

// Global average pooling (PyTorch's AdaptiveAvgPool2d(1)): x (planes, HW) -> y (planes), each
// plane summed in order in double, then divided by HW; backward dx (planes, HW) = dy[p] / HW
// everywhere (overwritten). Parallel over planes, so results do not depend on threads.
template <class T>
void global_avgpool_forward(const T* x, T* y, int64_t planes, int64_t HW);
template <class T>
void global_avgpool_backward(const T* dy, T* dx, int64_t planes, int64_t HW);

namespace ref {
template <class T>
void global_avgpool_forward(const T* x, T* y, int64_t planes, int64_t HW);
template <class T>
void global_avgpool_backward(const T* dy, T* dx, int64_t planes, int64_t HW);
template <class T>
void maxpool_forward(const PoolGeom& g, const T* x, T* y, int32_t* arg, bool relu = false);
template <class T>
void maxpool_backward(const PoolGeom& g, const T* dy, const int32_t* arg, T* dx);
template <class T>
void avgpool_forward(const PoolGeom& g, const T* x, T* y);
template <class T>
void avgpool_backward(const PoolGeom& g, const T* dy, T* dx);
}  // namespace ref

}  // namespace dpt::kern
