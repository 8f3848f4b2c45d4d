// The spatial axes of a per-sample shape (C, ...) with 1 to 3 of them, as (D, H, W) with leading
// 1s: (C, L) -> (1, 1, L), (C, H, W) -> (1, H, W), (C, D, H, W) -> (D, H, W).
#pragma once
#include <array>
#include <cstdint>

#include "tensor/shape.hpp"

namespace dpt {

inline std::array<int64_t, 3> spatial3(const Shape& in) {
  std::array<int64_t, 3> s = {1, 1, 1};
  const size_t n = in.size() - 1;
  for (size_t a = 0; a < n; ++a) s[3 - n + a] = in[1 + a];
  return s;
}

}  // namespace dpt
