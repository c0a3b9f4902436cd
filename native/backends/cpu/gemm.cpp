// The GEMM driver: GotoBLAS/BLIS loop nest around an ISA-specific micro-kernel.
//
//   for jc over n in nc columns            B block (kc x nc) packed once, shared by all threads
//     for pc over k in kc                  beta applies on the first pc only, then accumulate
//       pack B[pc:+kc, jc:+nc]             (in parallel, by column panels)
//       for each task (rows x columns)     tasks split C's block over the threads
//         for ic over its rows in mc       A block (mc x kc) packed per task, stays in L2
//           for jr over its columns in nr  B micro-panel (kc x nr) stays in L1
//             for ir over mc in mr         micro-kernel: mr x nr tile of C in registers
//
// The portable path (any architecture, any compiler) is a plain C++ micro-kernel the compiler
// auto-vectorizes for the baseline target.
#include "cpu/gemm.h"

#include <algorithm>
#include <new>

#include "cpu/gemm_kernels.h"
#include "exec/thread_pool.h"
#include "scratch.h"

namespace kiln::cpu {

namespace {

// Below this many multiply-adds a product runs on one thread: waking workers costs more.
constexpr int64_t kiln_gemm_parallel_min = int64_t{1} << 20;

constexpr size_t kiln_panel_align = 64;

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// The block size that cuts `total` into as few blocks of at most `max_block` as possible, all
// about equal (a multiple of `multiple`, which divides max_block): k = 400 with kc = 384
// runs as 2 x 200, not 384 + 16, which would leave the last block mostly overhead.
int64_t balanced_block(int64_t total, int64_t max_block, int64_t multiple) {
  const int64_t blocks = (total + max_block - 1) / max_block;
  return std::min(max_block, round_up((total + blocks - 1) / blocks, multiple));
}

// A 64-byte-aligned float buffer that only grows; one per thread for packed panels, so GEMM
// allocates nothing in the steady state. Counted as kernel scratch (scratch.h).
class aligned_buffer {
 public:
  aligned_buffer() = default;
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  ~aligned_buffer() { release(); }

  // nullptr when the allocation fails.
  float* reserve(int64_t count) {
    if (count > capacity_) {
      release();
      data_ = static_cast<float*>(::operator new(static_cast<size_t>(count) * sizeof(float),
                                                 std::align_val_t(kiln_panel_align), std::nothrow));
      capacity_ = data_ != nullptr ? count : 0;
      count_scratch(capacity_ * static_cast<int64_t>(sizeof(float)));
    }
    return data_;
  }

 private:
  void release() {
    if (data_ != nullptr) ::operator delete(data_, std::align_val_t(kiln_panel_align));
    count_scratch(-capacity_ * static_cast<int64_t>(sizeof(float)));
    data_ = nullptr;
    capacity_ = 0;
  }

