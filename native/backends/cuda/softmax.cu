// The softmax family and the losses, row by row along the last axis: one warp per row, with the
// row maximum subtracted before exp as the reference does (backends/reference/softmax.cpp).
#include <cfloat>

#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

constexpr int32_t warp = 32;
constexpr int32_t rows_per_block = threads / warp;

enum row_op : int32_t { op_softmax, op_log_softmax, op_softmax_grad, op_log_softmax_grad, op_xent, op_xent_grad };

__device__ float warp_sum(float v) {
  for (int32_t s = warp / 2; s > 0; s /= 2) v += __shfl_xor_sync(0xffffffffu, v, s);
  return v;
}

__device__ float warp_max(float v) {
  for (int32_t s = warp / 2; s > 0; s /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, s));
  return v;
}

// in0: x (or y for the grads), in1: dy (grads), labels (losses), dloss (xent grad); out: per row.
__global__ void row_kernel(int32_t op, const float* in0, const float* in1, const int32_t* labels, const float* dloss, float* out,
                           int64_t rows, int64_t n) {
  const int32_t lane = threadIdx.x % warp;
  for (int64_t r = blockIdx.x * int64_t{rows_per_block} + threadIdx.x / warp; r < rows; r += int64_t{gridDim.x} * rows_per_block) {
    const float* x = in0 + r * n;
    if (op == op_softmax_grad || op == op_log_softmax_grad) {
      const float* dy = in1 + r * n;
      float acc = 0.0f;
      for (int64_t j = lane; j < n; j += warp) acc += op == op_softmax_grad ? dy[j] * x[j] : dy[j];
      acc = warp_sum(acc);
      for (int64_t j = lane; j < n; j += warp) out[r * n + j] = op == op_softmax_grad ? x[j] * (dy[j] - acc) : dy[j] - expf(x[j]) * acc;
      continue;
    }
    int32_t label = 0;
    if (op == op_xent || op == op_xent_grad) {
      label = labels[r];
      if (label < 0 || label >= n) {  // NaN rows, as the reference
        if (op == op_xent && lane == 0) out[r] = __int_as_float(0x7fc00000);
        if (op == op_xent_grad) for (int64_t j = lane; j < n; j += warp) out[r * n + j] = __int_as_float(0x7fc00000);
        continue;
      }
    }
    float max = -FLT_MAX;
    for (int64_t j = lane; j < n; j += warp) max = fmaxf(max, x[j]);
    max = warp_max(max);
    float sum = 0.0f;
    for (int64_t j = lane; j < n; j += warp) sum += expf(x[j] - max);
    sum = warp_sum(sum);
    switch (op) {
      case op_softmax:
        for (int64_t j = lane; j < n; j += warp) out[r * n + j] = expf(x[j] - max) / sum;
        break;
      case op_log_softmax: {
        const float log_sum = logf(sum);
        for (int64_t j = lane; j < n; j += warp) out[r * n + j] = x[j] - max - log_sum;
        break;
      }
      case op_xent:
        if (lane == 0) out[r] = logf(sum) - (x[label] - max);
        break;
      case op_xent_grad:
        for (int64_t j = lane; j < n; j += warp) out[r * n + j] = (expf(x[j] - max) / sum - (j == label ? 1.0f : 0.0f)) * dloss[r];
        break;
      default:
        break;
    }
  }
}

__global__ void sigmoid_xent_kernel(const float* x, const float* z, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    y[i] = fmaxf(x[i], 0.0f) - x[i] * z[i] + log1pf(expf(-fabsf(x[i])));
  }
}

void rows(const kernel_args& a, int32_t op) {
  const int64_t n = a.in[0].shape->back();
  if (n == 0 || a.in[0].size == 0) return;
  const int64_t count = a.in[0].size / n;
  const bool loss = op == op_xent || op == op_xent_grad;
  const float* in1 = op == op_softmax_grad || op == op_log_softmax_grad ? a.in[1].as<float>() : nullptr;
  const int32_t* labels = loss ? a.in[1].as<int32_t>() : nullptr;
  const float* dloss = op == op_xent_grad ? a.in[2].as<float>() : nullptr;
  const int64_t b = (count + rows_per_block - 1) / rows_per_block;
  const unsigned int grid = static_cast<unsigned int>(b < 65535 * 8 ? b : 65535 * 8);
  row_kernel<<<grid, threads, 0, stream()>>>(op, a.in[0].as<float>(), in1, labels, dloss, a.out[0].as<float>(), count, n);
  launched("softmax");
}

void softmax(const kernel_args& a) { rows(a, op_softmax); }
void log_softmax(const kernel_args& a) { rows(a, op_log_softmax); }
void softmax_grad(const kernel_args& a) { rows(a, op_softmax_grad); }
void log_softmax_grad(const kernel_args& a) { rows(a, op_log_softmax_grad); }
void xent(const kernel_args& a) { rows(a, op_xent); }
void xent_grad(const kernel_args& a) { rows(a, op_xent_grad); }

void sigmoid_xent(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  sigmoid_xent_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.out[0].as<float>(), n);
  launched("sigmoid_xent");
}

}  // namespace

void register_softmax(kernel_table& t) {
  t.set(kiln_op_softmax, kiln_dtype_f32, softmax);
  t.set(kiln_op_log_softmax, kiln_dtype_f32, log_softmax);
  t.set(kiln_op_softmax_grad, kiln_dtype_f32, softmax_grad);
  t.set(kiln_op_log_softmax_grad, kiln_dtype_f32, log_softmax_grad);
  t.set(kiln_op_sparse_softmax_xent, kiln_dtype_f32, xent);
  t.set(kiln_op_sparse_softmax_xent_grad, kiln_dtype_f32, xent_grad);
  t.set(kiln_op_sigmoid_xent, kiln_dtype_f32, sigmoid_xent);
}

}  // namespace kiln::cuda
