// Function attributes that compile one function for AVX2 + FMA or AVX-512F without file-wide
// flags, so files holding SIMD kernels link into a binary for any x86-64 (callers check
// cpu_features first), and an unroll pragma for tile loops whose accumulators must stay in
// registers. x86-64 only: include it inside the files' x86-64 guard.
#pragma once

#if defined(_MSC_VER) && !defined(__clang__)
#define KILN_TARGET_AVX2
#define KILN_TARGET_AVX512
#define KILN_UNROLL
#elif defined(__clang__)
#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define KILN_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define KILN_UNROLL _Pragma("unroll")
#else
#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define KILN_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define KILN_UNROLL _Pragma("GCC unroll 32")
#endif
