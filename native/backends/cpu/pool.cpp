// float32 max and average pooling (2-D and 1-D) and their 2-D gradients. Loops run over whole
// channel rows of NHWC, so they vectorise; windows follow the reference (padding never takes
// part, a max's gradient goes to the window's first maximum) in the same summation order.
// Forward ops split rows of output pixels over the pool; gradients split (image, channel block)
// pairs, whose parts of dx are disjoint, or rows of windows when the windows tile the input.
#include <algorithm>

#include "cpu/cpu_kernels.h"
#include "cpu/window.h"

namespace kiln {

namespace {

constexpr int64_t kiln_channel_block = 64;

struct pool_geometry {
  int64_t n = 0, c = 0;
  cpu::axis h, w;
  int64_t in_pixels() const { return h.in * w.in; }
  int64_t out_pixels() const { return h.out * w.out; }
  int64_t blocks() const { return (c + kiln_channel_block - 1) / kiln_channel_block; }
};

pool_geometry pool_geom(const node& nd, const shape_t& x_shape, const shape_t& y_shape) {
  const cpu::dims4 x = cpu::as_4d(x_shape, 1), y = cpu::as_4d(y_shape, 1);
  const size_t rank = x_shape.size() - 2, skip = 2 - rank;  // 1-D: height 1, window 1, stride 1
  const int64_t twos[2] = {2, 2};
  int64_t size[2] = {1, 1}, strides[2] = {1, 1};
  cpu::per_axis(nd.at, "pool_size", rank, twos, size + skip);
  cpu::per_axis(nd.at, "strides", rank, size + skip, strides + skip);
  pool_geometry g;
  g.n = x.d[0];
  g.c = x.d[3];
  g.h = {x.d[1], y.d[1], size[0], strides[0], 1, 0};
  g.w = {x.d[2], y.d[2], size[1], strides[1], 1, 0};
  cpu::set_pad(g.h, cpu::is_same(nd.at));
  cpu::set_pad(g.w, cpu::is_same(nd.at));
  return g;
}

// The in-bounds part of the window of output pixel (oh, ow): [h0, h1) x [w0, w1).
struct window {
  int64_t h0, h1, w0, w1;
  int64_t count() const { return (h1 - h0) * (w1 - w0); }
};

window window_at(const pool_geometry& g, int64_t oh, int64_t ow) {
  const int64_t h = oh * g.h.stride - g.h.pad, w = ow * g.w.stride - g.w.pad;
  return {std::max<int64_t>(h, 0), std::min(h + g.h.k, g.h.in), std::max<int64_t>(w, 0), std::min(w + g.w.k, g.w.in)};
}

// fn(y_pixel, x_image, window) for every output pixel, chunks of rows of pixels on the pool.
template <typename F>
void for_out_pixels(const kernel_args& a, const pool_geometry& g, F fn) {
  cpu::parallel(a.pool, g.n * g.h.out, cpu::grain_for(g.w.out * g.c * g.h.k * g.w.k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t ow = 0; ow < g.w.out; ++ow) fn(r * g.w.out + ow, r / g.h.out, window_at(g, r % g.h.out, ow));
  });
}

// A whole 2 x 2 window (the common MaxPool(2)): its four channel rows are read side by side.
bool two_by_two(const pool_geometry& g, const window& win) { return g.h.k == 2 && g.w.k == 2 && win.count() == 4; }

// fn(image, first channel, channels) over (image, channel block) pairs on the pool.
template <typename F>
void for_image_blocks(const kernel_args& a, const pool_geometry& g, F fn) {
  const int64_t blocks = g.blocks();
  cpu::parallel(a.pool, g.n * blocks, cpu::grain_for(kiln_channel_block * g.out_pixels() * g.h.k * g.w.k), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t c0 = t % blocks * kiln_channel_block;
      fn(t / blocks, c0, std::min(kiln_channel_block, g.c - c0));
    }
  });
}

void max_pool(const kernel_args& a) {
  const pool_geometry g = pool_geom(a.n, *a.in[0].shape, *a.out[0].shape);
  const float* x = a.in[0].as<float>();
  float* y = a.out[0].as<float>();
  for_out_pixels(a, g, [&](int64_t p, int64_t n, const window& win) {
    float* yp = y + p * g.c;
    const float* xn = x + n * g.in_pixels() * g.c;
    if (two_by_two(g, win)) {
      const float* x0 = xn + (win.h0 * g.w.in + win.w0) * g.c;
      const float* x1 = x0 + g.c;
      const float* x2 = x0 + g.w.in * g.c;
      const float* x3 = x2 + g.c;
      for (int64_t c = 0; c < g.c; ++c) {
        float m = x0[c];
        m = x1[c] > m ? x1[c] : m;
        m = x2[c] > m ? x2[c] : m;
        yp[c] = x3[c] > m ? x3[c] : m;
      }
      return;
    }
    std::copy_n(xn + (win.h0 * g.w.in + win.w0) * g.c, g.c, yp);
    for (int64_t h = win.h0; h < win.h1; ++h)
      for (int64_t w = win.w0; w < win.w1; ++w) {
        const float* xi = xn + (h * g.w.in + w) * g.c;
        for (int64_t c = 0; c < g.c; ++c) yp[c] = xi[c] > yp[c] ? xi[c] : yp[c];
      }
  });
}

