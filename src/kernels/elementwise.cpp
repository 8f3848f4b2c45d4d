#include "kernels/elementwise.hpp"
#include "kernels/for_range.hpp"
#include "kernels/scratch.hpp"


#include <algorithm>
#include <cmath>
#include <vector>

namespace dpt::kern {

namespace {
constexpr int64_t kGrain = 16384;  // elements per task: below this, threading costs more than it saves

}  // namespace

template <class T>
void broadcast_rows(T* y, const T* b, int64_t B, int64_t N) {
  for_range(B, std::max<int64_t>(1, kGrain / std::max<int64_t>(N, 1)), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) std::copy(b, b + N, y + i * N);
  });
}

template <class T>
void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N) {
  // Parallel over column blocks; each block sums all rows in order, so results do not depend on
  // the thread count.
  constexpr int64_t kCols = 256;
  const int64_t blocks = (N + kCols - 1) / kCols;
  for_range(blocks, std::max<int64_t>(1, kGrain / std::max<int64_t>(B * kCols, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t j0 = blk * kCols, j1 = std::min(N, j0 + kCols);
      for (int64_t i = 0; i < B; ++i) {
        const T* row = dy + i * N;
        for (int64_t j = j0; j < j1; ++j) db[j] += row[j];
      }
    }
  });
}

template <class T>
void relu_forward(const T* x, T* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
  });
}

template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) {  // dy loaded unconditionally: a select the compiler vectorizes
      const T d = dy[i];
      dx[i] = y[i] > T(0) ? d : T(0);
    }
  });
}

template <class T>
void scale(T* x, int64_t n, T s) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) x[i] *= s;
  });
}

template <class T>
void sigmoid_forward(const T* x, T* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = T(1) / (T(1) + std::exp(-x[i]));
  });
}
template <class T>
void sigmoid_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
  });
}
template <class T>
void tanh_forward(const T* x, T* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = std::tanh(x[i]);
  });
}
template <class T>
void tanh_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
  });
}
template <class T>
void leaky_relu_forward(const T* x, T* y, int64_t n, T slope) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = x[i] > T(0) ? x[i] : x[i] * slope;
  });
}
template <class T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, int64_t n, T slope) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) {
      const T d = dy[i];
      dx[i] = x[i] > T(0) ? d : d * slope;
    }
  });
}

namespace {
// PyTorch's constants: 1/sqrt(2), 1/sqrt(2 pi), sqrt(2/pi), and the cubic term of the tanh form
template <class T>
constexpr T kSqrtHalf = T(M_SQRT1_2);
template <class T>
constexpr T kInvSqrt2Pi = T(0.5 * M_2_SQRTPI * M_SQRT1_2);
template <class T>
constexpr T kSqrt2OverPi = T(0.5 * M_SQRT2 * M_2_SQRTPI);
template <class T>
constexpr T kKappa = T(0.044715);
}  // namespace

template <class T>
void gelu_forward(const T* x, T* y, int64_t n, bool tanh_approx) {
  for_range(n, kGrain / 8, [&](int64_t a, int64_t b) {
    if (tanh_approx) {
      for (int64_t i = a; i < b; ++i) {
        const T v = x[i], inner = kSqrt2OverPi<T> * (v + kKappa<T> * (v * v * v));
        y[i] = T(0.5) * v * (T(1) + std::tanh(inner));
      }
    } else {
      for (int64_t i = a; i < b; ++i) y[i] = x[i] * T(0.5) * (T(1) + std::erf(x[i] * kSqrtHalf<T>));
    }
  });
}

template <class T>
void gelu_backward(const T* x, const T* dy, T* dx, int64_t n, bool tanh_approx) {
  for_range(n, kGrain / 8, [&](int64_t a, int64_t b) {
    if (tanh_approx) {
      for (int64_t i = a; i < b; ++i) {
        const T v = x[i], v2 = v * v, t = std::tanh(kSqrt2OverPi<T> * (v + kKappa<T> * (v2 * v)));
        const T left = T(0.5) * v, dleft = T(0.5) * (T(1) + t);
        const T dright = left * (T(1) - t * t) * (kSqrt2OverPi<T> * (T(1) + T(3) * kKappa<T> * v2));
        dx[i] = dy[i] * (dleft + dright);
      }
    } else {
      for (int64_t i = a; i < b; ++i) {
        const T v = x[i], cdf = T(0.5) * (T(1) + std::erf(v * kSqrtHalf<T>));
        const T pdf = kInvSqrt2Pi<T> * std::exp(v * v * T(-0.5));
        dx[i] = dy[i] * (cdf + v * pdf);
      }
    }
  });
}

template <class T>
void add_channel_bias(T* y, const T* bias, int64_t B, int64_t C, int64_t M) {
  for_range(B * C, std::max<int64_t>(1, kGrain / std::max<int64_t>(M, 1)), [&](int64_t a, int64_t b) {
    for (int64_t p = a; p < b; ++p) {
      const T v = bias[p % C];
      for (int64_t m = 0; m < M; ++m) y[p * M + m] += v;
    }
  });
}
template <class T>
void channel_sum_acc(const T* dy, T* db, int64_t B, int64_t C, int64_t M) {
  for_range(C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      T acc = 0;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t m = 0; m < M; ++m) acc += dy[(b * C + c) * M + m];
      db[c] += acc;
    }
  });
}
template <class T>
void multiply(const T* x, const T* m, T* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = x[i] * m[i];
  });
}
template <class T>
void dropout_mask(T* m, int64_t B, int64_t D, double p, uint64_t key, int64_t first_row) {
  const T keep = static_cast<T>(1.0 / (1.0 - p));
  const uint64_t threshold = static_cast<uint64_t>(p * 18446744073709551616.0);  // p * 2^64
  for_range(B, std::max<int64_t>(1, kGrain / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = 0; j < D; ++j) {
        uint64_t z = key ^ (static_cast<uint64_t>(first_row + i) * 0x9E3779B97F4A7C15ULL) ^
                     (static_cast<uint64_t>(j) * 0xC2B2AE3D27D4EB4FULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;  // splitmix64 finalizer
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        m[i * D + j] = z < threshold ? T(0) : keep;
      }
  });
}

