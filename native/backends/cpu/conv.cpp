// float32 convolution (2-D and 1-D, any groups) and its two backprop ops as GEMMs over patch
// matrices (im2col): each row of a patch matrix holds one output pixel's window of one group,
// ordered (kh, kw, channel) like the rows of an HWIO kernel. Per group g:
//   forward        y[:, g]  = patches_g(x) . k_g
//   backprop input dx[:, g] = col2im(dy[:, g] . k_g^T)
//   backprop filter dk_g    = patches_g(x)^T . dy[:, g]
// Images are taken in chunks so the patch matrix stays small; building and scattering it runs
// on the pool, and so does the GEMM. A 1x1 kernel with stride 1 reads x as it is. One group on a
// SIMD path (conv_direct.cpp) and depthwise convolutions (depthwise.cpp) run direct kernels instead.
#include <algorithm>

#include "cpu/conv.h"
#include "cpu/cpu_kernels.h"
#include "cpu/gemm.h"
#include "scratch.h"

namespace kiln {

namespace cpu {

conv_geometry conv_geom(const node& nd, const shape_t& x_shape, const shape_t& k_shape, const shape_t& y_shape) {
  const dims4 x = as_4d(x_shape, 1), k = as_4d(k_shape, 0), y = as_4d(y_shape, 1);
  const int64_t ones[2] = {1, 1};
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1};
  if (nd.op == kiln_op_conv1d) {
    per_axis(nd.at, "stride", 1, ones, strides + 1);
    per_axis(nd.at, "dilation", 1, ones, dilations + 1);
  } else {
    per_axis(nd.at, "strides", 2, ones, strides);
    per_axis(nd.at, "dilations", 2, ones, dilations);
  }
  conv_geometry g;
  g.n = x.d[0];
  g.c = x.d[3];
  g.f = k.d[3];
  g.groups = nd.at.i("groups", 1);
  g.h = {x.d[1], y.d[1], k.d[0], strides[0], dilations[0], 0};
  g.w = {x.d[2], y.d[2], k.d[1], strides[1], dilations[1], 0};
  set_pad(g.h, is_same(nd.at));
  set_pad(g.w, is_same(nd.at));
  return g;
}

}  // namespace cpu

namespace {

constexpr int64_t kiln_conv_scratch = int64_t{1} << 21;  // floats of patch matrix per chunk

using cpu::conv_geometry;

// A 1x1 kernel with stride 1 reads x as its patch matrix.
bool pointwise(const conv_geometry& g) { return g.h.k == 1 && g.w.k == 1 && g.h.stride == 1 && g.w.stride == 1; }

// Whole images per chunk: as many as fit the scratch budget, at least one.
int64_t images_per_chunk(const conv_geometry& g) {
  if (pointwise(g)) return g.n;
  const int64_t per_image = std::max<int64_t>(1, g.out_pixels() * g.patch());
  return std::min(g.n, std::max<int64_t>(1, kiln_conv_scratch / per_image));
}

// Per-thread scratch that grows once and is reused.
float* scratch(int64_t floats) {
  thread_local scratch_buffer<float> buffer;
  return buffer.get(floats);
}

// The patch matrix of group `group` for `rows` output pixels from image n0 on, with its row
// stride in `ld`: x itself for pointwise kernels, else built in `col`.
const float* patches(const conv_geometry& g, const float* x, int64_t n0, int64_t rows, int64_t group, float* col,
                     thread_pool* pool, int64_t& ld) {
  const int64_t cg = g.cg(), patch = g.patch(), pixels = g.out_pixels();
  if (pointwise(g)) {
    ld = g.c;
    return x + n0 * g.in_pixels() * g.c + group * cg;
  }
  ld = patch;
  cpu::parallel(pool, rows, cpu::grain_for(patch), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = n0 + p / pixels, oh = p % pixels / g.w.out, ow = p % g.w.out;
      float* dst = col + p * patch;
      for (int64_t kh = 0; kh < g.h.k; ++kh) {
        const int64_t ih = oh * g.h.stride - g.h.pad + kh * g.h.dilation;
        for (int64_t kw = 0; kw < g.w.k; ++kw, dst += cg) {
          const int64_t iw = ow * g.w.stride - g.w.pad + kw * g.w.dilation;
          if (ih < 0 || ih >= g.h.in || iw < 0 || iw >= g.w.in) std::fill(dst, dst + cg, 0.0f);
          else std::copy_n(x + ((n * g.h.in + ih) * g.w.in + iw) * g.c + group * cg, cg, dst);
        }
      }
    }
  });
  return col;
}

