// Internal to kernels/: DPT_CLONES compiles a function three times (AVX-512, AVX2, baseline) and
// picks one by the CPU's ISA features at load time (GCC's target_clones). Only for loops whose
// every element is computed the same way in each clone, so results do not depend on the clone:
// GCC contracts a * b + c into an FMA in the "avx512f" clone (-ffp-contract=fast, its C++ default),
// so a cloned loop must have no product followed by a sum, or only exact products (fixed_point's
// scaling by a power of 2); adds, subtracts and copies (winograd_tiles) are safe. The clones are chosen by feature, not
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