void avg_pool(const kernel_args& a) {
  const pool_geometry g = pool_geom(a.n, *a.in[0].shape, *a.out[0].shape);
  const float* x = a.in[0].as<float>();
  float* y = a.out[0].as<float>();
  for_out_pixels(a, g, [&](int64_t p, int64_t n, const window& win) {
    float* yp = y + p * g.c;
    const float* xn = x + n * g.in_pixels() * g.c;
    std::fill(yp, yp + g.c, 0.0f);
    for (int64_t h = win.h0; h < win.h1; ++h)
      for (int64_t w = win.w0; w < win.w1; ++w) {
        const float* xi = xn + (h * g.w.in + w) * g.c;
        for (int64_t c = 0; c < g.c; ++c) yp[c] += xi[c];
      }
    const auto count = static_cast<float>(win.count());
    for (int64_t c = 0; c < g.c; ++c) yp[c] /= count;
  });
}

// Zeroes channels [c0, c0 + len) of image n of dx.
void zero_block(const pool_geometry& g, float* dx, int64_t n, int64_t c0, int64_t len) {
  for (int64_t q = 0; q < g.in_pixels(); ++q) std::fill_n(dx + (n * g.in_pixels() + q) * g.c + c0, len, 0.0f);
}

// One whole 2 x 2 window of max_pool_grad_tiled: x and dx point at its first element.
void grad_2x2(const pool_geometry& g, const float* x, const float* dy, float* dx) {
  const int64_t right = g.c, down = g.w.in * g.c;
  for (int64_t c = 0; c < g.c; ++c) {
    const float v0 = x[c], v1 = x[c + right], v2 = x[c + down], v3 = x[c + down + right];
    // The first maximum in scan order: a later element wins only when strictly greater.
    const bool m1 = v1 > v0;
    const float b1 = m1 ? v1 : v0;
    const bool m2 = v2 > b1;
    const float b2 = m2 ? v2 : b1;
    const bool m3 = v3 > b2;
    const bool at2 = m2 && !m3, at1 = m1 && !m2 && !m3, at0 = !m1 && !m2 && !m3;
    dx[c] = cpu::pick(at0, dy[c], 0.0f);
    dx[c + right] = cpu::pick(at1, dy[c], 0.0f);
    dx[c + down] = cpu::pick(at2, dy[c], 0.0f);
    dx[c + down + right] = cpu::pick(m3, dy[c], 0.0f);
  }
}

// max_pool_grad when the windows tile the input (stride == pool size): each input element is in
// at most one window, so dx is written in one pass, row of windows by row of windows: dy at each
// window's first maximum, 0 elsewhere and outside every window.
void max_pool_grad_tiled(const kernel_args& a, const pool_geometry& g, const float* x, const float* dy, float* dx) {
  const int64_t covered_h = std::min(g.h.in, g.h.out * g.h.stride - g.h.pad);
  const int64_t covered_w = std::min(g.w.in, g.w.out * g.w.stride - g.w.pad);
  const int64_t row = g.w.in * g.c;
  cpu::parallel(a.pool, g.n * g.h.out, cpu::grain_for(g.h.k * row), [&](int64_t r0, int64_t r1) {
    float best[kiln_channel_block];
    float at[kiln_channel_block];  // position of the first maximum in the window
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.h.out, oh = r % g.h.out;
      const float* xn = x + n * g.in_pixels() * g.c;
      float* dxn = dx + n * g.in_pixels() * g.c;
      const float* dyr = dy + r * g.w.out * g.c;
      const window rows = window_at(g, oh, 0);
      for (int64_t ow = 0; ow < g.w.out; ++ow) {
        const window win = window_at(g, oh, ow);
        const float* dyq = dyr + ow * g.c;
        if (two_by_two(g, win)) {
          grad_2x2(g, xn + (win.h0 * g.w.in + win.w0) * g.c, dyq, dxn + (win.h0 * g.w.in + win.w0) * g.c);
          continue;
        }
        for (int64_t c0 = 0; c0 < g.c; c0 += kiln_channel_block) {
          const int64_t len = std::min(kiln_channel_block, g.c - c0);
          const float* first = xn + (win.h0 * g.w.in + win.w0) * g.c + c0;
          for (int64_t j = 0; j < len; ++j) {
            best[j] = first[j];
            at[j] = 0.0f;
          }
          float k = 0.0f;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w, k += 1.0f) {
              const float* xi = xn + (h * g.w.in + w) * g.c + c0;
              for (int64_t j = 0; j < len; ++j) {
                const bool more = xi[j] > best[j];
                best[j] = cpu::pick(more, xi[j], best[j]);
                at[j] = cpu::pick(more, k, at[j]);
              }
            }
          k = 0.0f;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w, k += 1.0f) {
              float* d = dxn + (h * g.w.in + w) * g.c + c0;
              for (int64_t j = 0; j < len; ++j) d[j] = cpu::pick(at[j] == k, dyq[c0 + j], 0.0f);
            }
        }
      }
      for (int64_t h = rows.h0; h < rows.h1; ++h) std::fill(dxn + h * row + covered_w * g.c, dxn + (h + 1) * row, 0.0f);
      if (oh == g.h.out - 1) std::fill(dxn + covered_h * row, dxn + g.h.in * row, 0.0f);
    }
  });
}