// The adjoint of patches(): each input pixel of `images` images from n0 on gathers, for group
// `group`, the patch entries that read it. Gathering (not scattering) lets pixels run in parallel.
void col2im(const conv_geometry& g, const float* col, int64_t n0, int64_t images, int64_t group, float* dx, thread_pool* pool) {
  const int64_t cg = g.cg(), patch = g.patch(), pixels = g.in_pixels();
  cpu::parallel(pool, images * pixels, cpu::grain_for(patch), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t n = q / pixels, ih = q % pixels / g.w.in, iw = q % g.w.in;
      float* dst = dx + (n0 * pixels + q) * g.c + group * cg;
      std::fill(dst, dst + cg, 0.0f);
      for (int64_t kh = 0; kh < g.h.k; ++kh) {
        const int64_t th = ih + g.h.pad - kh * g.h.dilation;
        if (th < 0 || th % g.h.stride != 0 || th / g.h.stride >= g.h.out) continue;
        for (int64_t kw = 0; kw < g.w.k; ++kw) {
          const int64_t tw = iw + g.w.pad - kw * g.w.dilation;
          if (tw < 0 || tw % g.w.stride != 0 || tw / g.w.stride >= g.w.out) continue;
          const float* src = col + ((n * g.h.out + th / g.h.stride) * g.w.out + tw / g.w.stride) * patch + (kh * g.w.k + kw) * cg;
          for (int64_t c = 0; c < cg; ++c) dst[c] += src[c];
        }
      }
    }
  });
}

// (x, k) -> y
void conv(const kernel_args& a) {
  const conv_geometry g = cpu::conv_geom(a.n, *a.in[0].shape, *a.in[1].shape, *a.out[0].shape);
  const float* x = a.in[0].as<float>();
  const float* k = a.in[1].as<float>();
  float* y = a.out[0].as<float>();
  if (a.out[0].size == 0) return;
  if (cpu::direct_conv(g, x, k, nullptr, y, nullptr, nullptr, a.pool)) return;
  if (g.cg() == 1) return cpu::depthwise_conv(g, x, k, y, a.pool);
  const int64_t chunk = images_per_chunk(g), fg = g.fg();
  float* col = pointwise(g) ? nullptr : scratch(chunk * g.out_pixels() * g.patch());
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t rows = std::min(chunk, g.n - n0) * g.out_pixels();
    for (int64_t group = 0; group < g.groups; ++group) {
      int64_t ld = 0;
      const float* p = patches(g, x, n0, rows, group, col, a.pool, ld);
      cpu::gemm(false, false, rows, fg, g.patch(), 1.0f, p, ld, k + group * fg, g.f, 0.0f,
                y + n0 * g.out_pixels() * g.f + group * fg, g.f, a.pool);
    }
  }
}