  float* data_ = nullptr;
  int64_t capacity_ = 0;
};

thread_local aligned_buffer tls_packed_a;
thread_local aligned_buffer tls_packed_b;

// ---------------------------------------------------------------------------------------------
// Portable micro-kernel. The accumulator tile is small enough to live in registers, and the
// j loops are what the compiler vectorizes (SSE2 on x86-64, NEON on arm64).
// Without the unrolling hints GCC vectorizes across k with shuffles and runs 4x slower.
#if defined(__clang__)
#define KILN_UNROLL_FULL _Pragma("unroll")
#elif defined(__GNUC__)
#define KILN_UNROLL_FULL _Pragma("GCC unroll 32")
#else
#define KILN_UNROLL_FULL
#endif

constexpr int32_t kiln_scalar_mr = 4;
constexpr int32_t kiln_scalar_nr = 16;

void micro_scalar(int64_t k, const float* __restrict a, const float* __restrict b,
                  float* __restrict c, int64_t ldc, float alpha, float beta, int64_t m_used,
                  int64_t n_used) {
  constexpr int32_t mr = kiln_scalar_mr;
  constexpr int32_t nr = kiln_scalar_nr;
  float acc[mr][nr] = {};
  for (int64_t p = 0; p < k; ++p) {
    KILN_UNROLL_FULL
    for (int32_t i = 0; i < mr; ++i) {
      const float ai = a[i];
      KILN_UNROLL_FULL
      for (int32_t j = 0; j < nr; ++j) acc[i][j] += ai * b[j];
    }
    a += mr;
    b += nr;
  }
  for (int64_t i = 0; i < m_used; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n_used; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int64_t j = 0; j < n_used; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

const gemm_kernel_info kiln_scalar_kernel = {
    "scalar", kiln_scalar_mr, kiln_scalar_nr, 4 * 64, 256, 2048, micro_scalar,
};

// ---------------------------------------------------------------------------------------------
// Packing. MR / NR are compile-time for the tile sizes in use (so the inner loops unroll);
// 0 means "use the run-time value".

// rows x kc of op(A) starting at (row0, col0) into panels of mr rows.
template <int32_t MR>
void pack_a_impl(bool trans_a, const float* a, int64_t lda, int64_t row0, int64_t rows,
                 int64_t col0, int64_t kc, int32_t mr_runtime, float* out) {
  const int64_t mr = MR > 0 ? MR : mr_runtime;
  for (int64_t r = 0; r < rows; r += mr) {
    const int64_t mu = std::min<int64_t>(mr, rows - r);
    if (!trans_a) {
      // op(A)[i][p] = a[(row0 + r + i) * lda + col0 + p]: read mu rows side by side.
      const float* src = a + (row0 + r) * lda + col0;
      if (mu == mr) {
        for (int64_t p = 0; p < kc; ++p) {
          for (int64_t i = 0; i < mr; ++i) out[p * mr + i] = src[i * lda + p];
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          for (int64_t i = 0; i < mu; ++i) out[p * mr + i] = src[i * lda + p];
          for (int64_t i = mu; i < mr; ++i) out[p * mr + i] = 0.0f;
        }
      }
    } else {
      // op(A)[i][p] = a[(col0 + p) * lda + row0 + r + i]: mu contiguous values per p.
      const float* src = a + col0 * lda + row0 + r;
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = src + p * lda;
        if (mu == mr) {
          for (int64_t i = 0; i < mr; ++i) out[p * mr + i] = s[i];
        } else {
          for (int64_t i = 0; i < mu; ++i) out[p * mr + i] = s[i];
          for (int64_t i = mu; i < mr; ++i) out[p * mr + i] = 0.0f;
        }
      }
    }
    out += mr * kc;
  }
}

// kc x cols of op(B) starting at (row0, col0) into panels of nr columns; `cols` may end
// mid-panel (zero-padded).
template <int32_t NR>
void pack_b_impl(bool trans_b, const float* b, int64_t ldb, int64_t row0, int64_t kc,
                 int64_t col0, int64_t cols, int32_t nr_runtime, float* out) {
  const int64_t nr = NR > 0 ? NR : nr_runtime;
  for (int64_t j0 = 0; j0 < cols; j0 += nr) {
    const int64_t nu = std::min<int64_t>(nr, cols - j0);
    if (!trans_b) {
      // op(B)[p][j] = b[(row0 + p) * ldb + col0 + j0 + j]: nu contiguous values per p.
      const float* src = b + row0 * ldb + col0 + j0;
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = src + p * ldb;
        if (nu == nr) {
          for (int64_t j = 0; j < nr; ++j) out[p * nr + j] = s[j];
        } else {
          for (int64_t j = 0; j < nu; ++j) out[p * nr + j] = s[j];
          for (int64_t j = nu; j < nr; ++j) out[p * nr + j] = 0.0f;
        }
      }
    } else {
      // op(B)[p][j] = b[(col0 + j0 + j) * ldb + row0 + p]: read nu rows of B side by side.
      const float* src = b + (col0 + j0) * ldb + row0;
      if (nu == nr) {
        for (int64_t p = 0; p < kc; ++p) {
          for (int64_t j = 0; j < nr; ++j) out[p * nr + j] = src[j * ldb + p];
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          for (int64_t j = 0; j < nu; ++j) out[p * nr + j] = src[j * ldb + p];
          for (int64_t j = nu; j < nr; ++j) out[p * nr + j] = 0.0f;
        }
      }
    }
    out += nr * kc;
  }
}

void pack_a(const gemm_kernel_info& kern, bool trans_a, const float* a, int64_t lda, int64_t row0,
            int64_t rows, int64_t col0, int64_t kc, float* out) {
  switch (kern.mr) {
    case 4: return pack_a_impl<4>(trans_a, a, lda, row0, rows, col0, kc, kern.mr, out);
    case 6: return pack_a_impl<6>(trans_a, a, lda, row0, rows, col0, kc, kern.mr, out);
    case 14: return pack_a_impl<14>(trans_a, a, lda, row0, rows, col0, kc, kern.mr, out);
    default: return pack_a_impl<0>(trans_a, a, lda, row0, rows, col0, kc, kern.mr, out);
  }
}

void pack_b(const gemm_kernel_info& kern, bool trans_b, const float* b, int64_t ldb, int64_t row0,
            int64_t kc, int64_t col0, int64_t cols, float* out) {
  switch (kern.nr) {
    case 16: return pack_b_impl<16>(trans_b, b, ldb, row0, kc, col0, cols, kern.nr, out);
    case 32: return pack_b_impl<32>(trans_b, b, ldb, row0, kc, col0, cols, kern.nr, out);
    default: return pack_b_impl<0>(trans_b, b, ldb, row0, kc, col0, cols, kern.nr, out);
  }
}

// ---------------------------------------------------------------------------------------------
struct gemm_args {
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

// C = beta * C, without reading C when beta == 0.
void scale_c(const gemm_args& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* ci = g.c + i * g.ldc;
    if (g.beta == 0.0f) {
      std::fill(ci, ci + g.n, 0.0f);
    } else if (g.beta != 1.0f) {
      for (int64_t j = 0; j < g.n; ++j) ci[j] *= g.beta;
    }
  }
}

// Unblocked and unpacked, for when a packing buffer cannot be allocated: rows [r0, r1) and
// columns [c0, c1) of C get alpha * op(A)[., p0:p1] op(B)[p0:p1, .] + beta * C.
void gemm_unpacked(const gemm_args& g, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                   int64_t p0, int64_t p1, float beta) {
  for (int64_t i = r0; i < r1; ++i) {
    for (int64_t j = c0; j < c1; ++j) {
      float sum = 0.0f;
      for (int64_t p = p0; p < p1; ++p) {
        const float av = g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const float bv = g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        sum += av * bv;
      }
      float* cij = g.c + i * g.ldc + j;
      *cij = beta == 0.0f ? g.alpha * sum : g.alpha * sum + beta * *cij;
    }
  }
}

// How a block of C is cut into tasks: tm row bands x tn column bands.
struct task_grid {
  int64_t tm = 1, tn = 1;
  int64_t rows_per_task = 0;  // multiple of mr
  int64_t cols_per_task = 0;  // multiple of nr
};

// Picks tm x tn <= threads minimising the largest task (in micro-tiles); on a tie, more row
// bands, since column bands of one row band each pack the same A block.
task_grid plan_tasks(int64_t m_panels, int64_t n_panels, int64_t threads) {
  task_grid best;
  int64_t best_cost = -1;
  for (int64_t tm = 1; tm <= threads; ++tm) {
    const int64_t tn = threads / tm;
    const int64_t cost = ((m_panels + tm - 1) / tm) * ((n_panels + tn - 1) / tn);
    if (best_cost < 0 || cost < best_cost || (cost == best_cost && tm > best.tm)) {
      best_cost = cost;
      best.tm = tm;
      best.tn = tn;
    }
  }
  return best;
}

struct block_state {
  const gemm_kernel_info* kern;
  const gemm_args* g;
  const float* packed_b;  // kc x round_up(nc, nr), panels of nr
  int64_t jc, nc, pc, kc;
  float beta;             // the caller's beta on the first pc, then 1
  task_grid grid;
};

// One task: rows [r0, r1) of C's block and columns [jc + c0, jc + c1).
void run_task(block_state& s, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const gemm_kernel_info& kern = *s.kern;
  const gemm_args& g = *s.g;
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t mc_block = balanced_block(r1 - r0, kern.mc, mr);
  float* packed_a = tls_packed_a.reserve(mc_block * s.kc);
  if (packed_a == nullptr) {
    gemm_unpacked(g, r0, r1, s.jc + c0, s.jc + c1, s.pc, s.pc + s.kc, s.beta);
    return;
  }
  for (int64_t ic = r0; ic < r1; ic += mc_block) {
    const int64_t mc = std::min<int64_t>(mc_block, r1 - ic);
    pack_a(kern, g.trans_a, g.a, g.lda, ic, mc, s.pc, s.kc, packed_a);
    for (int64_t jr = c0; jr < c1; jr += nr) {
      const int64_t nu = std::min<int64_t>(nr, c1 - jr);
      const float* b_panel = s.packed_b + (jr / nr) * nr * s.kc;
      float* c_col = g.c + s.jc + jr;
      for (int64_t ir = 0; ir < mc; ir += mr) {
        kern.micro(s.kc, packed_a + ir * s.kc, b_panel, c_col + (ic + ir) * g.ldc, g.ldc, g.alpha,
                   s.beta, std::min<int64_t>(mr, mc - ir), nu);
      }
    }
  }
}

void gemm_blocked(const gemm_kernel_info& kern, const gemm_args& g, thread_pool* pool) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0 || g.alpha == 0.0f) {
    scale_c(g);
    return;
  }
  const int64_t mr = kern.mr, nr = kern.nr;
  int64_t threads = 1;
  if (pool != nullptr && !pool->in_parallel_region() && g.m * g.n * g.k >= kiln_gemm_parallel_min) {
    threads = pool->size();
  }
  const int64_t nc_block = balanced_block(g.n, kern.nc, nr);
  const int64_t kc_block = balanced_block(g.k, kern.kc, 1);
  float* packed_b = tls_packed_b.reserve(kc_block * round_up(nc_block, nr));
  if (packed_b == nullptr) {
    gemm_unpacked(g, 0, g.m, 0, g.n, 0, g.k, g.beta);
    return;
  }

