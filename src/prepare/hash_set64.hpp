// A set of 64-bit hashes (duplicate-row detection): open addressing with linear probing, at most
// 70 % full. Memory: 8 bytes per slot, i.e. 11.4 to 22.9 bytes per distinct value (the table
// doubles when it passes 70 %; while it doubles, the old table is held too).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dpt {

class HashSet64 {
 public:
  HashSet64();
  bool insert(uint64_t h);  // true if h was not in the set
  size_t size() const { return size_; }
  size_t bytes() const { return slots_.size() * sizeof(uint64_t); }

 private:
  void grow();
  std::vector<uint64_t> slots_;  // 0: empty (a hash of 0 is stored as 1)
  size_t size_ = 0;
};

}  // namespace dpt
