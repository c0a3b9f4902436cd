// AVX-512F GEMM micro-kernel: a 14 x 32 tile of C in 28 zmm accumulators, two zmm of packed B
// and one broadcast of packed A per k step. Compiled for AVX-512 through function attributes
// only (no file-wide flags), so this file is safe to link into a binary for any x86-64; it is
// called only after cpu_features says the CPU and OS support AVX-512F.
#include "cpu/gemm_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include "cpu/simd_target.h"

namespace kiln::cpu {

namespace {

constexpr int32_t kiln_avx512_mr = 14;
constexpr int32_t kiln_avx512_nr = 32;

// Stores row i of the tile: c = alpha * acc + beta * c, masked to the first n_used columns.
KILN_TARGET_AVX512 inline void store_row(float* c, __m512 acc0, __m512 acc1, __m512 alpha,
                                         __m512 beta, bool read_c, __mmask16 m0, __mmask16 m1) {
  acc0 = _mm512_mul_ps(acc0, alpha);
  acc1 = _mm512_mul_ps(acc1, alpha);
  if (read_c) {
    acc0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, c), acc0);
    acc1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, c + 16), acc1);
  }
  _mm512_mask_storeu_ps(c, m0, acc0);
  _mm512_mask_storeu_ps(c + 16, m1, acc1);
}

KILN_TARGET_AVX512 void micro_14x32(int64_t k, const float* a, const float* b, float* c,
                                   int64_t ldc, float alpha, float beta, int64_t m_used,
                                   int64_t n_used) {
  constexpr int32_t mr = kiln_avx512_mr;
  __m512 acc[mr][2];
  KILN_UNROLL
  for (int32_t i = 0; i < mr; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
    // C is read (or written) once the k loop is over; start fetching it now.
    _mm_prefetch(reinterpret_cast<const char*>(c + (i < m_used ? i : 0) * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + (i < m_used ? i : 0) * ldc + 16), _MM_HINT_T0);
  }
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    KILN_UNROLL
    for (int32_t i = 0; i < mr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += mr;
    b += kiln_avx512_nr;
  }

  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const bool read_c = beta != 0.0f;
  const int64_t n0 = n_used < 16 ? n_used : 16;
  const int64_t n1 = n_used - n0;
  const __mmask16 m0 = static_cast<__mmask16>((1u << n0) - 1u);
  const __mmask16 m1 = static_cast<__mmask16>((1u << n1) - 1u);
  KILN_UNROLL
  for (int32_t i = 0; i < mr; ++i) {
    if (i < m_used) store_row(c + i * ldc, acc[i][0], acc[i][1], va, vb, read_c, m0, m1);
  }
}

const gemm_kernel_info kiln_avx512_kernel = {
    "avx512", kiln_avx512_mr, kiln_avx512_nr, 14 * 16, 384, 2048, micro_14x32,
};

}  // namespace

const gemm_kernel_info* gemm_kernel_avx512() { return &kiln_avx512_kernel; }

}  // namespace kiln::cpu

#else

namespace kiln::cpu {
const gemm_kernel_info* gemm_kernel_avx512() { return nullptr; }
}  // namespace kiln::cpu

#endif
