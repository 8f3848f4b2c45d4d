// Memory checks before large allocations: what a rank is about to hold, against what the node has
// (MemAvailable of /proc/meminfo, shared by the node's ranks). A need that cannot fit fails with one
// line naming what needs how many bytes and the option that helps, instead of a std::bad_alloc (or
// the kernel's OOM killer) later. Header-only (inline): the data module's sources are listed by name.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dpt {

inline std::string format_bytes(int64_t b) {  // "8.00 MiB"
  const double v = static_cast<double>(b);
  if (b >= (int64_t{1} << 40)) return fmt::format("{:.2f} TiB", v / static_cast<double>(int64_t{1} << 40));
  if (b >= (int64_t{1} << 30)) return fmt::format("{:.2f} GiB", v / (1 << 30));
  if (b >= (int64_t{1} << 20)) return fmt::format("{:.2f} MiB", v / (1 << 20));
  if (b >= 1024) return fmt::format("{:.1f} KiB", v / 1024);
  return fmt::format("{} bytes", b);
}

// a * b, saturating at INT64_MAX (sizes from a file's declared shape may be absurd).
inline int64_t mul_bytes(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) || r < 0 ? std::numeric_limits<int64_t>::max() : r;
}
inline int64_t add_bytes(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

struct MemoryAvailable {
  int64_t bytes = -1;  // this rank's share; < 0: unknown (no check)
  std::string source;  // for messages: "MemAvailable 7.5 GiB / 2 ranks on this node"
};

// This rank's share of the node's available memory: the environment variable
// DPTRAIN_TEST_MEMAVAILABLE (bytes; tests), else MemAvailable of /proc/meminfo, divided by the
// ranks on the node.
inline MemoryAvailable memory_available(int local_ranks) {
  int64_t node = -1;
  std::string what = "MemAvailable";
  if (const char* t = std::getenv("DPTRAIN_TEST_MEMAVAILABLE"); t && *t) {
    char* end = nullptr;
    node = std::strtoll(t, &end, 10);
    if (*end || node < 0) fail("DPTRAIN_TEST_MEMAVAILABLE='{}': expected bytes", t);
    what = "DPTRAIN_TEST_MEMAVAILABLE";
  } else {
    std::ifstream in("/proc/meminfo");
    std::string key, unit;
    int64_t kib = 0;
    while (in >> key >> kib >> unit)
      if (key == "MemAvailable:") node = mul_bytes(kib, 1024);
  }
  if (node < 0) return {};
  const int p = local_ranks > 0 ? local_ranks : 1;
  return {node / p, p > 1 ? fmt::format("{} {} / {} ranks on this node", what, format_bytes(node), p)
                          : fmt::format("{} {}", what, format_bytes(node))};
}

struct MemoryNeed {
  std::string what;  // "good.h5: '/train/x' (data.train_features) rows 0..31 as float32"
  int64_t bytes = 0;
  std::string hint;  // what helps: "set data.memory_budget to stream the training data"
};

// Throws when the needs together exceed `avail`: one line naming the largest need, its bytes, the
// total and its hint.
inline void check_memory(const std::vector<MemoryNeed>& needs, const MemoryAvailable& avail) {
  if (avail.bytes < 0 || needs.empty()) return;
  int64_t total = 0;
  const MemoryNeed* top = &needs.front();
  for (const MemoryNeed& n : needs) {
    total = add_bytes(total, n.bytes);
    if (n.bytes > top->bytes) top = &n;
  }
  if (total <= avail.bytes) return;
  const std::string all = total > top->bytes ? fmt::format(" ({} bytes in all with the rank's other data)", total) : "";
  fail("{} need {} bytes ({}) on this rank{}, but {} bytes ({}) are available ({}); {}", top->what, top->bytes,
       format_bytes(top->bytes), all, avail.bytes, format_bytes(avail.bytes), avail.source, top->hint);
}

}  // namespace dpt
