#include "input/stream_sizing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.hpp"
#include "core/partition.hpp"

namespace dpt {

int64_t parse_byte_size(const std::string& text, const std::string& option) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit;
  for (size_t i = used; i < text.size(); ++i)
    if (!std::isspace(static_cast<unsigned char>(text[i]))) unit += static_cast<char>(std::tolower(text[i]));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  const std::string units = "kmgt";
  const size_t k = unit.empty() ? std::string::npos : units.find(unit);
  if (used == 0 || !(v >= 0) || (!unit.empty() && (unit.size() != 1 || k == std::string::npos)))
    fail("{} = '{}' is not a size in bytes (examples: 0, 65536, 64KiB, 8MiB, 1GiB)", option, text);
  const double bytes = v * std::pow(1024.0, unit.empty() ? 0 : static_cast<double>(k + 1));
  if (bytes > 9e18) fail("{} = '{}' is too large", option, text);
  return static_cast<int64_t>(bytes);
}

int64_t StreamSizing::bytes_per_rank(int P, int64_t B) const {
  const int64_t K = block_rows, W = window_blocks, lb = per_rank_batch(B, P);
  const int64_t read = K;                               // the block being read
  const int64_t send = (W + P - 1) / P * K;             // my blocks' training rows, packed by destination
  const int64_t recv = ((W * K + B - 1) / B + 1) * lb;  // my positions of the window: <= its steps x local batch
  const int64_t carry = lb;                             // a step's rows from the previous window
  return row_bytes * (read + send + std::min(recv, send * P + lb) + carry);
}

StreamSizing size_stream(const StreamRequest& r, int64_t row_bytes, int64_t chunk_rows, int64_t rows, int ranks,
                         int64_t batch) {
  StreamSizing z;
  z.row_bytes = row_bytes;
  z.block_rows = r.block_rows > 0 ? r.block_rows
                 : chunk_rows > 0 ? chunk_rows
                                  : std::max<int64_t>(1, std::min<int64_t>(1 << 20, r.budget / 8) / row_bytes);
  z.block_rows = std::min(z.block_rows, std::max<int64_t>(rows, 1));
  const int64_t blocks = std::max<int64_t>(1, (rows + z.block_rows - 1) / z.block_rows);
  z.window_blocks = 1;
  if (z.bytes_per_rank(ranks, batch) > r.budget)
    fail(
        "config: data.memory_budget = {} is too small: one block of {} rows ({} bytes per row{}) and a batch of {} "
        "need {} per rank; raise data.memory_budget or lower data.block_rows",
        r.budget_text, z.block_rows, row_bytes,
        r.block_rows > 0 ? ""
        : chunk_rows > 0 ? ", the features' chunk rows"
                         : "",
        batch, format_bytes(z.bytes_per_rank(ranks, batch)));
  if (r.shuffle_buffer > 0) {
    z.window_blocks = std::min(blocks, (r.shuffle_buffer + z.block_rows - 1) / z.block_rows);
    if (z.bytes_per_rank(ranks, batch) > r.budget)
      fail(
          "config: data.shuffle_buffer = {} samples ({} blocks of {} rows) needs {} per rank on {} ranks, more than "
          "data.memory_budget = {}",
          r.shuffle_buffer, z.window_blocks, z.block_rows, format_bytes(z.bytes_per_rank(ranks, batch)), ranks,
          r.budget_text);
    return z;
  }
  // The largest window that fits on one rank: the same on every rank count (P-independent order).
  while (z.window_blocks < blocks) {
    StreamSizing next = z;
    ++next.window_blocks;
    if (next.bytes_per_rank(1, batch) > r.budget) break;
    z = next;
  }
  return z;
}

}  // namespace dpt
