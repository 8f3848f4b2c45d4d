#include "kernels/winograd_tiles.hpp"

#include <algorithm>

#include "kernels/clones.hpp"

namespace dpt::kern::wino {

namespace {
// A plane's zero-padded copy has Hp = 2 TH + 2 rows and 2 n = 2 TW + 2 columns (>= H + 2 pad,
// W + 2 pad). The input transform keeps it as eight quarter arrays Q[a][b][s] of (TH + 1, TW):
// Q[a][b][s][u][tx] = the padded plane's [2 u + a][2 (tx + s) + b]. Tile (ty, tx) reads padded rows
// 2 ty .. 2 ty + 3 = Q[0][.][.][ty], Q[1][.][.][ty], Q[0][.][.][ty + 1], Q[1][.][.][ty + 1] and
// columns 2 tx .. 2 tx + 3 = Q[.][0][0], Q[.][1][0], Q[.][0][1], Q[.][1][1] at [tx], so with
// t = ty TW + tx every transform step is one unit-stride loop over all of a plane's tiles (they
// vectorize); only copying rows in and out goes row by row.
struct Plane {
  int64_t H, W, p, OH, OW, TH, TW, Hp, n, L, nt;
  explicit Plane(const WinogradGeom& g)
      : H(g.H),
        W(g.W),
        p(g.pad),
        OH(g.OH()),
        OW(g.OW()),
        TH(g.TH()),
        TW(g.TW()),
        Hp(2 * TH + 2),
        n(TW + 1),
        L(TH * n),
        nt(TH * TW) {}
  int64_t quarter() const { return (TH + 1) * TW; }
  // Index of quarter array (a, b, s): rows 2 u + a, columns 2 (tx + s) + b of the padded plane; the
  // same index numbers the vertical results R[i][b][s] (i = 0..3).
  static int64_t qi(int64_t a, int64_t b, int64_t s) { return (a * 2 + b) * 2 + s; }
};

// The loops over tiles: elementwise adds and subtracts only, so every clone (DPT_CLONES) and the
// double versions (tests) compute each element the same way. *_body holds the loop; the float
// overloads are the clones, the bodies inlined and compiled for each ISA.
#define DPT_INLINE [[gnu::always_inline]] inline

// B^T (or B applied from the right) over 4 rows: (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
template <class T>
DPT_INLINE void bt4_body(const T* __restrict d0, const T* __restrict d1, const T* __restrict d2, const T* __restrict d3,
                         T* __restrict r0, T* __restrict r1, T* __restrict r2, T* __restrict r3, int64_t len) {
  for (int64_t m = 0; m < len; ++m) {
    const T a = d0[m], b = d1[m], c = d2[m], d = d3[m];
    r0[m] = a - c, r1[m] = b + c, r2[m] = c - b, r3[m] = b - d;
  }
}
// The adjoint of bt4: d0 = r0, d1 = r1 - r2 + r3, d2 = r1 + r2 - r0, d3 = -r3; in two passes
// (_first, then _second adding) where d2, d3 are d0, d1 one row on.
template <class T>
DPT_INLINE void bt4_adjoint_body(const T* __restrict r0, const T* __restrict r1, const T* __restrict r2,
                                 const T* __restrict r3, T* __restrict d0, T* __restrict d1, T* __restrict d2,
                                 T* __restrict d3, int64_t len) {
  for (int64_t m = 0; m < len; ++m)
    d0[m] = r0[m], d1[m] = r1[m] - r2[m] + r3[m], d2[m] = r1[m] + r2[m] - r0[m], d3[m] = -r3[m];
}
template <class T>
DPT_INLINE void bt4_adjoint_first_body(const T* __restrict r0, const T* __restrict r1, const T* __restrict r2,
                                       const T* __restrict r3, T* __restrict d0, T* __restrict d1, int64_t len) {
  for (int64_t m = 0; m < len; ++m) d0[m] = r0[m], d1[m] = r1[m] - r2[m] + r3[m];
}
template <class T>
DPT_INLINE void bt4_adjoint_second_body(const T* __restrict r0, const T* __restrict r1, const T* __restrict r2,
                                        const T* __restrict r3, T* __restrict d2, T* __restrict d3, int64_t len) {
  for (int64_t m = 0; m < len; ++m) d2[m] += r1[m] + r2[m] - r0[m], d3[m] -= r3[m];
}
// A^T over 4 rows: (m0 + m1 + m2, m1 - m2 - m3).
template <class T>
DPT_INLINE void at4_body(const T* __restrict m0, const T* __restrict m1, const T* __restrict m2, const T* __restrict m3,
                         T* __restrict s0, T* __restrict s1, int64_t len) {
  for (int64_t i = 0; i < len; ++i) s0[i] = m0[i] + m1[i] + m2[i], s1[i] = m1[i] - m2[i] - m3[i];
}
// The adjoint of at4 (A over 2 rows): (p, p + q, p - q, -q).
template <class T>
DPT_INLINE void a2_body(const T* __restrict p, const T* __restrict q, T* __restrict r0, T* __restrict r1,
                        T* __restrict r2, T* __restrict r3, int64_t len) {
  for (int64_t i = 0; i < len; ++i) r0[i] = p[i], r1[i] = p[i] + q[i], r2[i] = p[i] - q[i], r3[i] = -q[i];
}

#define DPT_WINO_LOOPS(ATTR, T)                                                                                        \
  ATTR void bt4(const T* d0, const T* d1, const T* d2, const T* d3, T* r0, T* r1, T* r2, T* r3, int64_t len) {         \
    bt4_body(d0, d1, d2, d3, r0, r1, r2, r3, len);                                                                     \
  }                                                                                                                    \
  ATTR void bt4_adjoint(const T* r0, const T* r1, const T* r2, const T* r3, T* d0, T* d1, T* d2, T* d3, int64_t len) { \
    bt4_adjoint_body(r0, r1, r2, r3, d0, d1, d2, d3, len);                                                             \
  }                                                                                                                    \
  ATTR void bt4_adjoint_first(const T* r0, const T* r1, const T* r2, const T* r3, T* d0, T* d1, int64_t len) {         \
    bt4_adjoint_first_body(r0, r1, r2, r3, d0, d1, len);                                                               \
  }                                                                                                                    \
  ATTR void bt4_adjoint_second(const T* r0, const T* r1, const T* r2, const T* r3, T* d2, T* d3, int64_t len) {        \
    bt4_adjoint_second_body(r0, r1, r2, r3, d2, d3, len);                                                              \
  }                                                                                                                    \
  ATTR void at4(const T* m0, const T* m1, const T* m2, const T* m3, T* s0, T* s1, int64_t len) {                       \
    at4_body(m0, m1, m2, m3, s0, s1, len);                                                                             \
  }                                                                                                                    \
  ATTR void a2(const T* p, const T* q, T* r0, T* r1, T* r2, T* r3, int64_t len) { a2_body(p, q, r0, r1, r2, r3, len); }
DPT_WINO_LOOPS(DPT_CLONES, float)
DPT_WINO_LOOPS(, double)
#undef DPT_WINO_LOOPS

// Which columns m of a split row are inside: columns 2 m (even, e) and 2 m + 1 (odd, o) of a padded
// row whose columns [at, at + len) hold the row are row[2 m - at] and row[2 m + 1 - at].
struct Split {
  int64_t e_lo, e_hi, o_lo, o_hi, lo, hi;  // [lo, hi): both inside
  Split(int64_t len, int64_t at, int64_t n)
      : e_lo(std::max<int64_t>(0, (at + 1) / 2)),
        e_hi(std::min(n, (len + at + 1) / 2)),
        o_lo(std::max<int64_t>(0, at / 2)),
        o_hi(std::min(n, (len + at) / 2)),
        lo(std::max(e_lo, o_lo)),
        hi(std::max(lo, std::min(e_hi, o_hi))) {}
};

// rows rows of len (source stride ss), each split into e, o (n, destination stride ds), zeros
// outside the row.
template <class T>
DPT_INLINE void split_rows_body(const T* src, int64_t ss, int64_t rows, int64_t len, int64_t at, int64_t n,
                                T* __restrict e, T* __restrict o, int64_t ds) {
  const Split S(len, at, n);
  for (int64_t i = 0; i < rows; ++i) {
    const T* row = src + i * ss - at;  // row[2 m], row[2 m + 1]: columns 2 m, 2 m + 1
    T *ei = e + i * ds, *oi = o + i * ds;
    for (int64_t m = 0; m < S.lo; ++m)
      ei[m] = m >= S.e_lo && m < S.e_hi ? row[2 * m] : T(0), oi[m] = m >= S.o_lo && m < S.o_hi ? row[2 * m + 1] : T(0);
    for (int64_t m = S.lo; m < S.hi; ++m) ei[m] = row[2 * m], oi[m] = row[2 * m + 1];
    for (int64_t m = S.hi; m < n; ++m)
      ei[m] = m >= S.e_lo && m < S.e_hi ? row[2 * m] : T(0), oi[m] = m >= S.o_lo && m < S.o_hi ? row[2 * m + 1] : T(0);
  }
}
// The inverse for columns [at, at + len): row i of dst (stride ds) from e, o (n, stride ss); with
// shifted, column pair m is e[m] + e2[m - 1] (o likewise; e2, o2 the copies two columns on).
template <class T>
DPT_INLINE void join_rows_body(const T* e, const T* o, const T* e2, const T* o2, int64_t ss, int64_t rows, int64_t n,
                               int64_t at, int64_t len, T* __restrict dst, int64_t ds, T* __restrict tmp) {
  const Split S(len, at, n);
  for (int64_t i = 0; i < rows; ++i) {
    const T *ei = e + i * ss, *oi = o + i * ss;
    if (e2) {  // tmp (2 n): the sums of the two copies
      const T *fi = e2 + i * ss, *pi = o2 + i * ss;
      tmp[0] = ei[0], tmp[n] = oi[0], tmp[n - 1] = fi[n - 2], tmp[2 * n - 1] = pi[n - 2];
      for (int64_t m = 1; m < n - 1; ++m) tmp[m] = ei[m] + fi[m - 1], tmp[n + m] = oi[m] + pi[m - 1];
      ei = tmp, oi = tmp + n;
    }
    T* row = dst + i * ds - at;
    for (int64_t m = 0; m < S.lo; ++m) {
      if (m >= S.e_lo && m < S.e_hi) row[2 * m] = ei[m];
      if (m >= S.o_lo && m < S.o_hi) row[2 * m + 1] = oi[m];
    }
    for (int64_t m = S.lo; m < S.hi; ++m) row[2 * m] = ei[m], row[2 * m + 1] = oi[m];
    for (int64_t m = S.hi; m < n; ++m) {
      if (m >= S.e_lo && m < S.e_hi) row[2 * m] = ei[m];
      if (m >= S.o_lo && m < S.o_hi) row[2 * m + 1] = oi[m];
    }
  }
}

#define DPT_WINO_ROWS(ATTR, T)                                                                                 \
  ATTR void split_rows(const T* src, int64_t ss, int64_t rows, int64_t len, int64_t at, int64_t n, T* e, T* o, \
                       int64_t ds) {                                                                           \
    split_rows_body(src, ss, rows, len, at, n, e, o, ds);                                                      \
  }                                                                                                            \
  ATTR void join_rows(const T* e, const T* o, const T* e2, const T* o2, int64_t ss, int64_t rows, int64_t n,   \
                      int64_t at, int64_t len, T* dst, int64_t ds, T* tmp) {                                   \
    join_rows_body(e, o, e2, o2, ss, rows, n, at, len, dst, ds, tmp);                                          \
  }
DPT_WINO_ROWS(DPT_CLONES, float)
DPT_WINO_ROWS(, double)
#undef DPT_WINO_ROWS

// The padded rows r = 2 u + a (a = 0, 1) inside the image, h = r - pad in [0, H): u in [lo, hi).
struct RowsOfParity {
  int64_t lo, hi;
  RowsOfParity(int64_t a, int64_t p, int64_t H, int64_t u_end) {
    lo = p - a > 0 ? (p - a + 1) / 2 : 0;
    hi = H - 1 + p - a < 0 ? 0 : std::min(u_end, (H - 1 + p - a) / 2 + 1);
    hi = std::max(hi, lo);
  }
};

// The F(2, 3) matrix G (4x3) that maps a 3-tap kernel to its 4 transformed taps.
template <class T>
constexpr T kG[4][3] = {{1, 0, 0}, {T(0.5), T(0.5), T(0.5)}, {T(0.5), T(-0.5), T(0.5)}, {0, 0, 1}};
}  // namespace

int64_t plane_scratch(const WinogradGeom& g) {
  const Plane P(g);
  return 8 * P.quarter() + 16 * P.nt + 4 * P.n;
}

template <class T>
void input_tiles(const WinogradGeom& g, const T* x, T* V, int64_t xs, T* scratch) {
  const Plane P(g);
  const int64_t TW = P.TW, nt = P.nt, qs = P.quarter();
  T *Q = scratch, *R = Q + 8 * qs;
  for (int64_t a = 0; a < 2; ++a) {  // padded rows 2 u + a: zeros above and below the image
    const RowsOfParity u(a, P.p, P.H, P.TH + 1);
    for (int64_t bs = 0; bs < 4; ++bs) {
      T* q = Q + (4 * a + bs) * qs;
      std::fill(q, q + u.lo * TW, T(0)), std::fill(q + u.hi * TW, q + qs, T(0));
    }
    const T* rows = x + (2 * u.lo + a - P.p) * P.W;
    for (int64_t s = 0; s < 2; ++s)  // s = 1: the same rows two columns on
      split_rows(rows, 2 * P.W, u.hi - u.lo, P.W, P.p - 2 * s, TW, Q + P.qi(a, 0, s) * qs + u.lo * TW,
                 Q + P.qi(a, 1, s) * qs + u.lo * TW, TW);
  }
  for (int64_t b = 0; b < 2;
       ++b)  // vertical: rows 2 ty .. 2 ty + 3 = Q[0][.][ty], Q[1][.][ty], Q[0][.][ty + 1], Q[1][.][ty + 1]
    for (int64_t s = 0; s < 2; ++s) {
      const T *q0 = Q + P.qi(0, b, s) * qs, *q1 = Q + P.qi(1, b, s) * qs;
      bt4(q0, q1, q0 + TW, q1 + TW, R + P.qi(0, b, s) * nt, R + P.qi(1, b, s) * nt, R + P.qi(2, b, s) * nt,
          R + P.qi(3, b, s) * nt, nt);
    }
  for (int64_t i = 0; i < 4;
       ++i) {  // horizontal: columns 2 tx .. 2 tx + 3 = R[i][0][0], R[i][1][0], R[i][0][1], R[i][1][1]
    T* v = V + 4 * i * xs;
    bt4(R + P.qi(i, 0, 0) * nt, R + P.qi(i, 1, 0) * nt, R + P.qi(i, 0, 1) * nt, R + P.qi(i, 1, 1) * nt, v, v + xs,
        v + 2 * xs, v + 3 * xs, nt);
  }
}

// The adjoint of input_tiles: horizontal adjoint into R, vertical adjoint into the quarter
// arrays, then each padded row's two shifted copies added and the image part copied out.
template <class T>
void input_tiles_adjoint(const WinogradGeom& g, const T* dV, int64_t xs, T* dx, T* scratch) {
  const Plane P(g);
  const int64_t TW = P.TW, nt = P.nt, qs = P.quarter(), n = P.n;
  T *Q = scratch, *R = Q + 8 * qs, *e = R + 16 * nt;  // e: (2 n) for join_rows
  for (int64_t i = 0; i < 4; ++i) {
    const T* v = dV + 4 * i * xs;
    bt4_adjoint(v, v + xs, v + 2 * xs, v + 3 * xs, R + P.qi(i, 0, 0) * nt, R + P.qi(i, 1, 0) * nt,
                R + P.qi(i, 0, 1) * nt, R + P.qi(i, 1, 1) * nt, nt);
  }
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t s = 0; s < 2; ++s) {
      T *q0 = Q + P.qi(0, b, s) * qs, *q1 = Q + P.qi(1, b, s) * qs;
      const T *r0 = R + P.qi(0, b, s) * nt, *r1 = R + P.qi(1, b, s) * nt, *r2 = R + P.qi(2, b, s) * nt,
              *r3 = R + P.qi(3, b, s) * nt;
      bt4_adjoint_first(r0, r1, r2, r3, q0, q1, nt);
      std::fill(q0 + nt, q0 + nt + TW, T(0)), std::fill(q1 + nt, q1 + nt + TW, T(0));
      bt4_adjoint_second(r0, r1, r2, r3, q0 + TW, q1 + TW, nt);
    }
  for (int64_t a = 0; a < 2; ++a) {  // the image rows h = 2 u + a - pad
    const RowsOfParity u(a, P.p, P.H, P.TH + 1);
    const int64_t at = u.lo * TW;
    join_rows(Q + P.qi(a, 0, 0) * qs + at, Q + P.qi(a, 1, 0) * qs + at, Q + P.qi(a, 0, 1) * qs + at,
              Q + P.qi(a, 1, 1) * qs + at, TW, u.hi - u.lo, n, P.p, P.W, dx + (2 * u.lo + a - P.p) * P.W, 2 * P.W, e);
  }
}

