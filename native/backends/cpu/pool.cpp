// float32 max and average pooling (2-D and 1-D) and their 2-D gradients. Loops run over whole
// channel rows of NHWC, so they vectorise; windows follow the reference (padding never takes
// part, a max's gradient goes to the window's first maximum) in the same summation order.
// Forward ops split output pixels over the pool; gradients split (image, channel block) pairs,
// whose parts of dx are disjoint.
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

// fn(y_pixel, x_image, window) for every output pixel, chunks of pixels on the pool.
template <typename F>
void for_out_pixels(const kernel_args& a, const pool_geometry& g, F fn) {
  const int64_t pixels = g.out_pixels();
  cpu::parallel(a.pool, g.n * pixels, cpu::grain_for(g.c * g.h.k * g.w.k), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t q = p % pixels;
      fn(p, p / pixels, window_at(g, q / g.w.out, q % g.w.out));
    }
  });
}

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

// (x, y, dy) -> dx: each window's gradient goes to its first maximum.
void max_pool_grad(const kernel_args& a) {
  const pool_geometry g = pool_geom(a.n, *a.in[0].shape, *a.in[2].shape);
  const float* x = a.in[0].as<float>();
  const float* dy = a.in[2].as<float>();
  float* dx = a.out[0].as<float>();
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
