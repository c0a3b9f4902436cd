// Direct float32 convolution (one group) on the SIMD tiles of conv_tiles.h: no patch matrix is
// built. Work is cut into bands: a few output rows of one image, whose input rows (copied with
// their zero padding into a per-thread buffer when the band reaches the padding, else read in
// place) and outputs fit in L2. Within a band:
//   forward          a tile is up to mr pixels of one output row x nr filters, summed over the
//                    whole window from the kernel packed into panels of nr filters; bias and the
//                    fused activation are applied while the band is hot;
//   backprop input   (stride 1) the forward convolution of dy with the kernel flipped and its
//                    channel axes swapped;
//   backprop filter  a tile is up to mr consecutive kernel entries (one run of the window) x nr
//                    filters, summed over the band's pixels; each thread sums its share of the
//                    bands into its own copy of dk, and the copies are added at the end.
#include <algorithm>

#include "cpu/conv.h"
#include "cpu/conv_tiles.h"
#include "cpu/cpu_features.h"
#include "cpu/cpu_kernels.h"
#include "scratch.h"

namespace kiln::cpu {

namespace {

constexpr int64_t kiln_band_floats = int64_t{1} << 16;    // a band's inputs and outputs: 256 KiB
constexpr int64_t kiln_copies_floats = int64_t{1} << 24;  // extra copies of dk, at most: 64 MiB

const conv_tile_kernels* tiles() {
  static const conv_tile_kernels* kernels = []() -> const conv_tile_kernels* {
    const cpu_isa isa = selected_isa();
    const conv_tile_kernels* k = isa == cpu_isa_avx512 ? conv_tiles_avx512() : nullptr;
    return k == nullptr && isa >= cpu_isa_avx2 ? conv_tiles_avx2() : k;
  }();
  return kernels;
}

// Per-thread scratch that grows once; Slot tells apart buffers alive at the same time.
template <typename T, int Slot>
T* scratch(int64_t count) {
  thread_local scratch_buffer<T> buffer;
  return buffer.get(count);
}

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }  // b > 0

// Input columns and rows a band of `rows` output rows reads, padding included.
int64_t band_width(const conv_geometry& g) { return (g.w.out - 1) * g.w.stride + (g.w.k - 1) * g.w.dilation + 1; }
int64_t band_height(const conv_geometry& g, int64_t rows) { return (rows - 1) * g.h.stride + (g.h.k - 1) * g.h.dilation + 1; }

// Output rows per band: inputs and outputs fit kiln_band_floats, with bands enough for every thread.
int64_t band_rows(const conv_geometry& g, thread_pool* pool) {
  const int64_t threads = pool != nullptr ? pool->size() : 1;
  const int64_t per_row = std::max<int64_t>(1, g.h.stride * band_width(g) * g.c + g.w.out * g.f);
  const int64_t per_image = ceil_div(4 * threads, std::max<int64_t>(g.n, 1));
  return std::max<int64_t>(1, std::min(kiln_band_floats / per_row, ceil_div(g.h.out, per_image)));
}

// A band's input: base is what output pixel (first row, 0) reads at tap (0, 0); row is the
// distance in floats between input rows.
struct band {
  const float* base;
  int64_t row;
};

band input_band(const conv_geometry& g, const float* x, int64_t n, int64_t oh0, int64_t rows, float* buffer) {
  const int64_t ih0 = oh0 * g.h.stride - g.h.pad, height = band_height(g, rows), width = band_width(g);
  const float* image = x + n * g.in_pixels() * g.c;
  if (ih0 >= 0 && ih0 + height <= g.h.in && g.w.pad == 0 && width <= g.w.in) return {image + ih0 * g.w.in * g.c, g.w.in * g.c};
  // Columns [left, right) of the band are input columns [left - pad, right - pad).
  const int64_t left = std::min(g.w.pad, width), right = std::clamp(g.w.in + g.w.pad, left, width);
  for (int64_t r = 0; r < height; ++r) {
    float* dst = buffer + r * width * g.c;
    const int64_t ih = ih0 + r;
    if (ih < 0 || ih >= g.h.in || right == left) {
      std::fill_n(dst, width * g.c, 0.0f);
      continue;
    }
    std::fill_n(dst, left * g.c, 0.0f);
    std::copy_n(image + (ih * g.w.in + left - g.w.pad) * g.c, (right - left) * g.c, dst + left * g.c);
    std::fill(dst + right * g.c, dst + width * g.c, 0.0f);
  }
  return {buffer, width * g.c};
}

// The kernel window as runs of consecutive band floats (offsets into `off`), each `len` long and
// in the order of the HWIO kernel's rows: a whole kernel row when there is no horizontal dilation.
int64_t window_runs(const conv_geometry& g, int64_t row, int64_t* off, int64_t& len) {
  if (g.w.dilation == 1) {
    for (int64_t kh = 0; kh < g.h.k; ++kh) off[kh] = kh * g.h.dilation * row;
    len = g.w.k * g.c;
    return g.h.k;
  }
  for (int64_t kh = 0; kh < g.h.k; ++kh)
    for (int64_t kw = 0; kw < g.w.k; ++kw) off[kh * g.w.k + kw] = kh * g.h.dilation * row + kw * g.w.dilation * g.c;
  len = g.c;
  return g.h.k * g.w.k;
}

// A rows x cols matrix (element (r, c) = at(r, c)) into panels of nr columns, zero past cols.
template <typename At>
void pack_panels(int64_t rows, int64_t cols, int64_t nr, float* out, At at) {
  for (int64_t p = 0; p * nr < cols; ++p)
    for (int64_t r = 0; r < rows; ++r, out += nr)
      for (int64_t j = 0; j < nr; ++j) out[j] = p * nr + j < cols ? at(r, p * nr + j) : 0.0f;
}

// y = conv(x, packed) (+ bias, padded to whole panels), and act_y = act(y) band by band.
void forward(const conv_tile_kernels& kt, const conv_geometry& g, const float* x, const float* packed, const float* bias,
             float* y, const node* act, float* act_y, thread_pool* pool) {
  const int64_t rows = band_rows(g, pool), bands = ceil_div(g.h.out, rows);
  const int64_t window = g.h.k * g.w.k * g.c, panels = ceil_div(g.f, kt.nr);
  const int64_t chunk = ceil_div(g.w.out, ceil_div(g.w.out, kt.mr));  // pixels per tile, balanced
  parallel(pool, g.n * bands, 1, [&](int64_t i0, int64_t i1) {
    float* buffer = scratch<float, 0>(band_height(g, rows) * band_width(g) * g.c);
    int64_t* off = scratch<int64_t, 0>(g.h.k * g.w.k);
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t n = item / bands, oh0 = item % bands * rows, band_h = std::min(rows, g.h.out - oh0);
      const band in = input_band(g, x, n, oh0, band_h, buffer);
      forward_tile t{};
      int64_t len = 0;
      const int64_t per_kh = window_runs(g, in.row, off, len) / g.h.k;
      t.step = g.w.stride * g.c;
      t.len = len;
      t.ldy = g.f;
      for (int64_t oh = 0; oh < band_h; ++oh) {
        // Kernel rows [kh0, kh1) read input rows; the others read only padding and are skipped.
        const int64_t ih = (oh0 + oh) * g.h.stride - g.h.pad, d = g.h.dilation;
        const int64_t kh0 = std::clamp<int64_t>(ceil_div(-ih, d), 0, g.h.k);
        const int64_t kh1 = std::clamp<int64_t>(ceil_div(g.h.in - ih, d), kh0, g.h.k);
        t.off = off + kh0 * per_kh;
        t.segs = (kh1 - kh0) * per_kh;
        for (int64_t ow = 0; ow < g.w.out; ow += chunk) {
          t.a = in.base + oh * g.h.stride * in.row + ow * t.step;
          t.rows = std::min(chunk, g.w.out - ow);
          for (int64_t p = 0; p < panels; ++p) {
            t.b = packed + (p * window + kh0 * per_kh * len) * kt.nr;
            t.bias = bias != nullptr ? bias + p * kt.nr : nullptr;
            t.y = y + ((n * g.h.out + oh0 + oh) * g.w.out + ow) * g.f + p * kt.nr;
            t.cols = std::min<int64_t>(kt.nr, g.f - p * kt.nr);
            kt.forward(t);
          }
        }
      }
      if (act != nullptr) {
        const int64_t first = (n * g.h.out + oh0) * g.w.out * g.f;
        unary_span(*act, y + first, act_y + first, band_h * g.w.out * g.f);
      }
    }
  });
}

}  // namespace

