// AVX2 + FMA convolution tiles: up to 6 rows x 16 filters in 12 ymm accumulators, one instance
// per row count. Called only after cpu_features says the CPU supports AVX2 + FMA (conv_tiles.h).
#include "cpu/conv_tiles.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <array>
#include <utility>

#include "cpu/simd_target.h"

namespace kiln::cpu {

namespace {

constexpr int32_t kiln_mr = 6;
constexpr int32_t kiln_w = 8;  // floats per vector
constexpr int32_t kiln_nr = 2 * kiln_w;

alignas(64) const int32_t mask_source[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// The first `count` lanes (clamped to 0..8).
KILN_TARGET_AVX2 inline __m256i lanes(int64_t count) {
  count = count < 0 ? 0 : count > kiln_w ? kiln_w : count;
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask_source + kiln_w - count));
}

template <int MR, int NV>
KILN_TARGET_AVX2 void forward_impl(const forward_tile& t) {
  __m256 acc[MR][NV];
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  }
  const int64_t step = t.step, len = t.len;
  for (int64_t s = 0; s < t.segs; ++s) {
    const float* a = t.a + t.off[s];
    const float* b = t.b + s * len * kiln_nr;
    for (int64_t q = 0; q < len; ++q, b += kiln_nr) {
      __m256 bv[NV];
      KILN_UNROLL
      for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + v * kiln_w);
      KILN_UNROLL
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i * step + q);
        KILN_UNROLL
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
      }
    }
  }
  __m256i m[NV];
  __m256 bias[NV];
  KILN_UNROLL
  for (int v = 0; v < NV; ++v) {
    m[v] = lanes(t.cols - v * kiln_w);
    bias[v] = t.bias ? _mm256_loadu_ps(t.bias + v * kiln_w) : _mm256_setzero_ps();
  }
  const bool full = t.cols == NV * kiln_w;
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) {
      float* y = t.y + i * t.ldy + v * kiln_w;
      const __m256 r = _mm256_add_ps(acc[i][v], bias[v]);
      if (full) _mm256_storeu_ps(y, r);
      else _mm256_maskstore_ps(y, m[v], r);
    }
  }
}

// FULL: cols == NV * 8, so dy and dk are accessed without masks (slow on some CPUs).
template <int MR, int NV, bool FULL>
KILN_TARGET_AVX2 void filter_impl(const filter_tile& t) {
  __m256i m[NV];
  __m256 acc[MR][NV];
  KILN_UNROLL
  for (int v = 0; v < NV; ++v) m[v] = lanes(t.cols - v * kiln_w);
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  }
  for (int64_t r = 0; r < t.px_rows; ++r) {
    const float* a = t.a + r * t.a_row;
    const float* b = t.b + r * t.b_row;
    for (int64_t c = 0; c < t.px_cols; ++c, a += t.a_col, b += t.b_col) {
      __m256 bv[NV];
      KILN_UNROLL
      for (int v = 0; v < NV; ++v) bv[v] = FULL ? _mm256_loadu_ps(b + v * kiln_w) : _mm256_maskload_ps(b + v * kiln_w, m[v]);
      KILN_UNROLL
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        KILN_UNROLL
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
      }
    }
  }
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) {
      float* d = t.dk + i * t.ldk + v * kiln_w;
      if (FULL) _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), acc[i][v]));
      else _mm256_maskstore_ps(d, m[v], _mm256_add_ps(_mm256_maskload_ps(d, m[v]), acc[i][v]));
    }
  }
}

using forward_fn = void (*)(const forward_tile&);
using filter_fn = void (*)(const filter_tile&);

template <int NV, size_t... R>
constexpr std::array<forward_fn, kiln_mr> forward_row(std::index_sequence<R...>) {
  return {{&forward_impl<int(R) + 1, NV>...}};
}

template <int NV, bool FULL, size_t... R>
constexpr std::array<filter_fn, kiln_mr> filter_row(std::index_sequence<R...>) {
  return {{&filter_impl<int(R) + 1, NV, FULL>...}};
}

using rows = std::make_index_sequence<kiln_mr>;

// [vectors - 1][rows - 1], and for the filter gradient [full][vectors - 1][rows - 1].
const std::array<forward_fn, kiln_mr> forward_fns[2] = {forward_row<1>(rows()), forward_row<2>(rows())};
const std::array<filter_fn, kiln_mr> filter_fns[2][2] = {{filter_row<1, false>(rows()), filter_row<2, false>(rows())},
                                                         {filter_row<1, true>(rows()), filter_row<2, true>(rows())}};

void forward(const forward_tile& t) { forward_fns[t.cols > kiln_w][t.rows - 1](t); }

void filter(const filter_tile& t) {
  const int nv = t.cols > kiln_w ? 2 : 1;
  filter_fns[t.cols == nv * kiln_w][nv - 1][t.rows - 1](t);
}

const conv_tile_kernels kiln_avx2_tiles = {kiln_mr, kiln_nr, forward, filter};

}  // namespace

const conv_tile_kernels* conv_tiles_avx2() { return &kiln_avx2_tiles; }

}  // namespace kiln::cpu

#else

namespace kiln::cpu {
const conv_tile_kernels* conv_tiles_avx2() { return nullptr; }
}  // namespace kiln::cpu

#endif