// Vertical A^T over all tiles (S[a][j], nt each), horizontal A^T (Y[a][0|1]: output rows 2 ty + a,
// even and odd columns), then the rows interleaved into y.
template <class T>
void output_tiles(const WinogradGeom& g, const T* M, int64_t xs, T* y, T* scratch) {
  const Plane P(g);
  const int64_t nt = P.nt, TW = P.TW;
  T *S = scratch, *Y = S + 8 * nt;
  for (int64_t j = 0; j < 4; ++j)
    at4(M + j * xs, M + (4 + j) * xs, M + (8 + j) * xs, M + (12 + j) * xs, S + j * nt, S + (4 + j) * nt, nt);
  for (int64_t a = 0; a < 2; ++a) {
    const T* s = S + 4 * a * nt;
    at4(s, s + nt, s + 2 * nt, s + 3 * nt, Y + 2 * a * nt, Y + (2 * a + 1) * nt, nt);
  }
  for (int64_t a = 0; a < 2; ++a)  // output rows 2 ty + a
    join_rows(Y + 2 * a * nt, Y + (2 * a + 1) * nt, static_cast<const T*>(nullptr), static_cast<const T*>(nullptr), TW,
              (P.OH - a + 1) / 2, TW, 0, P.OW, y + a * P.OW, 2 * P.OW, static_cast<T*>(nullptr));
}

