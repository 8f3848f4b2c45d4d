// Streaming mode's sizes: data.memory_budget (bytes per rank, "64MiB", "1GiB", ...), the block
// rows (data.block_rows, default: the features' chunk rows) and the shuffle window in blocks
// (data.shuffle_buffer samples rounded up to blocks, default: the largest window that fits the
// budget on ONE rank, so that the sample order does not depend on the rank count).
#pragma once
#include <cstdint>
#include <string>

#include "core/memory.hpp"  // format_bytes

namespace dpt {

// "0", "4096", "64KiB", "64KB", "8MiB", "1.5GiB", "2G" (binary multiples; B optional, any case).
// Throws naming `option` and the text when it is not a size.
int64_t parse_byte_size(const std::string& text, const std::string& option);

struct StreamSizing {
  int64_t block_rows = 0, window_blocks = 0;
  int64_t row_bytes = 0;  // one stored row: features in the file's type + 4-byte target slots
  // Bytes of sample buffers a rank holds at `ranks` ranks with global batch `batch`.
  int64_t bytes_per_rank(int ranks, int64_t batch) const;
};

struct StreamRequest {
  int64_t budget = 0;          // data.memory_budget in bytes (> 0)
  std::string budget_text;     // as written, for errors
  int64_t block_rows = 0;      // data.block_rows (0: automatic)
  int64_t shuffle_buffer = 0;  // data.shuffle_buffer in samples (0: automatic)
};

// row_bytes: one packed row; chunk_rows: the first file's features chunk rows (0: contiguous);
// rows: the data set's rows (the window never exceeds its blocks). Throws a one-line error naming
// the option and value when the budget cannot hold one block (or the requested shuffle buffer).
StreamSizing size_stream(const StreamRequest& r, int64_t row_bytes, int64_t chunk_rows, int64_t rows, int ranks,
                         int64_t batch);

}  // namespace dpt
