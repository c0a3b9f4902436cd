#include <algorithm>
#include <cstring>

#include "reference/reference.h"

namespace kiln {

namespace {

void copy(const kernel_args& a) {
  std::memcpy(a.out[0].data, a.in[0].data, static_cast<size_t>(a.out[0].size * dtype_size(a.out[0].dtype)));
}

std::vector<int64_t> row_major_strides(const shape_t& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

// The coordinates of element `linear` of a row-major tensor of this shape.
std::vector<int64_t> coords(int64_t linear, const shape_t& shape) {
  std::vector<int64_t> c(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    c[d] = linear % shape[d];
    linear /= shape[d];
  }
  return c;
}

template <typename T>
void transpose(const kernel_args& a) {
  const std::vector<int64_t>& perm = *a.n.at.list("perm");
  const shape_t& out = *a.out[0].shape;
  const std::vector<int64_t> in_strides = row_major_strides(*a.in[0].shape);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) {
    const std::vector<int64_t> c = coords(i, out);
    int64_t offset = 0;
    for (size_t d = 0; d < out.size(); ++d) offset += c[d] * in_strides[static_cast<size_t>(perm[d])];
    y[i] = x[offset];
  }
}

// Each input contributes a block of len_i * inner contiguous elements to every outer row.
template <typename T>
void concat(const kernel_args& a) {
  const shape_t& out = *a.out[0].shape;
  int64_t axis = a.n.at.i("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(out.size());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < out.size(); ++d) inner *= out[d];
  const int64_t out_row = out[static_cast<size_t>(axis)] * inner;
  T* y = a.out[0].as<T>();
  int64_t offset = 0;
  for (const tensor_view& in : a.in) {
    const int64_t in_row = (*in.shape)[static_cast<size_t>(axis)] * inner;
    const T* x = in.as<T>();
    for (int64_t o = 0; o < outer; ++o) std::copy(x + o * in_row, x + (o + 1) * in_row, y + o * out_row + offset);
    offset += in_row;
  }
}

template <typename T>
void slice(const kernel_args& a) {
  const std::vector<int64_t>& begin = *a.n.at.list("begin");
  const shape_t& out = *a.out[0].shape;
  const std::vector<int64_t> in_strides = row_major_strides(*a.in[0].shape);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) {
    const std::vector<int64_t> c = coords(i, out);
    int64_t offset = 0;
    for (size_t d = 0; d < out.size(); ++d) offset += (c[d] + begin[d]) * in_strides[d];
    y[i] = x[offset];
  }
}

template <typename T>
void pad(const kernel_args& a) {
  const std::vector<int64_t>& pads = *a.n.at.list("pads");
  const T value = static_cast<T>(a.n.at.f("value", 0.0));
  const shape_t& in = *a.in[0].shape;
  const shape_t& out = *a.out[0].shape;
  const std::vector<int64_t> in_strides = row_major_strides(in);
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) {
    const std::vector<int64_t> c = coords(i, out);
    int64_t offset = 0;
    bool inside = true;
    for (size_t d = 0; inside && d < out.size(); ++d) {
      const int64_t k = c[d] - pads[2 * d];
      inside = k >= 0 && k < in[d];
      offset += k * in_strides[d];
    }
    y[i] = inside ? x[offset] : value;
  }
}

// Shape rules cannot see index values, so an index outside [0, V) must not be read: gather
// writes zeros for its row (where TensorFlow on CPU raises) and gather_grad drops it, which is
// that gather's exact adjoint.
template <typename T>
void gather(const kernel_args& a) {
  const shape_t& shape = *a.in[0].shape;
  const int64_t rows = shape[0];
  const int64_t row = shape_elements(shape_t(shape.begin() + 1, shape.end()));
  const T* params = a.in[0].as<T>();
  const int32_t* indices = a.in[1].as<int32_t>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.in[1].size; ++i) {
    const int64_t k = indices[i];
    if (k >= 0 && k < rows) std::copy(params + k * row, params + (k + 1) * row, y + i * row);
    else std::fill(y + i * row, y + (i + 1) * row, T(0));
  }
}

template <typename T>
void gather_grad(const kernel_args& a) {
  const shape_t& shape = *a.out[0].shape;
  const int64_t rows = shape[0];
  const int64_t row = shape_elements(shape_t(shape.begin() + 1, shape.end()));
  const T* dy = a.in[0].as<T>();
  const int32_t* indices = a.in[1].as<int32_t>();
  T* dparams = a.out[0].as<T>();
  std::fill(dparams, dparams + a.out[0].size, T(0));
  for (int64_t i = 0; i < a.in[1].size; ++i) {
    const int64_t k = indices[i];
    if (k < 0 || k >= rows) continue;
    for (int64_t j = 0; j < row; ++j) dparams[k * row + j] += dy[i * row + j];
  }
}

template <typename T>
void register_layout(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_reshape, d, copy);
  t.set(kiln_op_transpose, d, transpose<T>);
  t.set(kiln_op_concat, d, concat<T>);
  t.set(kiln_op_slice, d, slice<T>);
  t.set(kiln_op_pad, d, pad<T>);
}

}  // namespace

void register_reference_shape(kernel_table& t) {
  register_layout<float>(t, kiln_dtype_f32);
  register_layout<double>(t, kiln_dtype_f64);
  register_layout<int32_t>(t, kiln_dtype_i32);
  t.set(kiln_op_gather, kiln_dtype_f32, gather<float>);
  t.set(kiln_op_gather, kiln_dtype_f64, gather<double>);
  t.set(kiln_op_gather_grad, kiln_dtype_f32, gather_grad<float>);
  t.set(kiln_op_gather_grad, kiln_dtype_f64, gather_grad<double>);
}

}  // namespace kiln
