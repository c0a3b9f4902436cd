// Internal to the GEMM: the micro-kernel interface each ISA file implements, and the packed
// panel layouts it reads. Not for use outside gemm*.cpp.
//
// Packed A: row panels of mr rows; within a panel, k-major: panel[p * mr + i] = op(A)[i][p].
// Packed B: column panels of nr columns, k-major: panel[p * nr + j] = op(B)[p][j].
// Panels past the edge of the matrix are zero-padded to full mr / nr, and start 64-byte aligned.
#pragma once

#include <cstdint>

namespace kiln {
class thread_pool;
}

namespace kiln::cpu {

// c[i * ldc + j] = alpha * sum_p a[p * mr + i] * b[p * nr + j] + beta * c[i * ldc + j]
// for i < m_used <= mr, j < n_used <= nr. beta == 0: c is not read. k >= 1.
using gemm_micro_kernel = void (*)(int64_t k, const float* a, const float* b, float* c,
                                   int64_t ldc, float alpha, float beta, int64_t m_used,
                                   int64_t n_used);

struct gemm_kernel_info {
  const char* name;
  int32_t mr, nr;      // micro-tile
  int32_t mc, kc, nc;  // cache blocks; mc is a multiple of mr, nc of nr
  gemm_micro_kernel micro;
};

const gemm_kernel_info* gemm_kernel_scalar();
// nullptr where the file is built without that ISA (not x86, or a compiler without support).
const gemm_kernel_info* gemm_kernel_avx2();
const gemm_kernel_info* gemm_kernel_avx512();

// gemm() (see gemm.h) on a given kernel, e.g. with other block sizes when tuning.
void gemm_with_kernel(const gemm_kernel_info& kern, bool trans_a, bool trans_b, int64_t m,
                      int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                      thread_pool* pool);

}  // namespace kiln::cpu
