#include "prepare/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.hpp"

namespace dpt {

size_t idx_element_size(uint8_t type) {
  switch (type) {
    case 0x08:
    case 0x09:
      return 1;
    case 0x0B:
      return 2;
    case 0x0C:
    case 0x0D:
      return 4;
    case 0x0E:
      return 8;
    default:
      return 0;
  }
}

size_t IdxArray::element_size() const { return idx_element_size(type); }

IdxArray read_idx(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("{}: IDX file not found", path);
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) fail("{}: cannot open", path);
  gzbuffer(f.get(), 1 << 20);
  auto read_exact = [&](void* dst, size_t n, const char* what) {
    size_t got = 0;
    while (got < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
      const int r = gzread(f.get(), static_cast<char*>(dst) + got, chunk);
      if (r <= 0) fail("{}: truncated or corrupt while reading {} ({} of {} bytes)", path, what, got, n);
      got += static_cast<size_t>(r);
    }
  };
  uint8_t magic[4];
  read_exact(magic, 4, "the magic number");
  IdxArray a;
  a.type = magic[2];
  if (magic[0] != 0 || magic[1] != 0 || idx_element_size(a.type) == 0 || magic[3] == 0)
    fail("{}: not an IDX file (magic 0x{:02x}{:02x}{:02x}{:02x})", path, magic[0], magic[1], magic[2], magic[3]);
  size_t total = 1;
  for (int i = 0; i < magic[3]; ++i) {
    uint8_t b[4];
    read_exact(b, 4, "the dimensions");
    const int64_t d = (int64_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    a.dims.push_back(d);
    total *= static_cast<size_t>(d);
  }
  const size_t es = a.element_size();
  a.data.resize(total * es);
  read_exact(a.data.data(), a.data.size(), "the data");
  if (es > 1)  // big-endian -> native (little-endian on every platform dptrain targets)
    for (size_t i = 0; i < a.data.size(); i += es) std::reverse(a.data.begin() + i, a.data.begin() + i + es);
  return a;
}

}  // namespace dpt