  block_state s{};
  s.kern = &kern;
  s.g = &g;
  s.packed_b = packed_b;
  for (s.jc = 0; s.jc < g.n; s.jc += nc_block) {
    s.nc = std::min<int64_t>(nc_block, g.n - s.jc);
    const int64_t n_panels = (s.nc + nr - 1) / nr;
    const int64_t m_panels = (g.m + mr - 1) / mr;
    s.grid = plan_tasks(m_panels, n_panels, threads);
    s.grid.rows_per_task = (m_panels + s.grid.tm - 1) / s.grid.tm * mr;
    s.grid.cols_per_task = (n_panels + s.grid.tn - 1) / s.grid.tn * nr;
    const int64_t tasks = s.grid.tm * s.grid.tn;
    for (s.pc = 0; s.pc < g.k; s.pc += kc_block) {
      s.kc = std::min<int64_t>(kc_block, g.k - s.pc);
      s.beta = s.pc == 0 ? g.beta : 1.0f;
      auto pack_panels = [&](int64_t begin, int64_t end) {
        const int64_t col = begin * nr;
        pack_b(kern, g.trans_b, g.b, g.ldb, s.pc, s.kc, s.jc + col,
               std::min<int64_t>(end * nr, s.nc) - col, packed_b + col * s.kc);
      };
      auto compute = [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const int64_t r0 = (t / s.grid.tn) * s.grid.rows_per_task;
          const int64_t c0 = (t % s.grid.tn) * s.grid.cols_per_task;
          const int64_t r1 = std::min(g.m, r0 + s.grid.rows_per_task);
          const int64_t c1 = std::min(s.nc, c0 + s.grid.cols_per_task);
          if (r0 < r1 && c0 < c1) run_task(s, r0, r1, c0, c1);
        }
      };
      if (tasks == 1) {
        pack_panels(0, n_panels);
        compute(0, 1);
      } else {
        pool->parallel_for(n_panels, pack_panels);
        pool->parallel_for(tasks, compute, 1);
      }
    }
  }
}

