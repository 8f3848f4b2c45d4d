// Internal to kernels/: DPT_CLONES compiles a function three times (AVX-512, AVX2, baseline) and
// picks one by the CPU's ISA features at load time (GCC's target_clones). Only for loops whose
// every element is computed the same way in each clone (no FMA contraction in "avx2"/"avx512f",
// no reassociation), so results do not depend on the clone. The clones are chosen by feature, not
// by "arch=": an AMD CPU with AVX-512 (Zen 4, Zen 5) would run the baseline clone of an
// "arch=skylake-avx512" one. Not under ThreadSanitizer: the clones' ifunc resolver runs before the
// TSan runtime is initialized and crashes the process.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define DPT_NO_CLONES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DPT_NO_CLONES 1
#endif
#endif
#ifdef DPT_NO_CLONES
#define DPT_CLONES
#else
#define DPT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
