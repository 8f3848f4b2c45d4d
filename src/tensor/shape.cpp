#include "tensor/shape.hpp"

#include <fmt/format.h>

namespace dpt {

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) { return fmt::format("({})", fmt::join(s, ", ")); }

}  // namespace dpt