// (dy, k) -> dx
void conv_backprop_input(const kernel_args& a) {
  const conv_geometry g = cpu::conv_geom(a.n, *a.out[0].shape, *a.in[1].shape, *a.in[0].shape);
  const float* dy = a.in[0].as<float>();
  const float* k = a.in[1].as<float>();
  float* dx = a.out[0].as<float>();
  if (a.out[0].size == 0) return;
  if (cpu::direct_backprop_input(g, dy, k, dx, a.pool)) return;
  if (g.cg() == 1) return cpu::depthwise_backprop_input(g, dy, k, dx, a.pool);
  const int64_t chunk = images_per_chunk(g), fg = g.fg(), cg = g.cg();
  float* col = pointwise(g) ? nullptr : scratch(chunk * g.out_pixels() * g.patch());
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t images = std::min(chunk, g.n - n0), rows = images * g.out_pixels();
    for (int64_t group = 0; group < g.groups; ++group) {
      const float* dy_g = dy + n0 * g.out_pixels() * g.f + group * fg;
      if (pointwise(g)) {
        cpu::gemm(false, true, rows, cg, fg, 1.0f, dy_g, g.f, k + group * fg, g.f, 0.0f, dx + n0 * g.in_pixels() * g.c + group * cg,
                  g.c, a.pool);
      } else {
        cpu::gemm(false, true, rows, g.patch(), fg, 1.0f, dy_g, g.f, k + group * fg, g.f, 0.0f, col, g.patch(), a.pool);
        col2im(g, col, n0, images, group, dx, a.pool);
      }
    }
  }
}

// (x, dy) -> dk, accumulated over the chunks of images.
void conv_backprop_filter(const kernel_args& a) {
  const conv_geometry g = cpu::conv_geom(a.n, *a.in[0].shape, *a.out[0].shape, *a.in[1].shape);
  const float* x = a.in[0].as<float>();
  const float* dy = a.in[1].as<float>();
  float* dk = a.out[0].as<float>();
  if (g.n * g.out_pixels() == 0) {
    std::fill(dk, dk + a.out[0].size, 0.0f);
    return;
  }
  if (cpu::direct_backprop_filter(g, x, dy, dk, a.pool)) return;
  if (g.cg() == 1) return cpu::depthwise_backprop_filter(g, x, dy, dk, a.pool);
  const int64_t chunk = images_per_chunk(g), fg = g.fg();
  float* col = pointwise(g) ? nullptr : scratch(chunk * g.out_pixels() * g.patch());
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t rows = std::min(chunk, g.n - n0) * g.out_pixels();
    for (int64_t group = 0; group < g.groups; ++group) {
      int64_t ld = 0;
      const float* p = patches(g, x, n0, rows, group, col, a.pool, ld);
      cpu::gemm(true, false, g.patch(), fg, rows, 1.0f, p, ld, dy + n0 * g.out_pixels() * g.f + group * fg, g.f, n0 == 0 ? 0.0f : 1.0f,
                dk + group * fg, g.f, a.pool);
    }
  }
}

// Fused epilogue: (x, k, bias) -> z = conv + bias and, with an activation, y = act(z).
void conv_bias_activation(const kernel_args& a) {
  const conv_geometry g = cpu::conv_geom(a.n, *a.in[0].shape, *a.in[1].shape, *a.out[0].shape);
  float* z = a.out[0].as<float>();
  float* y = a.out.size() > 1 ? a.out[1].as<float>() : nullptr;
  if (a.out[0].size == 0) return;
  if (cpu::direct_conv(g, a.in[0].as<float>(), a.in[1].as<float>(), a.in[2].as<float>(), z, a.activation, y, a.pool)) return;
  conv(a);
  cpu::bias_activation(z, a.in[2].as<float>(), a.out[0].size / g.f, g.f, a.activation, y, a.pool);
}

}  // namespace

void register_cpu_conv(kernel_table& t) {
  t.set(kiln_op_conv2d, kiln_dtype_f32, conv);
  t.set(kiln_op_conv1d, kiln_dtype_f32, conv);
  t.set(kiln_op_conv2d_backprop_input, kiln_dtype_f32, conv_backprop_input);
  t.set(kiln_op_conv2d_backprop_filter, kiln_dtype_f32, conv_backprop_filter);
  t.set_epilogue(kiln_op_conv2d, conv_bias_activation);
  t.set_epilogue(kiln_op_conv1d, conv_bias_activation);
}

}  // namespace kiln