// dY of every tile gathered (D[a][b]: row 2 ty + a, column 2 tx + b, 0 outside the output), then
// A over rows (Z[i][b]) and over columns (dM).
template <class T>
void output_tiles_adjoint(const WinogradGeom& g, const T* dy, T* dM, int64_t xs, T* scratch) {
  const Plane P(g);
  const int64_t nt = P.nt, TW = P.TW;
  T *D = scratch, *Z = D + 4 * nt;
  for (int64_t a = 0; a < 2; ++a) {  // output rows 2 ty + a; the last tile row's a = 1 may be outside
    const int64_t rows = (P.OH - a + 1) / 2;
    T *e = D + 2 * a * nt, *o = e + nt;
    split_rows(dy + a * P.OW, 2 * P.OW, rows, P.OW, 0, TW, e, o, TW);
    std::fill(e + rows * TW, e + nt, T(0)), std::fill(o + rows * TW, o + nt, T(0));
  }
  for (int64_t b = 0; b < 2; ++b)
    a2(D + b * nt, D + (2 + b) * nt, Z + b * nt, Z + (2 + b) * nt, Z + (4 + b) * nt, Z + (6 + b) * nt, nt);
  for (int64_t i = 0; i < 4; ++i) {
    T* d = dM + 4 * i * xs;
    a2(Z + 2 * i * nt, Z + (2 * i + 1) * nt, d, d + xs, d + 2 * xs, d + 3 * xs, nt);
  }
}

