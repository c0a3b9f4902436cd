#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/broadcast.h"
#include "reference/reference.h"

namespace kiln {

namespace {

// The reduced input as a keepdims shape: reductions then map input elements onto it.
shape_t keep_shape(const node& n, const shape_t& in) {
  const std::vector<int64_t>* axes = n.at.list("axes");
  if (!axes || axes->empty()) return shape_t(in.size(), 1);
  shape_t out = in;
  for (int64_t a : *axes) out[static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(in.size()) : a)] = 1;
  return out;
}

template <typename T>
void reduce(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  const shape_t keep = keep_shape(a.n, in);
  const std::vector<int64_t> strides = ref::broadcast_strides(keep, in);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  const bool is_max = a.n.op == kiln_op_reduce_max;
  std::fill(y, y + a.out[0].size, is_max ? std::numeric_limits<T>::lowest() : T(0));
  for (int64_t i = 0; i < a.in[0].size; ++i) {
    T& acc = y[ref::broadcast_offset(i, in, strides)];
    acc = is_max ? std::max(acc, x[i]) : acc + x[i];
  }
  if (a.n.op == kiln_op_reduce_mean && a.out[0].size > 0) {
    const T count = static_cast<T>(a.in[0].size / a.out[0].size);
    for (int64_t i = 0; i < a.out[0].size; ++i) y[i] /= count;
  }
}

template <typename T>
void broadcast_to(const kernel_args& a) {
  const shape_t& out = *a.out[0].shape;
  const std::vector<int64_t> strides = ref::broadcast_strides(*a.in[0].shape, out);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) y[i] = x[ref::broadcast_offset(i, out, strides)];
}

template <typename T>
void sum_to(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  const std::vector<int64_t> strides = ref::broadcast_strides(*a.out[0].shape, in);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  std::fill(y, y + a.out[0].size, T(0));
  for (int64_t i = 0; i < a.in[0].size; ++i) y[ref::broadcast_offset(i, in, strides)] += x[i];
}

template <typename T>
void argmax(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  int64_t axis = a.n.at.i("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(in.size());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < in.size(); ++i) inner *= in[i];
  const int64_t len = in[static_cast<size_t>(axis)];
  const T* x = a.in[0].as<T>();
  int32_t* y = a.out[0].as<int32_t>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < len; ++k) {
        if (x[(o * len + k) * inner + i] > x[(o * len + best) * inner + i]) best = k;
      }
      y[o * inner + i] = static_cast<int32_t>(best);
    }
  }
}

template <typename From>
void cast(const kernel_args& a) {
  const From* x = a.in[0].as<From>();
  const int64_t n = a.out[0].size;
  switch (a.out[0].dtype) {
    case kiln_dtype_f32: for (int64_t i = 0; i < n; ++i) a.out[0].as<float>()[i] = static_cast<float>(x[i]); break;
    case kiln_dtype_f64: for (int64_t i = 0; i < n; ++i) a.out[0].as<double>()[i] = static_cast<double>(x[i]); break;
    case kiln_dtype_i32: for (int64_t i = 0; i < n; ++i) a.out[0].as<int32_t>()[i] = static_cast<int32_t>(x[i]); break;
    default: break;
  }
}

template <typename T>
void any_non_finite(const kernel_args& a) {
  T flag = T(0);
  for (const tensor_view& v : a.in) {
    const T* x = v.as<T>();
    for (int64_t i = 0; i < v.size && flag == T(0); ++i) {
      if (!std::isfinite(x[i])) flag = T(1);
    }
  }
  *a.out[0].as<T>() = flag;
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_reduce_sum, d, reduce<T>);
  t.set(kiln_op_reduce_mean, d, reduce<T>);
  t.set(kiln_op_reduce_max, d, reduce<T>);
  t.set(kiln_op_broadcast_to, d, broadcast_to<T>);
  t.set(kiln_op_sum_to, d, sum_to<T>);
  t.set(kiln_op_argmax, d, argmax<T>);
  t.set(kiln_op_cast, d, cast<T>);
  t.set(kiln_op_any_non_finite, d, any_non_finite<T>);
}

}  // namespace

void register_reference_reduce(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
  t.set(kiln_op_reduce_max, kiln_dtype_i32, reduce<int32_t>);
  t.set(kiln_op_broadcast_to, kiln_dtype_i32, broadcast_to<int32_t>);
  t.set(kiln_op_cast, kiln_dtype_i32, cast<int32_t>);
}

}  // namespace kiln
