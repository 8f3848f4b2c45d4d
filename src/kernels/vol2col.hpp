// vol2col / col2vol: N-d convolution (1-D, 2-D, 3-D) as one GEMM per block of samples, with a
// kernel size, stride, zero padding and dilation per axis. 1-D data is D = H = 1, 2-D data D = 1.
//   x:   (B, C, D, H, W)
//   col: (C*KD*KH*KW, nb*OD*OH*OW) for samples [b0, b0 + nb): row (c, i, j, l), column (s, oz, oy, ox) =
//        x[b0 + s, c, oz*SD - PD + i*DD, oy*SH - PH + j*DH, ox*SW - PW + l*DW]  (0 outside the volume)
// vol2col is TBB-parallel over rows (c, i, j) (each task owns KW rows, written front to back; at
// stride 1 along W each input row is copied once into a zero-padded row and each tap is one copy of
// it); col2vol over (sample, input channel) volumes (each task owns its volume of dx, taps added in
// (i, j, l) order as in ref::); results never depend on the number of threads. ref:: twins are plain loops with the same order
// of additions (the tests compare bits).
#pragma once
#include <array>
#include <cstdint>

namespace dpt::kern {

struct VolGeom {
  int64_t B, C;
  std::array<int64_t, 3> in;          // (D, H, W)
  std::array<int64_t, 3> k;           // taps (KD, KH, KW)
  std::array<int64_t, 3> s{1, 1, 1};  // strides
  std::array<int64_t, 3> p{0, 0, 0};  // zero padding on each side
  std::array<int64_t, 3> d{1, 1, 1};  // dilation: tap i of axis a reads o*s - p + i*d
  int64_t out(int a) const { return (in[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1) / s[a] + 1; }
  int64_t in_size() const { return in[0] * in[1] * in[2]; }      // one channel's volume
  int64_t out_size() const { return out(0) * out(1) * out(2); }  // output positions per sample
  int64_t taps() const { return k[0] * k[1] * k[2]; }
};

// col (C*taps, nb*out_size) = vol2col of samples [b0, b0 + nb) of x (B, C, D, H, W)
template <class T>
void vol2col_range(const VolGeom& g, const T* x, int64_t b0, int64_t nb, T* col);
// dx samples [b0, b0 + nb) (of (B, C, D, H, W)) += the scatter-add of col (C*taps, nb*out_size)
template <class T>
void col2vol_range_acc(const VolGeom& g, const T* col, int64_t b0, int64_t nb, T* dx);

namespace ref {
template <class T>
void vol2col_range(const VolGeom& g, const T* x, int64_t b0, int64_t nb, T* col);
template <class T>
void col2vol_range_acc(const VolGeom& g, const T* col, int64_t b0, int64_t nb, T* dx);
}  // namespace ref

}  // namespace dpt::kern
