// im2col / col2im for 2-D convolution over a whole batch, in the layout that turns the batch's
// convolution into one GEMM:
//   x:   (B, C, H, W)
//   col: (C*KH*KW, B*OH*OW)   row (c, i, j), column (b, oy, ox) = x[b, c, oy*S - P + i*D, ox*S - P + j*D]
//                             (0 outside the image; D: the dilation, 1 by default)
// im2col is TBB-parallel over (c, i) (each task owns KW rows, written front to back), col2im over
// input channels (each task owns its channel's planes of dx; taps added in (i, j) order as in ref::),
// so results never depend on threads. Stride 1, dilation 1 (padded width <= 128): each image row is
// copied once into a zero-padded row and every tap is a fixed-width copy (add) of it, with fixed
// widths 7, 14, 16, 28, 32; other stride-1 rows have fixed-width paths for 8, 12, 16, 24, 32.
// ref:: twins are plain loops.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct ConvGeom {
  int64_t B, C, H, W;  // input
  int64_t KH, KW, stride, pad;
  int64_t dil = 1;  // dilation: tap (i, j) reads x[.., oy*S - P + i*dil, ox*S - P + j*dil]
  int64_t OH() const { return (H + 2 * pad - dil * (KH - 1) - 1) / stride + 1; }
  int64_t OW() const { return (W + 2 * pad - dil * (KW - 1) - 1) / stride + 1; }
};

template <class T>
void im2col(const ConvGeom& g, const T* x, T* col);
// dx (B, C, H, W) += the col2im scatter-add of dcol (C*KH*KW, B*OH*OW)
template <class T>
void col2im_acc(const ConvGeom& g, const T* dcol, T* dx);
// The same for samples [b0, b0 + nb) of x only: col (C*KH*KW, nb*OH*OW), column (s, oy, ox) from
// sample b0 + s. Conv layers walk the batch in such groups so that col stays in cache.
template <class T>
void im2col_range(const ConvGeom& g, const T* x, int64_t b0, int64_t nb, T* col);
// dx samples [b0, b0 + nb) += the col2im scatter-add of dcol (C*KH*KW, nb*OH*OW)
template <class T>
void col2im_range_acc(const ConvGeom& g, const T* dcol, int64_t b0, int64_t nb, T* dx);
// (B, N, M) <-> (N, B*M): between batch-major activations and the GEMM's channel-major layout.
template <class T>
void batch_to_channel_major(const T* a, T* b, int64_t B, int64_t N, int64_t M);
template <class T>
void channel_to_batch_major(const T* a, T* b, int64_t B, int64_t N, int64_t M);

// db (C) += sum over b, m of dy (B, C, M), for conv bias gradients. Per channel: 16 partial sums
// (element m of every row goes to partial m % 16), rows in order, then added pairwise: a fixed
// grouping, so the result does not depend on threads (parallel only over channels).
template <class T>
void channel_sums_acc(const T* dy, T* db, int64_t B, int64_t C, int64_t M);

namespace ref {
template <class T>
void channel_sums_acc(const T* dy, T* db, int64_t B, int64_t C, int64_t M);  // plain loops
template <class T>
void im2col(const ConvGeom& g, const T* x, T* col);
template <class T>
void col2im_acc(const ConvGeom& g, const T* dcol, T* dx);
}  // namespace ref

}  // namespace dpt::kern