// Squares of x[a, b) summed in 8 interleaved double accumulators (a fixed order, so the result
// does not depend on threads; 8 chains instead of 1 keep the adds from waiting on each other).
static double block_squares(const float* x, int64_t a, int64_t b) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = a;
  for (; i + 8 <= b; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(x[i + k]) * x[i + k];
  for (; i < b; ++i) acc[0] += static_cast<double>(x[i]) * x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void square_blocks(const float* x, int64_t n, double* part) {
  constexpr int64_t kBlock = kSquaresBlock;
  for_range(square_block_count(n), 1, [part, x, n](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) part[b] = block_squares(x, b * kBlock, std::min(n, (b + 1) * kBlock));
  });
}

double sum_in_order(const double* part, int64_t blocks) {
  double total = 0;
  for (int64_t b = 0; b < blocks; ++b) total += part[b];
  return total;
}

double sum_squares(const float* x, int64_t n) {
  const int64_t blocks = square_block_count(n);
  double* const part = caller_scratch<double>(static_cast<size_t>(blocks));  // every block is written
  square_blocks(x, n, part);
  return sum_in_order(part, blocks);
}

bool all_finite(const float* x, int64_t n) { return std::isfinite(sum_squares(x, n)); }

namespace ref {
double sum_squares(const float* x, int64_t n) {
  double total = 0;  // one plain chain: equal to the blocked sum up to double rounding
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

template <class T>
void broadcast_rows(T* y, const T* b, int64_t B, int64_t N) {
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < N; ++j) y[i * N + j] = b[j];
}
template <class T>
void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N) {
  for (int64_t j = 0; j < N; ++j) {
    T acc = db[j];
    for (int64_t i = 0; i < B; ++i) acc += dy[i * N + j];
    db[j] = acc;
  }
}
template <class T>
void relu_forward(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i], T(0));
}
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}
template <class T>
void scale(T* x, int64_t n, T s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}
template <class T>
void leaky_relu_forward(const T* x, T* y, int64_t n, T slope) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
}
template <class T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, int64_t n, T slope) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : slope * dy[i];
}
// Phi(x) = erfc(-x / sqrt 2) / 2; the tanh form written as in the GELU paper
template <class T>
void gelu_forward(const T* x, T* y, int64_t n, bool tanh_approx) {
  const double c = std::sqrt(2 / M_PI);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = static_cast<T>(tanh_approx ? 0.5 * v * (1 + std::tanh(c * (v + 0.044715 * std::pow(v, 3))))
                                      : v * std::erfc(-v / std::sqrt(2.0)) / 2);
  }
}
template <class T>
void gelu_backward(const T* x, const T* dy, T* dx, int64_t n, bool tanh_approx) {
  const double c = std::sqrt(2 / M_PI);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    double d;
    if (tanh_approx) {
      const double t = std::tanh(c * (v + 0.044715 * std::pow(v, 3)));
      d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
    } else {
      d = std::erfc(-v / std::sqrt(2.0)) / 2 + v * std::exp(-v * v / 2) / std::sqrt(2 * M_PI);
    }
    dx[i] = static_cast<T>(dy[i] * d);
  }
}
}  // namespace ref
}  // namespace dpt::kern

#define DPT_INSTANTIATE(NS, T)                                                  \
  template void NS::broadcast_rows<T>(T*, const T*, int64_t, int64_t);          \
  template void NS::sum_rows_acc<T>(const T*, T*, int64_t, int64_t);            \
  template void NS::relu_forward<T>(const T*, T*, int64_t);                     \
  template void NS::relu_backward<T>(const T*, const T*, T*, int64_t);          \
  template void NS::scale<T>(T*, int64_t, T);                                   \
  template void NS::leaky_relu_forward<T>(const T*, T*, int64_t, T);            \
  template void NS::leaky_relu_backward<T>(const T*, const T*, T*, int64_t, T); \
  template void NS::gelu_forward<T>(const T*, T*, int64_t, bool);               \
  template void NS::gelu_backward<T>(const T*, const T*, T*, int64_t, bool);
DPT_INSTANTIATE(dpt::kern, float)
DPT_INSTANTIATE(dpt::kern, double)
DPT_INSTANTIATE(dpt::kern::ref, float)
DPT_INSTANTIATE(dpt::kern::ref, double)
#undef DPT_INSTANTIATE
#define DPT_INSTANTIATE2(T)                                                              \
  template void dpt::kern::sigmoid_forward<T>(const T*, T*, int64_t);                    \
  template void dpt::kern::sigmoid_backward<T>(const T*, const T*, T*, int64_t);         \
  template void dpt::kern::tanh_forward<T>(const T*, T*, int64_t);                       \
  template void dpt::kern::tanh_backward<T>(const T*, const T*, T*, int64_t);            \
  template void dpt::kern::add_channel_bias<T>(T*, const T*, int64_t, int64_t, int64_t); \
  template void dpt::kern::channel_sum_acc<T>(const T*, T*, int64_t, int64_t, int64_t);  \
  template void dpt::kern::multiply<T>(const T*, const T*, T*, int64_t);                 \
  template void dpt::kern::dropout_mask<T>(T*, int64_t, int64_t, double, uint64_t, int64_t);
DPT_INSTANTIATE2(float)
DPT_INSTANTIATE2(double)
#undef DPT_INSTANTIATE2
