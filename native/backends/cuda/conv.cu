// Convolutions as im2col + GEMM through cuBLAS: the input windows of a chunk of images become
// the rows of a column matrix (taps x input channels of a group), one GEMM per group multiplies
// them by the HWIO kernel. The input gradient is a GEMM into columns and a col2im gather; the
// filter gradient a GEMM of the columns with dy, summed over chunks. Chunks bound the scratch.
#include "window.cuh"

namespace kiln::cuda {

namespace {

#define KILN_FOR_EACH(i, n) for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)

constexpr int64_t scratch_limit = int64_t{256} << 20;  // bytes of columns per chunk

// cols[p, (kh, kw, ci)] for positions p of images [n0, n0 + images) and channels of group `group`.
__global__ void im2col_kernel(window_geometry g, const float* x, float* cols, int64_t n0, int64_t group, int64_t total) {
  const int64_t cg = g.c / g.groups, kdim = g.h.k * g.w.k * cg;
  KILN_FOR_EACH(i, total) {
    const int64_t col = i % kdim, p = i / kdim;
    const int64_t ci = col % cg, kw = col / cg % g.w.k, kh = col / (cg * g.w.k);
    const int64_t ow = p % g.w.out, oh = p / g.w.out % g.h.out, n = n0 + p / (g.w.out * g.h.out);
    const int64_t ih = oh * g.h.stride - g.h.pad + kh * g.h.dilation, iw = ow * g.w.stride - g.w.pad + kw * g.w.dilation;
    cols[i] = ih >= 0 && ih < g.h.in && iw >= 0 && iw < g.w.in ? x[((n * g.h.in + ih) * g.w.in + iw) * g.c + group * cg + ci] : 0.0f;
  }
}

// dx[n, ih, iw, group channels] = the sum of the column entries that read it (a gather: no atomics).
__global__ void col2im_kernel(window_geometry g, const float* cols, float* dx, int64_t n0, int64_t group, int64_t total) {
  const int64_t cg = g.c / g.groups, kdim = g.h.k * g.w.k * cg;
  KILN_FOR_EACH(i, total) {
    const int64_t ci = i % cg, iw = i / cg % g.w.in, ih = i / (cg * g.w.in) % g.h.in, n = i / (cg * g.w.in * g.h.in);
    float sum = 0.0f;
    for (int64_t kh = 0; kh < g.h.k; ++kh) {
      const int64_t th = ih + g.h.pad - kh * g.h.dilation;
      if (th < 0 || th % g.h.stride != 0 || th / g.h.stride >= g.h.out) continue;
      for (int64_t kw = 0; kw < g.w.k; ++kw) {
        const int64_t tw = iw + g.w.pad - kw * g.w.dilation;
        if (tw < 0 || tw % g.w.stride != 0 || tw / g.w.stride >= g.w.out) continue;
        const int64_t p = (n * g.h.out + th / g.h.stride) * g.w.out + tw / g.w.stride;
        sum += cols[p * kdim + (kh * g.w.k + kw) * cg + ci];
      }
    }
    dx[(((n0 + n) * g.h.in + ih) * g.w.in + iw) * g.c + group * cg + ci] = sum;
  }
}

struct conv_plan {
  window_geometry g;
  int64_t cg, fg, kdim, per_image, chunk;  // positions per image, images per chunk
  bool direct;  // 1x1, stride 1, no padding, one group: the input is its own column matrix
  gemm_inputs inputs;
};

bool plan_conv(const node& nd, const shape_t& x, const shape_t& k, const shape_t& y, conv_plan& p) {
  p.g = conv_geometry(nd, x, k, y);
  p.inputs = gemm_precision(nd);
  const window_geometry& g = p.g;
  p.cg = g.c / g.groups;
  p.fg = g.f / g.groups;
  p.kdim = g.h.k * g.w.k * p.cg;
  p.per_image = g.h.out * g.w.out;
  p.direct = g.h.k == 1 && g.w.k == 1 && g.h.stride == 1 && g.w.stride == 1 && g.h.pad == 0 && g.w.pad == 0 && g.groups == 1;
  const int64_t per_image_bytes = p.per_image * p.kdim * static_cast<int64_t>(sizeof(float));
  p.chunk = per_image_bytes > 0 ? scratch_limit / per_image_bytes : g.n;
  if (p.chunk < 1) p.chunk = 1;
  if (p.chunk > g.n) p.chunk = g.n;
  return true;
}

float* columns(const conv_plan& p, const char* what) {
  if (p.direct || p.chunk == 0) return nullptr;
  auto* cols = static_cast<float*>(scratch(p.chunk * p.per_image * p.kdim * static_cast<int64_t>(sizeof(float))));
  if (!cols) record_error(std::string(what) + ": out of GPU memory for the convolution's columns");
  return cols;
}

bool im2col(const conv_plan& p, const float* x, float* cols, int64_t n0, int64_t images, int64_t group) {
  const int64_t total = images * p.per_image * p.kdim;
  if (total == 0) return true;
  im2col_kernel<<<blocks_for(total), threads, 0, stream()>>>(p.g, x, cols, n0, group, total);
  return launched("im2col");
}

// y = conv(x, k)
bool forward(const conv_plan& p, const float* x, const float* k, float* y) {
  const window_geometry& g = p.g;
  float* cols = columns(p, "conv2d");
  if (!p.direct && !cols) return false;
  for (int64_t n0 = 0; n0 < g.n; n0 += p.chunk) {
    const int64_t images = g.n - n0 < p.chunk ? g.n - n0 : p.chunk, rows = images * p.per_image;
    for (int64_t group = 0; group < g.groups; ++group) {
      const float* a = p.direct ? x + n0 * p.per_image * g.c : cols;
      if (!p.direct && !im2col(p, x, cols, n0, images, group)) return false;
      if (!gemm_f32(p.inputs, false, false, rows, p.fg, p.kdim, 1.0f, a, p.kdim, 0, k + group * p.fg, g.f, 0, 0.0f,
                    y + n0 * p.per_image * g.f + group * p.fg, g.f, 0, 1)) return false;
    }
  }
  return true;
}

void conv(const kernel_args& a) {
  conv_plan p;
  plan_conv(a.n, *a.in[0].shape, *a.in[1].shape, *a.out[0].shape, p);
  forward(p, a.in[0].as<float>(), a.in[1].as<float>(), a.out[0].as<float>());
}

// Fused epilogue: (x, k, bias) -> z = conv + bias and, with an activation, y = act(z).
void conv_bias_activation(const kernel_args& a) {
  conv_plan p;
  plan_conv(a.n, *a.in[0].shape, *a.in[1].shape, *a.out[0].shape, p);
  float* z = a.out[0].as<float>();
  if (!forward(p, a.in[0].as<float>(), a.in[1].as<float>(), z)) return;
  bias_activation(z, a.in[2].as<float>(), a.out[0].size / p.g.f, p.g.f, a.activation, a.activation ? a.out[1].as<float>() : nullptr);
}

// (dy, k) -> dx
void conv_backprop_input(const kernel_args& a) {
  conv_plan p;
  plan_conv(a.n, *a.out[0].shape, *a.in[1].shape, *a.in[0].shape, p);
  const window_geometry& g = p.g;
  const float* dy = a.in[0].as<float>();
  const float* k = a.in[1].as<float>();
  float* dx = a.out[0].as<float>();
  float* cols = columns(p, "conv2d_backprop_input");
  if (!p.direct && !cols) return;
  for (int64_t n0 = 0; n0 < g.n; n0 += p.chunk) {
    const int64_t images = g.n - n0 < p.chunk ? g.n - n0 : p.chunk, rows = images * p.per_image;
    for (int64_t group = 0; group < g.groups; ++group) {
      float* out = p.direct ? dx + n0 * p.per_image * g.c : cols;
      if (!gemm_f32(p.inputs, false, true, rows, p.kdim, p.fg, 1.0f, dy + n0 * p.per_image * g.f + group * p.fg, g.f, 0, k + group * p.fg, g.f, 0,
                    0.0f, out, p.kdim, 0, 1)) return;
      if (p.direct) continue;
      const int64_t total = images * g.h.in * g.w.in * p.cg;
      if (total == 0) continue;
      col2im_kernel<<<blocks_for(total), threads, 0, stream()>>>(g, cols, dx, n0, group, total);
      if (!launched("col2im")) return;
    }
  }
}

// (x, dy) -> dk, summed over every chunk of images.
void conv_backprop_filter(const kernel_args& a) {
  conv_plan p;
  plan_conv(a.n, *a.in[0].shape, *a.out[0].shape, *a.in[1].shape, p);
  const window_geometry& g = p.g;
  const float* x = a.in[0].as<float>();
  const float* dy = a.in[1].as<float>();
  float* dk = a.out[0].as<float>();
  const cudaError_t e = cudaMemsetAsync(dk, 0, static_cast<size_t>(a.out[0].size) * sizeof(float), stream());
  if (e != cudaSuccess) return record_error(std::string("conv2d_backprop_filter: ") + cudaGetErrorString(e));
  float* cols = columns(p, "conv2d_backprop_filter");
  if (!p.direct && !cols) return;
  for (int64_t n0 = 0; n0 < g.n; n0 += p.chunk) {
    const int64_t images = g.n - n0 < p.chunk ? g.n - n0 : p.chunk, rows = images * p.per_image;
    for (int64_t group = 0; group < g.groups; ++group) {
      const float* c = p.direct ? x + n0 * p.per_image * g.c : cols;
      if (!p.direct && !im2col(p, x, cols, n0, images, group)) return;
      if (!gemm_f32(p.inputs, true, false, p.kdim, p.fg, rows, 1.0f, c, p.kdim, 0, dy + n0 * p.per_image * g.f + group * p.fg, g.f, 0, 1.0f,
                    dk + group * p.fg, g.f, 0, 1)) return;
    }
  }
}

}  // namespace

void register_conv(kernel_table& t) {
  t.set(kiln_op_conv2d, kiln_dtype_f32, conv);
  t.set(kiln_op_conv1d, kiln_dtype_f32, conv);
  t.set(kiln_op_conv2d_backprop_input, kiln_dtype_f32, conv_backprop_input);
  t.set(kiln_op_conv2d_backprop_filter, kiln_dtype_f32, conv_backprop_filter);
  t.set_epilogue(kiln_op_conv2d, conv_bias_activation);
  t.set_epilogue(kiln_op_conv1d, conv_bias_activation);
}

}  // namespace kiln::cuda
