// IDX files (the MNIST family's format), plain or gzip'd: magic 0x00 0x00 TYPE NDIMS, NDIMS
// big-endian uint32 sizes, then the data, big-endian.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dpt {

struct IdxArray {
  std::vector<int64_t> dims;
  uint8_t type = 0;           // 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
  std::vector<uint8_t> data;  // converted to native byte order
  size_t element_size() const;
};

// Throws naming the file if it is missing, truncated, or its magic number is wrong.
IdxArray read_idx(const std::string& path);
size_t idx_element_size(uint8_t type);  // 0 if the type code is not valid

}  // namespace dpt
