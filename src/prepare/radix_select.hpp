// Exact order statistics of float32 streams that do not fit in memory: the k-th smallest value of
// each of several streams ("problems"), found in three passes over the data. Each value maps to
// an order-preserving 32-bit key; pass 1 counts the top 11 bits of the keys, pass 2 the next 11
// bits of the keys that share the chosen prefix, pass 3 the last 10 bits. Memory: 2048 counters
// (16 KiB) per problem; time: three reads of the stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dpt {

class RadixSelect {
 public:
  static constexpr int kPasses = 3;
  // ranks[p]: the 0-based rank wanted in problem p (it must be below that stream's length).
  explicit RadixSelect(std::vector<int64_t> ranks);
  int pass() const { return pass_; }      // 0, 1, 2; kPasses when done
  void observe(size_t problem, float v);  // every value of that stream, once per pass
  void end_pass();
  float result(size_t problem) const;  // after kPasses passes

 private:
  struct Problem {
    int64_t k;            // rank left to find among the keys that share `prefix`
    uint32_t prefix = 0;  // the key bits fixed so far
    std::vector<int64_t> hist;
  };
  std::vector<Problem> p_;
  int pass_ = 0;
};

uint32_t order_key(float v);  // a < b  <=>  order_key(a) < order_key(b), for non-NaN floats
float from_order_key(uint32_t k);

}  // namespace dpt