bool direct_conv(const conv_geometry& g, const float* x, const float* k, const float* bias, float* y, const node* act,
                 float* act_y, thread_pool* pool) {
  const conv_tile_kernels* kt = tiles();
  if (kt == nullptr || g.groups != 1) return false;
  const int64_t window = g.h.k * g.w.k * g.c, padded = ceil_div(g.f, kt->nr) * kt->nr;
  float* packed = scratch<float, 1>(window * padded + padded);
  pack_panels(window, g.f, kt->nr, packed, [&](int64_t r, int64_t f) { return k[r * g.f + f]; });
  float* bias_padded = nullptr;
  if (bias != nullptr) {
    bias_padded = packed + window * padded;
    std::fill_n(std::copy_n(bias, g.f, bias_padded), padded - g.f, 0.0f);
  }
  forward(*kt, g, x, packed, bias_padded, y, act, act_y, pool);
  return true;
}

bool direct_backprop_input(const conv_geometry& g, const float* dy, const float* k, float* dx, thread_pool* pool) {
  const conv_tile_kernels* kt = tiles();
  if (kt == nullptr || g.groups != 1 || g.h.stride != 1 || g.w.stride != 1) return false;
  // dx[ih] gathers dy[ih + pad - kh * d] * k[kh]: the forward convolution of dy padded by
  // (k - 1) * d - pad with the flipped kernel, whose input channels are the filters.
  conv_geometry t = g;
  t.c = g.f;
  t.f = g.c;
  t.h = {g.h.out, g.h.in, g.h.k, 1, g.h.dilation, (g.h.k - 1) * g.h.dilation - g.h.pad};
  t.w = {g.w.out, g.w.in, g.w.k, 1, g.w.dilation, (g.w.k - 1) * g.w.dilation - g.w.pad};
  const int64_t taps = g.h.k * g.w.k;
  float* packed = scratch<float, 1>(taps * g.f * ceil_div(g.c, kt->nr) * kt->nr);
  pack_panels(taps * g.f, g.c, kt->nr, packed, [&](int64_t r, int64_t c) {
    const int64_t flipped = taps - 1 - r / g.f;
    return k[(flipped * g.c + c) * g.f + r % g.f];
  });
  forward(*kt, t, dy, packed, nullptr, dx, nullptr, nullptr, pool);
  return true;
}

