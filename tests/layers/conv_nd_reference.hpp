// Naive loops for the N-d convolution layers' tests: a convolution and a transposed convolution of
// volumes (D, H, W) with per-axis taps, strides, padding and dilation, in PyTorch's layouts.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace dpt::test {

struct NdGeom {
  int64_t B, C, O;                        // batch, input channels, output channels
  std::array<int64_t, 3> in, k, s, p, d;  // (D, H, W)
  int64_t groups = 1;
  std::array<int64_t, 3> op{0, 0, 0};  // output_padding (transposed only)
  int64_t conv_out(size_t a) const { return (in[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1) / s[a] + 1; }
  int64_t tconv_out(size_t a) const { return (in[a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op[a] + 1; }
};

// y (B, O, out) = bias + sum over taps of W (O, C/groups, k) x, x (B, C, in); bias empty: none.
inline std::vector<double> naive_conv(const NdGeom& g, const std::vector<double>& x, const std::vector<double>& W,
                                      const std::vector<double>& bias) {
  const int64_t OD = g.conv_out(0), OH = g.conv_out(1), OW = g.conv_out(2), cg = g.C / g.groups, og = g.O / g.groups;
  const int64_t K = g.k[0] * g.k[1] * g.k[2], V = g.in[0] * g.in[1] * g.in[2];
  std::vector<double> y(static_cast<size_t>(g.B * g.O * OD * OH * OW));
  size_t n = 0;
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t oz = 0; oz < OD; ++oz)
        for (int64_t oy = 0; oy < OH; ++oy)
          for (int64_t ox = 0; ox < OW; ++ox, ++n) {
            double acc = bias.empty() ? 0.0 : bias[static_cast<size_t>(o)];
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t t = 0; t < K; ++t) {
                const int64_t i = t / (g.k[1] * g.k[2]), j = t / g.k[2] % g.k[1], l = t % g.k[2];
                const int64_t z = oz * g.s[0] - g.p[0] + i * g.d[0], yy = oy * g.s[1] - g.p[1] + j * g.d[1],
                              xx = ox * g.s[2] - g.p[2] + l * g.d[2];
                if (z < 0 || z >= g.in[0] || yy < 0 || yy >= g.in[1] || xx < 0 || xx >= g.in[2]) continue;
                const int64_t ci = o / og * cg + c;
                acc += W[static_cast<size_t>((o * cg + c) * K + t)] *
                       x[static_cast<size_t>((b * g.C + ci) * V + (z * g.in[1] + yy) * g.in[2] + xx)];
              }
            y[n] = acc;
          }
  return y;
}

// y (B, O, out): every input element x[b, c, pos] adds W[c, o, tap] at out position pos*s - p + tap*d.
inline std::vector<double> naive_conv_transpose(const NdGeom& g, const std::vector<double>& x,
                                                const std::vector<double>& W, const std::vector<double>& bias) {
  const int64_t OD = g.tconv_out(0), OH = g.tconv_out(1), OW = g.tconv_out(2), OV = OD * OH * OW;
  const int64_t K = g.k[0] * g.k[1] * g.k[2];
  std::vector<double> y(static_cast<size_t>(g.B * g.O * OV));
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t v = 0; v < OV; ++v) y[static_cast<size_t>((b * g.O + o) * OV + v)] = bias.empty() ? 0.0 : bias[o];
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t iz = 0; iz < g.in[0]; ++iz)
        for (int64_t iy = 0; iy < g.in[1]; ++iy)
          for (int64_t ix = 0; ix < g.in[2]; ++ix) {
            const double xv =
                x[static_cast<size_t>(((b * g.C + c) * g.in[0] + iz) * g.in[1] * g.in[2] + iy * g.in[2] + ix)];
            for (int64_t o = 0; o < g.O; ++o)
              for (int64_t t = 0; t < K; ++t) {
                const int64_t i = t / (g.k[1] * g.k[2]), j = t / g.k[2] % g.k[1], l = t % g.k[2];
                const int64_t z = iz * g.s[0] - g.p[0] + i * g.d[0], yy = iy * g.s[1] - g.p[1] + j * g.d[1],
                              xx = ix * g.s[2] - g.p[2] + l * g.d[2];
                if (z < 0 || z >= OD || yy < 0 || yy >= OH || xx < 0 || xx >= OW) continue;
                y[static_cast<size_t>((b * g.O + o) * OV + (z * OH + yy) * OW + xx)] +=
                    W[static_cast<size_t>((c * g.O + o) * K + t)] * xv;
              }
          }
  return y;
}

}  // namespace dpt::test
