// float32 softmax family and sparse softmax cross-entropy, rows of the last axis spread over the
// pool. Same formulas and summation order as the reference, so results match it closely.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/cpu_kernels.h"

namespace kiln {

namespace {

// Calls fn(row) for every row of `rows`, chunks of rows on the pool.
template <typename F>
void for_rows(const kernel_args& a, int64_t rows, int64_t n, F fn) {
  cpu::parallel(a.pool, rows, cpu::grain_for(4 * n, int64_t{1} << 14), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) fn(r);
  });
}

float row_max(const float* x, int64_t n) { return n > 0 ? *std::max_element(x, x + n) : 0.0f; }

// Writes e[j] = exp(x[j] - max) and returns their sum.
float exp_shifted(const float* x, int64_t n, float max, float* e) {
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    e[j] = std::exp(x[j] - max);
    sum += e[j];
  }
  return sum;
}

void softmax(const kernel_args& a) {
  const int64_t n = a.in[0].shape->back();
  const float* x = a.in[0].as<float>();
  float* y = a.out[0].as<float>();
  if (n == 0) return;
  for_rows(a, a.in[0].size / n, n, [&](int64_t r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float sum = exp_shifted(xr, n, row_max(xr, n), yr);
    for (int64_t j = 0; j < n; ++j) yr[j] /= sum;
  });
}

void log_softmax(const kernel_args& a) {
  const int64_t n = a.in[0].shape->back();
  const float* x = a.in[0].as<float>();
  float* y = a.out[0].as<float>();
  if (n == 0) return;
  for_rows(a, a.in[0].size / n, n, [&](int64_t r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float max = row_max(xr, n);
    const float log_sum = std::log(exp_shifted(xr, n, max, yr));
    for (int64_t j = 0; j < n; ++j) yr[j] = xr[j] - max - log_sum;
  });
}

// dx = y * (dy - sum(dy * y))
void softmax_grad(const kernel_args& a) {
  const int64_t n = a.in[0].shape->back();
  const float* y = a.in[0].as<float>();
  const float* dy = a.in[1].as<float>();
  float* dx = a.out[0].as<float>();
  if (n == 0) return;
  for_rows(a, a.in[0].size / n, n, [&](int64_t r) {
    const float* yr = y + r * n;
    const float* dyr = dy + r * n;
    float dot = 0.0f;
    for (int64_t j = 0; j < n; ++j) dot += dyr[j] * yr[j];
    for (int64_t j = 0; j < n; ++j) dx[r * n + j] = yr[j] * (dyr[j] - dot);
  });
}

// dx = dy - exp(y) * sum(dy)
void log_softmax_grad(const kernel_args& a) {
  const int64_t n = a.in[0].shape->back();
  const float* y = a.in[0].as<float>();
  const float* dy = a.in[1].as<float>();
  float* dx = a.out[0].as<float>();
  if (n == 0) return;
  for_rows(a, a.in[0].size / n, n, [&](int64_t r) {
    const float* dyr = dy + r * n;
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += dyr[j];
    for (int64_t j = 0; j < n; ++j) dx[r * n + j] = dyr[j] - std::exp(y[r * n + j]) * sum;
  });
}

// loss = log(sum(exp(x - max))) - (x[label] - max); NaN for a label outside [0, classes).
void sparse_softmax_xent(const kernel_args& a) {
  const int64_t n = a.in[0].shape->back();
  const float* x = a.in[0].as<float>();
  const int32_t* labels = a.in[1].as<int32_t>();
  float* loss = a.out[0].as<float>();
  for_rows(a, a.out[0].size, n, [&](int64_t r) {
    const int32_t label = labels[r];
    if (label < 0 || label >= n) {
      loss[r] = std::numeric_limits<float>::quiet_NaN();
      return;
    }
    const float* xr = x + r * n;
    const float max = row_max(xr, n);
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(xr[j] - max);
    loss[r] = std::log(sum) - (xr[label] - max);
  });
}

// dlogits = (softmax(x) - one_hot(label)) * dloss; NaN rows for out-of-range labels.
void sparse_softmax_xent_grad(const kernel_args& a) {
  const int64_t n = a.in[0].shape->back();
  const float* x = a.in[0].as<float>();
  const int32_t* labels = a.in[1].as<int32_t>();
  const float* dloss = a.in[2].as<float>();
  float* dx = a.out[0].as<float>();
  for_rows(a, a.in[1].size, n, [&](int64_t r) {
    const int32_t label = labels[r];
    float* dxr = dx + r * n;
    if (label < 0 || label >= n) {
      std::fill(dxr, dxr + n, std::numeric_limits<float>::quiet_NaN());
      return;
    }
    const float* xr = x + r * n;
    const float sum = exp_shifted(xr, n, row_max(xr, n), dxr);
    for (int64_t j = 0; j < n; ++j) dxr[j] = (dxr[j] / sum - (j == label ? 1.0f : 0.0f)) * dloss[r];
  });
}

}  // namespace

void register_cpu_softmax(kernel_table& t) {
  t.set(kiln_op_softmax, kiln_dtype_f32, softmax);
  t.set(kiln_op_log_softmax, kiln_dtype_f32, log_softmax);
  t.set(kiln_op_softmax_grad, kiln_dtype_f32, softmax_grad);
  t.set(kiln_op_log_softmax_grad, kiln_dtype_f32, log_softmax_grad);
  t.set(kiln_op_sparse_softmax_xent, kiln_dtype_f32, sparse_softmax_xent);
  t.set(kiln_op_sparse_softmax_xent_grad, kiln_dtype_f32, sparse_softmax_xent_grad);
}

}  // namespace kiln