template <class T>
void weight_tiles(const WinogradGeom& g, const T* w, T* U) {
  const int64_t KC = g.K * g.C;
  for (int64_t kc = 0; kc < KC; ++kc) {
    const T* f = w + kc * 9;
    T gf[4][3];  // G f
    for (int i = 0; i < 4; ++i)
      for (int b = 0; b < 3; ++b) gf[i][b] = kG<T>[i][0] * f[b] + kG<T>[i][1] * f[3 + b] + kG<T>[i][2] * f[6 + b];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        U[(4 * i + j) * KC + kc] = gf[i][0] * kG<T>[j][0] + gf[i][1] * kG<T>[j][1] + gf[i][2] * kG<T>[j][2];
  }
}

template <class T>
void weight_tiles_adjoint_acc(const WinogradGeom& g, const T* dU, T* dw) {
  const int64_t KC = g.K * g.C;
  for (int64_t kc = 0; kc < KC; ++kc) {
    T gu[3][4];  // G^T dU
    for (int a = 0; a < 3; ++a)
      for (int j = 0; j < 4; ++j) {
        T s = 0;
        for (int i = 0; i < 4; ++i) s += kG<T>[i][a] * dU[(4 * i + j) * KC + kc];
        gu[a][j] = s;
      }
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) {
        T s = 0;
        for (int j = 0; j < 4; ++j) s += gu[a][j] * kG<T>[j][b];
        dw[kc * 9 + 3 * a + b] += s;
      }
  }
}

#define DPT_WINO(T)                                                                      \
  template void input_tiles<T>(const WinogradGeom&, const T*, T*, int64_t, T*);          \
  template void input_tiles_adjoint<T>(const WinogradGeom&, const T*, int64_t, T*, T*);  \
  template void output_tiles<T>(const WinogradGeom&, const T*, int64_t, T*, T*);         \
  template void output_tiles_adjoint<T>(const WinogradGeom&, const T*, T*, int64_t, T*); \
  template void weight_tiles<T>(const WinogradGeom&, const T*, T*);                      \
  template void weight_tiles_adjoint_acc<T>(const WinogradGeom&, const T*, T*);
DPT_WINO(float)
DPT_WINO(double)
#undef DPT_WINO

}  // namespace dpt::kern::wino
