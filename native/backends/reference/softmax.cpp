#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/reference.h"

namespace kiln {

namespace {

// Every op here works row by row along the last axis (shape rules ensure there is one).
int64_t row_length(const tensor_view& v) { return v.shape->back(); }

// Shifts by the row maximum so exp never overflows: returns max and sum(exp(x - max)).
template <typename T>
void row_stats(const T* x, int64_t n, T& max, T& sum) {
  max = n > 0 ? *std::max_element(x, x + n) : T(0);
  sum = T(0);
  for (int64_t j = 0; j < n; ++j) sum += std::exp(x[j] - max);
}

template <typename T>
void softmax(const kernel_args& a) {
  const int64_t n = row_length(a.in[0]);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t r = 0; n > 0 && r < a.in[0].size / n; ++r) {
    T max, sum;
    row_stats(x + r * n, n, max, sum);
    for (int64_t j = 0; j < n; ++j) y[r * n + j] = std::exp(x[r * n + j] - max) / sum;
  }
}

template <typename T>
void log_softmax(const kernel_args& a) {
  const int64_t n = row_length(a.in[0]);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t r = 0; n > 0 && r < a.in[0].size / n; ++r) {
    T max, sum;
    row_stats(x + r * n, n, max, sum);
    const T log_sum = std::log(sum);
    for (int64_t j = 0; j < n; ++j) y[r * n + j] = x[r * n + j] - max - log_sum;
  }
}

// dx = y * (dy - sum(dy * y)), as TensorFlow's SoftmaxGrad.
template <typename T>
void softmax_grad(const kernel_args& a) {
  const int64_t n = row_length(a.in[0]);
  const T* y = a.in[0].as<T>();
  const T* dy = a.in[1].as<T>();
  T* dx = a.out[0].as<T>();
  for (int64_t r = 0; n > 0 && r < a.in[0].size / n; ++r) {
    T dot = T(0);
    for (int64_t j = 0; j < n; ++j) dot += dy[r * n + j] * y[r * n + j];
    for (int64_t j = 0; j < n; ++j) dx[r * n + j] = y[r * n + j] * (dy[r * n + j] - dot);
  }
}

// dx = dy - exp(y) * sum(dy), y being log_softmax's output.
template <typename T>
void log_softmax_grad(const kernel_args& a) {
  const int64_t n = row_length(a.in[0]);
  const T* y = a.in[0].as<T>();
  const T* dy = a.in[1].as<T>();
  T* dx = a.out[0].as<T>();
  for (int64_t r = 0; n > 0 && r < a.in[0].size / n; ++r) {
    T sum = T(0);
    for (int64_t j = 0; j < n; ++j) sum += dy[r * n + j];
    for (int64_t j = 0; j < n; ++j) dx[r * n + j] = dy[r * n + j] - std::exp(y[r * n + j]) * sum;
  }
}

// loss = log(sum(exp(x - max))) - (x[label] - max). A label outside [0, classes) cannot be read,
// and shape rules cannot see it: its row's loss is NaN (as TensorFlow on GPU) instead.
template <typename T>
void sparse_softmax_xent(const kernel_args& a) {
  const int64_t n = row_length(a.in[0]);
  const T* x = a.in[0].as<T>();
  const int32_t* labels = a.in[1].as<int32_t>();
  T* loss = a.out[0].as<T>();
  for (int64_t r = 0; r < a.out[0].size; ++r) {
    const int32_t label = labels[r];
    if (label < 0 || label >= n) {
      loss[r] = std::numeric_limits<T>::quiet_NaN();
      continue;
    }
    T max, sum;
    row_stats(x + r * n, n, max, sum);
    loss[r] = std::log(sum) - (x[r * n + label] - max);
  }
}

// dlogits = (softmax(x) - one_hot(label)) * dloss; NaN rows for out-of-range labels, as the loss.
template <typename T>
void sparse_softmax_xent_grad(const kernel_args& a) {
  const int64_t n = row_length(a.in[0]);
  const T* x = a.in[0].as<T>();
  const int32_t* labels = a.in[1].as<int32_t>();
  const T* dloss = a.in[2].as<T>();
  T* dx = a.out[0].as<T>();
  for (int64_t r = 0; r < a.in[1].size; ++r) {
    const int32_t label = labels[r];
    if (label < 0 || label >= n) {
      std::fill(dx + r * n, dx + (r + 1) * n, std::numeric_limits<T>::quiet_NaN());
      continue;
    }
    T max, sum;
    row_stats(x + r * n, n, max, sum);
    for (int64_t j = 0; j < n; ++j) {
      const T p = std::exp(x[r * n + j] - max) / sum;
      dx[r * n + j] = (p - (j == label ? T(1) : T(0))) * dloss[r];
    }
  }
}

// TensorFlow's stable form: max(x, 0) - x z + log1p(exp(-|x|)).
template <typename T>
void sigmoid_xent(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const T* z = a.in[1].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) {
    y[i] = std::max(x[i], T(0)) - x[i] * z[i] + std::log1p(std::exp(-std::fabs(x[i])));
  }
}

template <typename T>
void write_one_hot(const int32_t* labels, int64_t count, int64_t depth, T* y) {
  std::fill(y, y + count * depth, T(0));
  // Out-of-range labels give an all-zero row, as tf.one_hot.
  for (int64_t r = 0; r < count; ++r) {
    if (labels[r] >= 0 && labels[r] < depth) y[r * depth + labels[r]] = T(1);
  }
}

void one_hot(const kernel_args& a) {
  const int32_t* labels = a.in[0].as<int32_t>();
  const int64_t count = a.in[0].size;
  const int64_t depth = a.out[0].shape->back();
  switch (a.out[0].dtype) {
    case kiln_dtype_f32: write_one_hot(labels, count, depth, a.out[0].as<float>()); break;
    case kiln_dtype_f64: write_one_hot(labels, count, depth, a.out[0].as<double>()); break;
    case kiln_dtype_i32: write_one_hot(labels, count, depth, a.out[0].as<int32_t>()); break;
    default: break;
  }
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_softmax, d, softmax<T>);
  t.set(kiln_op_log_softmax, d, log_softmax<T>);
  t.set(kiln_op_softmax_grad, d, softmax_grad<T>);
  t.set(kiln_op_log_softmax_grad, d, log_softmax_grad<T>);
  t.set(kiln_op_sparse_softmax_xent, d, sparse_softmax_xent<T>);
  t.set(kiln_op_sparse_softmax_xent_grad, d, sparse_softmax_xent_grad<T>);
  t.set(kiln_op_sigmoid_xent, d, sigmoid_xent<T>);
}

}  // namespace

void register_reference_softmax(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
  t.set(kiln_op_one_hot, kiln_dtype_i32, one_hot);  // kernels are keyed by the labels' dtype
}

}  // namespace kiln
