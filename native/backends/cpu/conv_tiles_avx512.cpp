// AVX-512F convolution tiles: up to 14 rows x 32 filters in 28 zmm accumulators. One instance per
// row count, so a short row of pixels costs no wasted multiply-adds. Called only after
// cpu_features says the CPU supports AVX-512F (see conv_tiles.h).
#include "cpu/conv_tiles.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <array>
#include <utility>

#include "cpu/simd_target.h"

namespace kiln::cpu {

namespace {

constexpr int32_t kiln_mr = 14;
constexpr int32_t kiln_w = 16;  // floats per vector
constexpr int32_t kiln_nr = 2 * kiln_w;

KILN_TARGET_AVX512 inline __mmask16 lanes(int64_t count) {
  return count >= kiln_w ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

template <int MR, int NV>
KILN_TARGET_AVX512 void forward_impl(const forward_tile& t) {
  __m512 acc[MR][NV];
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  const int64_t step = t.step, len = t.len;
  for (int64_t s = 0; s < t.segs; ++s) {
    const float* a = t.a + t.off[s];
    const float* b = t.b + s * len * kiln_nr;
    for (int64_t q = 0; q < len; ++q, b += kiln_nr) {
      __m512 bv[NV];
      KILN_UNROLL
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + v * kiln_w);
      KILN_UNROLL
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i * step + q]);
        KILN_UNROLL
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
    }
  }
  __mmask16 m[NV];
  __m512 bias[NV];
  KILN_UNROLL
  for (int v = 0; v < NV; ++v) {
    m[v] = lanes(t.cols - v * kiln_w);
    bias[v] = t.bias ? _mm512_loadu_ps(t.bias + v * kiln_w) : _mm512_setzero_ps();
  }
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(t.y + i * t.ldy + v * kiln_w, m[v], _mm512_add_ps(acc[i][v], bias[v]));
  }
}

template <int MR, int NV>
KILN_TARGET_AVX512 void filter_impl(const filter_tile& t) {
  __mmask16 m[NV];
  __m512 acc[MR][NV];
  KILN_UNROLL
  for (int v = 0; v < NV; ++v) m[v] = lanes(t.cols - v * kiln_w);
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  for (int64_t r = 0; r < t.px_rows; ++r) {
    const float* a = t.a + r * t.a_row;
    const float* b = t.b + r * t.b_row;
    for (int64_t c = 0; c < t.px_cols; ++c, a += t.a_col, b += t.b_col) {
      __m512 bv[NV];
      KILN_UNROLL
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_maskz_loadu_ps(m[v], b + v * kiln_w);
      KILN_UNROLL
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        KILN_UNROLL
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
    }
  }
  KILN_UNROLL
  for (int i = 0; i < MR; ++i) {
    KILN_UNROLL
    for (int v = 0; v < NV; ++v) {
      float* d = t.dk + i * t.ldk + v * kiln_w;
      _mm512_mask_storeu_ps(d, m[v], _mm512_add_ps(_mm512_maskz_loadu_ps(m[v], d), acc[i][v]));
    }
  }
}

using forward_fn = void (*)(const forward_tile&);
using filter_fn = void (*)(const filter_tile&);

template <int NV, size_t... R>
constexpr std::array<forward_fn, kiln_mr> forward_row(std::index_sequence<R...>) {
  return {{&forward_impl<int(R) + 1, NV>...}};
}

template <int NV, size_t... R>
constexpr std::array<filter_fn, kiln_mr> filter_row(std::index_sequence<R...>) {
  return {{&filter_impl<int(R) + 1, NV>...}};
}

using rows = std::make_index_sequence<kiln_mr>;

// [vectors - 1][rows - 1]
const std::array<forward_fn, kiln_mr> forward_fns[2] = {forward_row<1>(rows()), forward_row<2>(rows())};
const std::array<filter_fn, kiln_mr> filter_fns[2] = {filter_row<1>(rows()), filter_row<2>(rows())};

void forward(const forward_tile& t) { forward_fns[t.cols > kiln_w][t.rows - 1](t); }
void filter(const filter_tile& t) { filter_fns[t.cols > kiln_w][t.rows - 1](t); }

const conv_tile_kernels kiln_avx512_tiles = {kiln_mr, kiln_nr, forward, filter};

}  // namespace

const conv_tile_kernels* conv_tiles_avx512() { return &kiln_avx512_tiles; }

}  // namespace kiln::cpu

#else

namespace kiln::cpu {
const conv_tile_kernels* conv_tiles_avx512() { return nullptr; }
}  // namespace kiln::cpu

#endif
