// float32 matmul on the packed GEMM (batched, broadcast batch dims, transpose flags), bias_add, and
// the fused matmul -> bias_add [-> activation] epilogue.
#include "cpu/cpu_kernels.h"
#include "cpu/gemm.h"

namespace kiln {

namespace {

int64_t batch_count(const shape_t& s) {
  int64_t count = 1;
  for (size_t d = 0; d + 2 < s.size(); ++d) count *= s[d];
  return count;
}

// Which matrix of `in` (its batch dims broadcast to out's) batch `bi` of `out` reads.
int64_t broadcast_batch(int64_t bi, const shape_t& out, const shape_t& in) {
  int64_t index = 0, stride = 1;
  size_t o = out.size() - 2, i = in.size() - 2;
  while (o > 0 && i > 0) {
    --o;
    --i;
    if (in[i] != 1) index += (bi % out[o]) * stride;
    bi /= out[o];
    stride *= in[i];
  }
  return index;
}

void matmul(const kernel_args& a) {
  const shape_t& sa = *a.in[0].shape;
  const shape_t& sb = *a.in[1].shape;
  const shape_t& sc = *a.out[0].shape;
  const bool ta = a.n.at.i("transpose_a", 0) != 0;
  const bool tb = a.n.at.i("transpose_b", 0) != 0;
  const int64_t lda = sa.back(), ldb = sb.back();
  const int64_t m = sc[sc.size() - 2], n = sc.back();
  const int64_t k = ta ? sa[sa.size() - 2] : lda;
  const int64_t batches = batch_count(sc), in_a = batch_count(sa), in_b = batch_count(sb);
  const int64_t size_a = sa[sa.size() - 2] * lda, size_b = sb[sb.size() - 2] * ldb;
  const float* A = a.in[0].as<float>();
  const float* B = a.in[1].as<float>();
  float* C = a.out[0].as<float>();
  if (batches == 0 || m == 0 || n == 0) return;
  if (in_b == 1 && !ta) {
    // One B for every batch: the batches of A stack into one tall product.
    cpu::gemm(false, tb, batches * m, n, k, 1.0f, A, lda, B, ldb, 0.0f, C, n, a.pool);
  } else if ((in_a == 1 || in_a == batches) && (in_b == 1 || in_b == batches)) {
    cpu::gemm_batched(ta, tb, m, n, k, 1.0f, A, lda, in_a == 1 ? 0 : size_a, B, ldb, in_b == 1 ? 0 : size_b, 0.0f, C, n,
                      m * n, batches, a.pool);
  } else {
    for (int64_t bi = 0; bi < batches; ++bi) {
      cpu::gemm(ta, tb, m, n, k, 1.0f, A + broadcast_batch(bi, sc, sa) * size_a, lda, B + broadcast_batch(bi, sc, sb) * size_b,
                ldb, 0.0f, C + bi * m * n, n, a.pool);
    }
  }
}

// Fused epilogue: (a, b, bias) -> z = matmul + bias and, with an activation, y = act(z).
void matmul_bias_activation(const kernel_args& a) {
  matmul(a);
  const int64_t channels = a.in[2].size;
  if (channels == 0) return;
  cpu::bias_activation(a.out[0].as<float>(), a.in[2].as<float>(), a.out[0].size / channels, channels, a.activation,
                       a.out.size() > 1 ? a.out[1].as<float>() : nullptr, a.pool);
}

void bias_add(const kernel_args& a) {
  const float* x = a.in[0].as<float>();
  const float* b = a.in[1].as<float>();
  float* y = a.out[0].as<float>();
  const int64_t channels = a.in[1].size;
  if (channels == 0) return;
  cpu::parallel(a.pool, a.out[0].size / channels, cpu::grain_for(channels), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * channels;
      float* yr = y + r * channels;
      for (int64_t c = 0; c < channels; ++c) yr[c] = xr[c] + b[c];
    }
  });
}

}  // namespace

void cpu::bias_activation(float* z, const float* bias, int64_t rows, int64_t channels, const node* act, float* y, thread_pool* pool) {
  // Rows in blocks of about 16K values: the activation reads z while it is still in L1/L2.
  cpu::parallel(pool, rows, cpu::grain_for(channels, int64_t{1} << 14), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* zr = z + r * channels;
      for (int64_t c = 0; c < channels; ++c) zr[c] += bias[c];
    }
    if (act != nullptr) unary_span(*act, z + r0 * channels, y + r0 * channels, (r1 - r0) * channels);
  });
}

void register_cpu_linear(kernel_table& t) {
  t.set(kiln_op_matmul, kiln_dtype_f32, matmul);
  t.set(kiln_op_bias_add, kiln_dtype_f32, bias_add);
  t.set_epilogue(kiln_op_matmul, matmul_bias_activation);
}

}  // namespace kiln
