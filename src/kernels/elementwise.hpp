// Elementwise and row-wise kernels, TBB-parallel, each with a plain reference twin in ref::.
// Instantiated for float (training) and double (gradient checks).
#pragma once
#include <cstdint>

namespace dpt::kern {

// y: (B, N) <- every row set to b: (N)
template <class T>
void broadcast_rows(T* y, const T* b, int64_t B, int64_t N);
// db: (N) += column sums of dy: (B, N)
template <class T>
void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N);
// y = max(x, 0), n elements (y may alias x)
template <class T>
void relu_forward(const T* x, T* y, int64_t n);
// dx = dy where y > 0, else 0 (dx may alias dy)
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n);
// x *= s
template <class T>
void scale(T* x, int64_t n, T s);
// y = 1 / (1 + exp(-x)); dx = dy * y * (1 - y)
template <class T>
void sigmoid_forward(const T* x, T* y, int64_t n);
template <class T>
void sigmoid_backward(const T* y, const T* dy, T* dx, int64_t n);
// y = tanh(x); dx = dy * (1 - y^2)
template <class T>
void tanh_forward(const T* x, T* y, int64_t n);
template <class T>
void tanh_backward(const T* y, const T* dy, T* dx, int64_t n);
// leaky ReLU (PyTorch's F.leaky_relu): y = x > 0 ? x : slope * x; dx = dy where x > 0, else slope * dy
// (from x, so any slope works; dx may alias dy)
template <class T>
void leaky_relu_forward(const T* x, T* y, int64_t n, T slope);
template <class T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, int64_t n, T slope);
// GELU (PyTorch's F.gelu): y = x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)), dx = dy * (Phi(x) + x * phi(x));
// tanh_approx: y = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3) (approximate='tanh').
// The formulas (and their order of operations) are PyTorch's CPU kernels'.
template <class T>
void gelu_forward(const T* x, T* y, int64_t n, bool tanh_approx);
template <class T>
void gelu_backward(const T* x, const T* dy, T* dx, int64_t n, bool tanh_approx);
// y: (B, C, M) += b[c]
template <class T>
void add_channel_bias(T* y, const T* b, int64_t B, int64_t C, int64_t M);
// db: (C) += sum over b, m of dy: (B, C, M) (fixed order: results independent of thread count)
template <class T>
void channel_sum_acc(const T* dy, T* db, int64_t B, int64_t C, int64_t M);
// y = x * m (elementwise; y may alias x)
template <class T>
void multiply(const T* x, const T* m, T* y, int64_t n);
// Inverted dropout mask for rows [0, B) of D elements: m = 0 with probability p, else 1 / (1 - p).
// Element j of row i depends only on (key, first_row + i, j), never on threads or rank count.
template <class T>
void dropout_mask(T* m, int64_t B, int64_t D, double p, uint64_t key, int64_t first_row);

// Sum of x[i]^2 in double, over fixed blocks of kSquaresBlock elements summed in order: the same
// bits for any thread count. Split in two for optimizer.shard: square_blocks gives each block's
// sum (a block's sum depends only on its elements, so a rank holding whole blocks of a buffer
// computes them as the whole buffer would), sum_in_order adds them up.
constexpr int64_t kSquaresBlock = 4096;
inline int64_t square_block_count(int64_t n) { return (n + kSquaresBlock - 1) / kSquaresBlock; }
double sum_squares(const float* x, int64_t n);
// part: (square_block_count(n)) <- the sum of squares of each block of x, in double
void square_blocks(const float* x, int64_t n, double* part);
// part[0] + part[1] + ... + part[blocks - 1], in that order
double sum_in_order(const double* part, int64_t blocks);
// True when every element is finite.
bool all_finite(const float* x, int64_t n);

namespace ref {
double sum_squares(const float* x, int64_t n);
template <class T>
void broadcast_rows(T* y, const T* b, int64_t B, int64_t N);
template <class T>
void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N);
template <class T>
void relu_forward(const T* x, T* y, int64_t n);
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n);
template <class T>
void scale(T* x, int64_t n, T s);
template <class T>
void leaky_relu_forward(const T* x, T* y, int64_t n, T slope);
template <class T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, int64_t n, T slope);
// GELU through erfc and the textbook tanh form: equal to the kernels' up to rounding
template <class T>
void gelu_forward(const T* x, T* y, int64_t n, bool tanh_approx);
template <class T>
void gelu_backward(const T* x, const T* dy, T* dx, int64_t n, bool tanh_approx);
}  // namespace ref

}  // namespace dpt::kern
