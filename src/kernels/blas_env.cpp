#include "kernels/blas_env.hpp"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace dpt::kern {

namespace {
const char* kMarker = "DPTRAIN_BLAS_REEXEC";

bool generic_core(const std::string& core) {
  for (const char* weak : {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                           "Coppermine", "Northwood", "Banias", "Generic", "Unknown"})
    if (strcasecmp(core.c_str(), weak) == 0) return true;
  return false;
}

const char* best_core_for_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}
}  // namespace

void ensure_blas_coretype(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv(kMarker)) return;
  const std::string core = openblas_get_corename();
  const char* better = best_core_for_cpu();
  if (!better || !generic_core(core)) return;
  setenv("OPENBLAS_CORETYPE", better, 1);
  setenv(kMarker, core.c_str(), 1);  // remembers what OpenBLAS had picked by itself
  execv("/proc/self/exe", argv);
  // exec failed (e.g. no /proc): carry on with the slow kernels; blas_description() tells.
  unsetenv("OPENBLAS_CORETYPE");
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