const gemm_kernel_info& kernel_for(cpu_isa isa) {
  if (!isa_supported(isa)) isa = best_supported_isa();
  const gemm_kernel_info* kern = nullptr;
  if (isa == cpu_isa_avx512) kern = gemm_kernel_avx512();
  if (kern == nullptr && isa >= cpu_isa_avx2) kern = gemm_kernel_avx2();
  return kern != nullptr ? *kern : kiln_scalar_kernel;
}

}  // namespace

const gemm_kernel_info* gemm_kernel_scalar() { return &kiln_scalar_kernel; }

void gemm_with_kernel(const gemm_kernel_info& kern, bool trans_a, bool trans_b, int64_t m,
                      int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                      thread_pool* pool) {
  const gemm_args g{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  gemm_blocked(kern, g, pool);
}

void gemm(cpu_isa isa, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, thread_pool* pool) {
  gemm_with_kernel(kernel_for(isa), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                   ldc, pool);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, thread_pool* pool) {
  gemm(selected_isa(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pool);
}

void gemm_batched(cpu_isa isa, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float* a, int64_t lda, int64_t stride_a, const float* b,
                  int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                  int64_t stride_c, int64_t batch, thread_pool* pool) {
  if (batch <= 0) return;
  const gemm_kernel_info& kern = kernel_for(isa);
  auto one = [&](int64_t i, thread_pool* inner) {
    gemm_with_kernel(kern, trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda,
                     b + i * stride_b, ldb, beta, c + i * stride_c, ldc, inner);
  };
  if (pool != nullptr && batch > 1 && m * n * k < kiln_gemm_parallel_min) {
    // Small products: one per thread, each on its own.
    pool->parallel_for(batch, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) one(i, nullptr);
    }, 1);
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i, pool);
  }
}

void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb,
                  int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                  int64_t batch, thread_pool* pool) {
  gemm_batched(selected_isa(), trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb,
               stride_b, beta, c, ldc, stride_c, batch, pool);
}

}  // namespace kiln::cpu
