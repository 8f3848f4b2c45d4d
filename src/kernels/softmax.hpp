// Row-wise softmax (class probabilities from logits) and the arg-max of each row, for prediction
// and evaluation. TBB-parallel over rows, with a plain reference twin in ref::.
#pragma once
#include <cstdint>

namespace dpt::kern {

// z: (B, C) logits -> p: (B, C) probabilities, each row summing to 1 (p may alias z). The row maximum
// is subtracted first, so logits of any size are safe. If arg is not null, arg[i] is the index of
// the largest logit of row i, the first one on ties (like torch.argmax and softmax_xent's count).
template <class T>
void softmax_rows(const T* z, int64_t B, int64_t C, T* p, int32_t* arg);
// arg[i] = index of the largest value of row i of z: (B, C), the first one on ties.
template <class T>
void argmax_rows(const T* z, int64_t B, int64_t C, int32_t* arg);

namespace ref {
template <class T>
void softmax_rows(const T* z, int64_t B, int64_t C, T* p, int32_t* arg);
template <class T>
void argmax_rows(const T* z, int64_t B, int64_t C, int32_t* arg);
}  // namespace ref

}  // namespace dpt::kern
