#include "prepare/radix_select.hpp"

#include <cstring>

#include "core/error.hpp"

namespace dpt {

namespace {
constexpr int kShift[3] = {21, 10, 0};  // the key bits counted in each pass: 31..21, 20..10, 9..0
constexpr int kBits[3] = {11, 11, 10};
}  // namespace

uint32_t order_key(float v) {
  uint32_t b = 0;
  std::memcpy(&b, &v, 4);
  return (b & 0x80000000u) ? ~b : b | 0x80000000u;
}

float from_order_key(uint32_t k) {
  const uint32_t b = (k & 0x80000000u) ? k & 0x7fffffffu : ~k;
  float v = 0;
  std::memcpy(&v, &b, 4);
  return v;
}

RadixSelect::RadixSelect(std::vector<int64_t> ranks) {
  for (int64_t k : ranks) p_.push_back({k, 0, std::vector<int64_t>(size_t{1} << kBits[0], 0)});
}

void RadixSelect::observe(size_t problem, float v) {
  Problem& p = p_[problem];
  const uint32_t key = order_key(v);
  if (pass_ > 0 && (key >> (kShift[pass_] + kBits[pass_])) != p.prefix) return;  // outside the chosen bin
  ++p.hist[(key >> kShift[pass_]) & ((1u << kBits[pass_]) - 1)];
}

void RadixSelect::end_pass() {
  if (pass_ >= kPasses) fail("internal: RadixSelect has finished its {} passes", kPasses);
  for (Problem& p : p_) {
    uint32_t bin = 0;
    while (bin + 1 < p.hist.size() && p.k >= p.hist[bin]) p.k -= p.hist[bin++];
    if (p.k >= p.hist[bin]) fail("internal: RadixSelect rank beyond the stream (a value was not observed)");
    p.prefix = (p.prefix << kBits[pass_]) | bin;
    if (pass_ + 1 < kPasses)
      p.hist.assign(size_t{1} << kBits[pass_ + 1], 0);
    else
      p.hist = {};
  }
  ++pass_;
}

float RadixSelect::result(size_t problem) const {
  if (pass_ < kPasses) fail("internal: RadixSelect result before its {} passes", kPasses);
  return from_order_key(p_[problem].prefix);
}

}  // namespace dpt