bool direct_backprop_filter(const conv_geometry& g, const float* x, const float* dy, float* dk, thread_pool* pool) {
  const conv_tile_kernels* kt = tiles();
  if (kt == nullptr || g.groups != 1) return false;
  const int64_t rows = band_rows(g, pool), bands = ceil_div(g.h.out, rows), items = g.n * bands;
  const int64_t size = g.h.k * g.w.k * g.c * g.f, panels = ceil_div(g.f, kt->nr);
  const int64_t threads = pool != nullptr && !pool->in_parallel_region() ? pool->size() : 1;
  const int64_t slices = std::clamp<int64_t>(std::min(items, 1 + kiln_copies_floats / std::max<int64_t>(size, 1)), 1, threads);
  float* copies = scratch<float, 1>((slices - 1) * size);  // dk of slices 1..
  parallel(pool, slices, 1, [&](int64_t s0, int64_t s1) {
    float* buffer = scratch<float, 0>(band_height(g, rows) * band_width(g) * g.c);
    int64_t* off = scratch<int64_t, 0>(g.h.k * g.w.k);
    for (int64_t s = s0; s < s1; ++s) {
      float* part = s == 0 ? dk : copies + (s - 1) * size;
      std::fill_n(part, size, 0.0f);
      for (int64_t item = s * items / slices; item < (s + 1) * items / slices; ++item) {
        const int64_t n = item / bands, oh0 = item % bands * rows, band_h = std::min(rows, g.h.out - oh0);
        const band in = input_band(g, x, n, oh0, band_h, buffer);
        filter_tile t{};
        int64_t len = 0;
        const int64_t runs = window_runs(g, in.row, off, len);
        const int64_t chunk = ceil_div(len, ceil_div(len, kt->mr));
        t.a_row = g.h.stride * in.row;
        t.a_col = g.w.stride * g.c;
        t.b_row = g.w.out * g.f;
        t.b_col = g.f;
        t.px_rows = band_h;
        t.px_cols = g.w.out;
        t.ldk = g.f;
        for (int64_t run = 0; run < runs; ++run) {
          for (int64_t q = 0; q < len; q += chunk) {
            t.a = in.base + off[run] + q;
            t.rows = std::min(chunk, len - q);
            for (int64_t p = 0; p < panels; ++p) {
              t.b = dy + (n * g.h.out + oh0) * g.w.out * g.f + p * kt->nr;
              t.dk = part + (run * len + q) * g.f + p * kt->nr;
              t.cols = std::min<int64_t>(kt->nr, g.f - p * kt->nr);
              kt->filter(t);
            }
          }
        }
      }
    }
  });
  if (slices > 1) {
    parallel(pool, size, grain_for(slices), [&](int64_t i0, int64_t i1) {
      for (int64_t s = 1; s < slices; ++s)
        for (int64_t i = i0; i < i1; ++i) dk[i] += copies[(s - 1) * size + i];
    });
  }
  return true;
}

}  // namespace kiln::cpu
