// AVX2 + FMA GEMM micro-kernel: a 6 x 16 tile of C in 12 ymm accumulators, two ymm of packed B
// and one broadcast of packed A per k step (15 of the 16 ymm registers). Compiled for AVX2
// through function attributes only (no file-wide flags), so this file is safe to link into a
// binary for any x86-64; it is called only after cpu_features says the CPU supports AVX2 + FMA.
#include "cpu/gemm_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include "cpu/simd_target.h"

namespace kiln::cpu {

namespace {

constexpr int32_t kiln_avx2_mr = 6;
constexpr int32_t kiln_avx2_nr = 16;

// Lanes j with mask_source[8 - count + j] == -1 are the first `count` lanes.
alignas(64) const int32_t mask_source[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

KILN_TARGET_AVX2 inline __m256i first_lanes(int64_t count) {
  count = count < 0 ? 0 : count > 8 ? 8 : count;
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask_source + 8 - count));
}

KILN_TARGET_AVX2 inline void store_row(float* c, __m256 acc0, __m256 acc1, __m256 alpha,
                                       __m256 beta, bool read_c, bool full, __m256i m0,
                                       __m256i m1) {
  acc0 = _mm256_mul_ps(acc0, alpha);
  acc1 = _mm256_mul_ps(acc1, alpha);
  if (full) {
    if (read_c) {
      acc0 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c), acc0);
      acc1 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c + 8), acc1);
    }
    _mm256_storeu_ps(c, acc0);
    _mm256_storeu_ps(c + 8, acc1);
  } else {
    // Masked-off lanes are neither read nor written (no fault past the end of C).
    if (read_c) {
      acc0 = _mm256_fmadd_ps(beta, _mm256_maskload_ps(c, m0), acc0);
      acc1 = _mm256_fmadd_ps(beta, _mm256_maskload_ps(c + 8, m1), acc1);
    }
    _mm256_maskstore_ps(c, m0, acc0);
    _mm256_maskstore_ps(c + 8, m1, acc1);
  }
}

KILN_TARGET_AVX2 void micro_6x16(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                                 float alpha, float beta, int64_t m_used, int64_t n_used) {
  constexpr int32_t mr = kiln_avx2_mr;
  __m256 acc[mr][2];
  KILN_UNROLL
  for (int32_t i = 0; i < mr; ++i) {
    acc[i][0] = _mm256_setzero_ps();
    acc[i][1] = _mm256_setzero_ps();
    // C is read (or written) once the k loop is over; start fetching it now.
    _mm_prefetch(reinterpret_cast<const char*>(c + (i < m_used ? i : 0) * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + (i < m_used ? i : 0) * ldc + 15), _MM_HINT_T0);
  }
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    KILN_UNROLL
    for (int32_t i = 0; i < mr; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += mr;
    b += kiln_avx2_nr;
  }

  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  const bool read_c = beta != 0.0f;
  const bool full = n_used == kiln_avx2_nr;
  const __m256i m0 = first_lanes(n_used);
  const __m256i m1 = first_lanes(n_used - 8);
  KILN_UNROLL
  for (int32_t i = 0; i < mr; ++i) {
    if (i < m_used) store_row(c + i * ldc, acc[i][0], acc[i][1], va, vb, read_c, full, m0, m1);
  }
}

const gemm_kernel_info kiln_avx2_kernel = {
    "avx2", kiln_avx2_mr, kiln_avx2_nr, 6 * 32, 384, 2048, micro_6x16,
};

}  // namespace

const gemm_kernel_info* gemm_kernel_avx2() { return &kiln_avx2_kernel; }

}  // namespace kiln::cpu

#else

namespace kiln::cpu {
const gemm_kernel_info* gemm_kernel_avx2() { return nullptr; }
}  // namespace kiln::cpu

#endif
