// Shared by the libFuzzer harnesses: the fuzz input written to a private temporary file, since the
// code under test (Config::load_file, SampleSource) reads files by path like the trainer does.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace dpt::fuzz {

// One file per process (libFuzzer runs inputs one after the other), removed at exit.
inline const std::string& input_path(const char* suffix) {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    std::string p = std::string(dir && *dir ? dir : "/tmp") + "/dptrain-fuzz-" + std::to_string(::getpid()) + suffix;
    static std::string keep;
    keep = p;
    std::atexit([] { std::remove(keep.c_str()); });
    return p;
  }();
  return path;
}

inline void write_input(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  if (std::fclose(f) != 0) std::abort();
}

}  // namespace dpt::fuzz
