// OpenBLAS core selection. OpenBLAS 0.3.21 does not recognise recent Intel CPUs (e.g. family 6
// model 207) and falls back to SSE3 "Prescott" kernels, 5x slower. OPENBLAS_CORETYPE fixes it but
// is read only when the library loads, so dptrain re-executes itself once with it set.
#pragma once
#include <string>

namespace dpt::kern {

// If OpenBLAS picked a generic core although the CPU has AVX-512 (-> SkylakeX) or AVX2 (-> Haswell),
// and the user did not set OPENBLAS_CORETYPE, re-exec this program with it set (the same file, under
// its own name: ps and pgrep show "dptrain"). Returns only when no re-exec is needed (or it failed).
// Call first thing in main(), before MPI_Init. Test-only: DPTRAIN_TEST_BLAS_REEXEC=1 re-execs
// (without setting OPENBLAS_CORETYPE) whatever the core, unless OPENBLAS_CORETYPE is set.
void ensure_blas_coretype(char** argv);

// "OpenBLAS 0.3.21 ... core SkylakeX (chosen by dptrain)": for the log.
std::string blas_description();

}  // namespace dpt::kern
