// Max and average pooling and their gradients (2-D, and 1-D as height 1): one thread per output
// element; gradients scatter into dx with atomics, since windows may overlap.
#include "window.cuh"

namespace kiln::cuda {

namespace {

#define KILN_FOR_EACH(i, n) for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)

enum pool_op : int32_t { op_max, op_avg, op_max_grad, op_avg_grad };

// For output yi: the in-bounds window [h0, h1) x [w0, w1) and the input offset of (n, 0, 0, c).
struct window_at {
  int64_t h0, h1, w0, w1, base, c_stride, w_stride;
};

__device__ window_at locate(const window_geometry& g, int64_t yi) {
  const int64_t c = yi % g.c, ow = yi / g.c % g.w.out, oh = yi / (g.c * g.w.out) % g.h.out, n = yi / (g.c * g.w.out * g.h.out);
  const int64_t h = oh * g.h.stride - g.h.pad, w = ow * g.w.stride - g.w.pad;
  window_at a;
  a.h0 = h > 0 ? h : 0;
  a.h1 = h + g.h.k < g.h.in ? h + g.h.k : g.h.in;
  a.w0 = w > 0 ? w : 0;
  a.w1 = w + g.w.k < g.w.in ? w + g.w.k : g.w.in;
  a.base = n * g.h.in * g.w.in * g.c + c;
  a.w_stride = g.c;
  a.c_stride = g.w.in * g.c;  // per row of the image
  return a;
}

// The first maximum in row-major order, the one TensorFlow's MaxPoolGrad picks.
__device__ int64_t first_max(const float* x, const window_at& a) {
  int64_t best = a.base + a.h0 * a.c_stride + a.w0 * a.w_stride;
  for (int64_t h = a.h0; h < a.h1; ++h)
    for (int64_t w = a.w0; w < a.w1; ++w) {
      const int64_t at = a.base + h * a.c_stride + w * a.w_stride;
      if (x[at] > x[best]) best = at;
    }
  return best;
}

__global__ void pool_kernel(int32_t op, window_geometry g, const float* x, const float* dy, float* out, int64_t outputs) {
  KILN_FOR_EACH(yi, outputs) {
    const window_at a = locate(g, yi);
    switch (op) {
      case op_max: out[yi] = x[first_max(x, a)]; break;
      case op_max_grad: atomicAdd(out + first_max(x, a), dy[yi]); break;
      case op_avg: {
        float sum = 0.0f;
        for (int64_t h = a.h0; h < a.h1; ++h)
          for (int64_t w = a.w0; w < a.w1; ++w) sum += x[a.base + h * a.c_stride + w * a.w_stride];
        out[yi] = sum / static_cast<float>((a.h1 - a.h0) * (a.w1 - a.w0));
        break;
      }
      case op_avg_grad: {
        const float share = dy[yi] / static_cast<float>((a.h1 - a.h0) * (a.w1 - a.w0));
        for (int64_t h = a.h0; h < a.h1; ++h)
          for (int64_t w = a.w0; w < a.w1; ++w) atomicAdd(out + a.base + h * a.c_stride + w * a.w_stride, share);
        break;
      }
      default: break;
    }
  }
}

void run(const kernel_args& a, int32_t op, const shape_t& x_shape, const shape_t& y_shape, const float* x, const float* dy) {
  const window_geometry g = pool_geometry(a.n, x_shape, y_shape);
  const int64_t outputs = elements(y_shape);
  float* out = a.out[0].as<float>();
  if (op == op_max_grad || op == op_avg_grad) {
    const cudaError_t e = cudaMemsetAsync(out, 0, static_cast<size_t>(a.out[0].size) * sizeof(float), stream());
    if (e != cudaSuccess) return record_error(std::string("pooling gradient: ") + cudaGetErrorString(e));
  }
  if (outputs == 0) return;
  pool_kernel<<<blocks_for(outputs), threads, 0, stream()>>>(op, g, x, dy, out, outputs);
  launched("pool");
}

void max_pool(const kernel_args& a) { run(a, op_max, *a.in[0].shape, *a.out[0].shape, a.in[0].as<float>(), nullptr); }
void avg_pool(const kernel_args& a) { run(a, op_avg, *a.in[0].shape, *a.out[0].shape, a.in[0].as<float>(), nullptr); }
// (x, y, dy) -> dx
void max_pool_grad(const kernel_args& a) { run(a, op_max_grad, *a.in[0].shape, *a.in[2].shape, a.in[0].as<float>(), a.in[2].as<float>()); }
// (dy) -> dx
void avg_pool_grad(const kernel_args& a) { run(a, op_avg_grad, *a.out[0].shape, *a.in[0].shape, nullptr, a.in[0].as<float>()); }

}  // namespace

void register_pool(kernel_table& t) {
  t.set(kiln_op_max_pool2d, kiln_dtype_f32, max_pool);
  t.set(kiln_op_max_pool1d, kiln_dtype_f32, max_pool);
  t.set(kiln_op_avg_pool2d, kiln_dtype_f32, avg_pool);
  t.set(kiln_op_avg_pool1d, kiln_dtype_f32, avg_pool);
  t.set(kiln_op_max_pool2d_grad, kiln_dtype_f32, max_pool_grad);
  t.set(kiln_op_avg_pool2d_grad, kiln_dtype_f32, avg_pool_grad);
}

}  // namespace kiln::cuda
