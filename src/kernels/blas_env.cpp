#include "kernels/blas_env.hpp"

#include <cblas.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace dpt::kern {

namespace {
const char* kMarker = "DPTRAIN_BLAS_REEXEC";

bool generic_core(const std::string& core) {
  for (const char* weak : {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine",
                           "Northwood", "Banias", "Generic", "Unknown"})
    if (strcasecmp(core.c_str(), weak) == 0) return true;
  return false;
}

const char* best_core_for_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}
// The path of this program's file ("" where unknown, or where it was deleted or replaced since).
std::string own_path() {
  std::string buf(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size());
  if (n <= 0 || static_cast<size_t>(n) >= buf.size()) return "";
  buf.resize(static_cast<size_t>(n));
  struct stat mine {
  }, file{};
  if (stat("/proc/self/exe", &mine) != 0 || stat(buf.c_str(), &file) != 0) return "";
  return mine.st_dev == file.st_dev && mine.st_ino == file.st_ino ? buf : "";
}
}  // namespace

void ensure_blas_coretype(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv(kMarker)) return;
  const std::string core = openblas_get_corename();
  const char* better = best_core_for_cpu();
  const bool test_reexec = std::getenv("DPTRAIN_TEST_BLAS_REEXEC") != nullptr;  // test-only: re-exec anyway
  if (!test_reexec && (!better || !generic_core(core))) return;
  if (!test_reexec) setenv("OPENBLAS_CORETYPE", better, 1);
  setenv(kMarker, core.c_str(), 1);  // remembers what OpenBLAS had picked by itself
  // The program's own path, not /proc/self/exe: the kernel names a process after the file it runs,
  // and ps, pgrep and pkill should find "dptrain", not "exe". argv (argv[0] too) stays as it was.
  const std::string self = own_path();
  if (!self.empty()) execv(self.c_str(), argv);
  execv("/proc/self/exe", argv);  // the file was replaced or deleted since: the same program
  // exec failed (e.g. no /proc): carry on with the slow kernels; blas_description() tells.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kMarker);
}

std::string blas_description() {
  std::string s = openblas_get_config();
  s += ", core ";
  s += openblas_get_corename();
  if (const char* was = std::getenv(kMarker))
    s += std::string(" (set by dptrain; OpenBLAS alone picked ") + was + ")";
  else if (std::getenv("OPENBLAS_CORETYPE"))
    s += " (OPENBLAS_CORETYPE from the environment)";
  return s;
}

}  // namespace dpt::kern
