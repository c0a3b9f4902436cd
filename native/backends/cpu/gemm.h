// Single-precision GEMM for the CPU backend: C = alpha * op(A) op(B) + beta * C, row-major,
// where op(X) is X or its transpose. Cache-blocked and packed (GotoBLAS/BLIS style) with a SIMD
// micro-kernel chosen once at run time (see cpu_features.h), threaded over blocks of C.
//
// Shapes: op(A) is m x k, op(B) is k x n, C is m x n. lda, ldb, ldc are the row strides of the
// matrices as stored: A is m x k (k x m when trans_a), B is k x n (n x k when trans_b), so
// lda >= (trans_a ? m : k), ldb >= (trans_b ? k : n), ldc >= n. C must not overlap A or B.
//
// As in BLAS: when beta == 0, C is not read (NaN or garbage in C is overwritten); when k == 0
// or alpha == 0, A and B are not read and C = beta * C. Accumulates in float32, with FMA on the
// SIMD paths. Never throws. pool may be null (run on the calling thread).
#pragma once

#include <cstdint>

#include "cpu/cpu_features.h"

namespace kiln {
class thread_pool;
}

namespace kiln::cpu {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, thread_pool* pool);

// `batch` independent products: matrix i of A starts at a + i * stride_a, and so on. Small
// products run one per thread; large ones one after another, each threaded.
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb,
                  int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                  int64_t batch, thread_pool* pool);

// The same on an explicit path instead of selected_isa(), for tests and benchmarks. A path the
// CPU does not support is lowered to the best one it does.
void gemm(cpu_isa isa, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, thread_pool* pool);

void gemm_batched(cpu_isa isa, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float* a, int64_t lda, int64_t stride_a, const float* b,
                  int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                  int64_t stride_c, int64_t batch, thread_pool* pool);

}  // namespace kiln::cpu
