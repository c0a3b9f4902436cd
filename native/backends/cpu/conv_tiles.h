// SIMD tile kernels for direct (im2col-free) convolution, one set per ISA (conv_tiles_<isa>.cpp,
// compiled through function attributes like the GEMM micro-kernels). A tile keeps its sums in
// registers over a whole kernel window (forward) or a whole grid of pixels (filter gradient),
// vectorised over the filters; conv_direct.cpp drives them.
#pragma once

#include <cstdint>

namespace kiln::cpu {

// rows (<= mr) output pixels x cols (<= nr) filters:
//   y[i * ldy + j] = bias[j] + sum over s < segs, q < len of a[off[s] + i * step + q] * b[(s * len + q) * nr + j]
// b is a packed panel (nr floats a row, zero past the last filter); bias is nr floats or null.
struct forward_tile {
  const float* a;
  int64_t step;
  const int64_t* off;
  int64_t segs, len;
  const float* b;
  const float* bias;
  float* y;
  int64_t ldy;
  int64_t rows, cols;
};

// rows (<= mr) kernel entries x cols (<= nr) filters, summed over px_rows x px_cols pixels:
//   dk[i * ldk + j] += sum over r, c of a[r * a_row + c * a_col + i] * b[r * b_row + c * b_col + j]
struct filter_tile {
  const float* a;
  int64_t a_row, a_col;
  const float* b;
  int64_t b_row, b_col;
  int64_t px_rows, px_cols;
  float* dk;
  int64_t ldk;
  int64_t rows, cols;
};

struct conv_tile_kernels {
  int32_t mr, nr;
  void (*forward)(const forward_tile& t);
  void (*filter)(const filter_tile& t);
};

// nullptr where the file is built without that ISA.
const conv_tile_kernels* conv_tiles_avx512();
const conv_tile_kernels* conv_tiles_avx2();

}  // namespace kiln::cpu
