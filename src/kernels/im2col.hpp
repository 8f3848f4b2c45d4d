// im2col / col2im for 2-D convolution over a whole batch, in the layout that turns the batch's
// convolution into one GEMM:
//   x:   (B, C, H, W)
//   col: (C*KH*KW, B*OH*OW)   row (c, i, j), column (b, oy, ox) = x[b, c, oy*S - P + i, ox*S - P + j]
//                             (0 outside the image)
// TBB-parallel over samples (each sample owns its columns); ref:: twins are plain loops.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct ConvGeom {
  int64_t B, C, H, W;  // input
  int64_t KH, KW, stride, pad;
  int64_t OH() const { return (H + 2 * pad - KH) / stride + 1; }
  int64_t OW() const { return (W + 2 * pad - KW) / stride + 1; }
};

template <class T> void im2col(const ConvGeom& g, const T* x, T* col);
// dx (B, C, H, W) += the col2im scatter-add of dcol (C*KH*KW, B*OH*OW)
template <class T> void col2im_acc(const ConvGeom& g, const T* dcol, T* dx);
// (B, N, M) <-> (N, B*M): between batch-major activations and the GEMM's channel-major layout.
template <class T> void batch_to_channel_major(const T* a, T* b, int64_t B, int64_t N, int64_t M);
template <class T> void channel_to_batch_major(const T* a, T* b, int64_t B, int64_t N, int64_t M);

namespace ref {
template <class T> void im2col(const ConvGeom& g, const T* x, T* col);
template <class T> void col2im_acc(const ConvGeom& g, const T* dcol, T* dx);
}  // namespace ref

}  // namespace dpt::kern