// (x, y, dy) -> dx: each window's gradient goes to its first maximum.
void max_pool_grad(const kernel_args& a) {
  const pool_geometry g = pool_geom(a.n, *a.in[0].shape, *a.in[2].shape);
  const float* x = a.in[0].as<float>();
  const float* dy = a.in[2].as<float>();
  float* dx = a.out[0].as<float>();
  if (g.h.stride == g.h.k && g.w.stride == g.w.k && g.h.out > 0 && g.w.out > 0) return max_pool_grad_tiled(a, g, x, dy, dx);
  for_image_blocks(a, g, [&](int64_t n, int64_t c0, int64_t len) {
    zero_block(g, dx, n, c0, len);
    const float* xn = x + n * g.in_pixels() * g.c + c0;
    float* dxn = dx + n * g.in_pixels() * g.c + c0;
    float best[kiln_channel_block];
    int64_t at[kiln_channel_block];
    for (int64_t q = 0; q < g.out_pixels(); ++q) {
      const window win = window_at(g, q / g.w.out, q % g.w.out);
      const int64_t first = (win.h0 * g.w.in + win.w0) * g.c;
      for (int64_t j = 0; j < len; ++j) {
        best[j] = xn[first + j];
        at[j] = first;
      }
      for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
          const int64_t offset = (h * g.w.in + w) * g.c;
          for (int64_t j = 0; j < len; ++j) {
            const bool more = xn[offset + j] > best[j];
            best[j] = more ? xn[offset + j] : best[j];
            at[j] = more ? offset : at[j];
          }
        }
      const float* dyq = dy + (n * g.out_pixels() + q) * g.c + c0;
      for (int64_t j = 0; j < len; ++j) dxn[at[j] + j] += dyq[j];
    }
  });
}

// (dy) -> dx: each window's gradient is shared by its in-bounds elements.
void avg_pool_grad(const kernel_args& a) {
  const pool_geometry g = pool_geom(a.n, *a.out[0].shape, *a.in[0].shape);
  const float* dy = a.in[0].as<float>();
  float* dx = a.out[0].as<float>();
  for_image_blocks(a, g, [&](int64_t n, int64_t c0, int64_t len) {
    zero_block(g, dx, n, c0, len);
    float* dxn = dx + n * g.in_pixels() * g.c + c0;
    float share[kiln_channel_block];
    for (int64_t q = 0; q < g.out_pixels(); ++q) {
      const window win = window_at(g, q / g.w.out, q % g.w.out);
      const float* dyq = dy + (n * g.out_pixels() + q) * g.c + c0;
      const auto count = static_cast<float>(win.count());
      for (int64_t j = 0; j < len; ++j) share[j] = dyq[j] / count;
      for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
          float* d = dxn + (h * g.w.in + w) * g.c;
          for (int64_t j = 0; j < len; ++j) d[j] += share[j];
        }
    }
  });
}

}  // namespace

void register_cpu_pool(kernel_table& t) {
  t.set(kiln_op_max_pool2d, kiln_dtype_f32, max_pool);
  t.set(kiln_op_max_pool1d, kiln_dtype_f32, max_pool);
  t.set(kiln_op_avg_pool2d, kiln_dtype_f32, avg_pool);
  t.set(kiln_op_avg_pool1d, kiln_dtype_f32, avg_pool);
  t.set(kiln_op_max_pool2d_grad, kiln_dtype_f32, max_pool_grad);
  t.set(kiln_op_avg_pool2d_grad, kiln_dtype_f32, avg_pool_grad);
}

}  // namespace kiln
