#include "prepare/hash_set64.hpp"

namespace dpt {

HashSet64::HashSet64() : slots_(1024, 0) {}

bool HashSet64::insert(uint64_t h) {
  if (h == 0) h = 1;
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == h) return false;
    if (slots_[i] == 0) {
      slots_[i] = h;
      if (++size_ * 10 > slots_.size() * 7) grow();
      return true;
    }
  }
}

void HashSet64::grow() {
  std::vector<uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (uint64_t h : old) {
    if (h == 0) continue;
    size_t i = static_cast<size_t>(h ^ (h >> 29)) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = h;
  }
}

}  // namespace dpt
