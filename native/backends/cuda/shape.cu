// Layout and indexing ops: transpose, concat, slice, pad, gather and its gradient, one_hot,
// argmax, cast, and nearest upsampling and its gradient, as the reference defines them
// (backends/reference/shape.cpp, reduce.cpp, softmax.cpp, conv.cpp). The layout ops move 4-byte
// words, so one kernel serves float32 and int32.
#include <cstring>

#include "window.cuh"

namespace kiln::cuda {

namespace {

#define KILN_FOR_EACH(i, n) for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)

std::vector<int64_t> row_major_strides(const shape_t& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

// Element i of the output reads x[base + map_offset(i, m)]: transpose and slice.
__global__ void strided_read_kernel(const uint32_t* x, int64_t base, index_map m, uint32_t* y, int64_t n) {
  KILN_FOR_EACH(i, n) y[i] = x[base + map_offset(i, m)];
}

// Output coordinate c[d] reads input coordinate c[d] - before[d], or `value` outside the input.
struct pad_map {
  int32_t rank = 0;
  int64_t out_dims[max_rank] = {}, in_dims[max_rank] = {}, before[max_rank] = {}, in_strides[max_rank] = {};
};

__global__ void pad_kernel(const uint32_t* x, pad_map p, uint32_t value, uint32_t* y, int64_t n) {
  KILN_FOR_EACH(i, n) {
    int64_t linear = i, offset = 0;
    bool inside = true;
    for (int32_t d = p.rank - 1; d >= 0; --d) {
      const int64_t k = linear % p.out_dims[d] - p.before[d];
      linear /= p.out_dims[d];
      inside = inside && k >= 0 && k < p.in_dims[d];
      offset += k * p.in_strides[d];
    }
    y[i] = inside ? x[offset] : value;
  }
}

// One input's rows of in_row words land at `offset` in the output's rows of out_row words.
__global__ void concat_kernel(const uint32_t* x, int64_t in_row, uint32_t* y, int64_t out_row, int64_t offset, int64_t n) {
  KILN_FOR_EACH(k, n) y[k / in_row * out_row + offset + k % in_row] = x[k];
}

// Rows outside [0, rows) read as zeros (gather) and are dropped (gather_grad), as the reference.
__global__ void gather_kernel(const float* params, int64_t rows, int64_t row, const int32_t* indices, float* y, int64_t n) {
  KILN_FOR_EACH(e, n) {
    const int64_t k = indices[e / row];
    y[e] = k >= 0 && k < rows ? params[k * row + e % row] : 0.0f;
  }
}

__global__ void gather_grad_kernel(const float* dy, const int32_t* indices, int64_t rows, int64_t row, float* dparams, int64_t n) {
  KILN_FOR_EACH(e, n) {
    const int64_t k = indices[e / row];
    if (k >= 0 && k < rows) atomicAdd(dparams + k * row + e % row, dy[e]);
  }
}

// Labels outside [0, depth) match no column: an all-zero row, as tf.one_hot.
template <typename T>
__global__ void one_hot_kernel(const int32_t* labels, int64_t depth, T* y, int64_t n) {
  KILN_FOR_EACH(e, n) y[e] = labels[e / depth] == e % depth ? T(1) : T(0);
}

// The reference's scan: the first strict maximum (a NaN wins only at index 0, and then stays).
__global__ void argmax_kernel(const float* x, int64_t len, int64_t inner, int32_t* y, int64_t n) {
  KILN_FOR_EACH(j, n) {
    const float* v = x + j / inner * len * inner + j % inner;
    int64_t best = 0;
    float top = len > 0 ? v[0] : 0.0f;
    for (int64_t k = 1; k < len; ++k) {
      const float u = v[k * inner];
      if (u > top) {
        best = k;
        top = u;
      }
    }
    y[j] = static_cast<int32_t>(best);
  }
}

template <typename From, typename To>
__global__ void cast_kernel(const From* x, To* y, int64_t n) {
  KILN_FOR_EACH(i, n) y[i] = static_cast<To>(x[i]);
}

// The big tensor [N, H, W, C] is the small one [N, H / fh, W / fw, C] with every pixel repeated
// fh x fw times (1-D ops: height 1).
struct upsample_geometry {
  int64_t h = 1, w = 1, c = 1, fh = 1, fw = 1;  // the big tensor's H, W, C and the factors
};

upsample_geometry upsample_of(const shape_t& small_shape, const shape_t& big_shape) {
  const shape_t s = as_2d(small_shape, 1), b = as_2d(big_shape, 1);
  return {b[1], b[2], b[3], s[1] ? b[1] / s[1] : 1, s[2] ? b[2] / s[2] : 1};
}

__global__ void upsample_kernel(const float* x, upsample_geometry g, float* y, int64_t n) {
  const int64_t sh = g.h / g.fh, sw = g.w / g.fw;
  KILN_FOR_EACH(e, n) {
    const int64_t c = e % g.c, w = e / g.c % g.w, h = e / (g.c * g.w) % g.h, b = e / (g.c * g.w * g.h);
    y[e] = x[((b * sh + h / g.fh) * sw + w / g.fw) * g.c + c];
  }
}

// dx sums its block of dy in the reference's order (rows, then columns), so it matches exactly.
__global__ void upsample_grad_kernel(const float* dy, upsample_geometry g, float* dx, int64_t n) {
  const int64_t sh = g.h / g.fh, sw = g.w / g.fw;
  KILN_FOR_EACH(e, n) {
    const int64_t c = e % g.c, w = e / g.c % sw, h = e / (g.c * sw) % sh, b = e / (g.c * sw * sh);
    float acc = 0.0f;
    for (int64_t i = 0; i < g.fh; ++i)
      for (int64_t j = 0; j < g.fw; ++j) acc += dy[((b * g.h + h * g.fh + i) * g.w + w * g.fw + j) * g.c + c];
    dx[e] = acc;
  }
}

bool fits_rank(const kernel_args& a, size_t rank, const char* op) {
  if (rank <= static_cast<size_t>(max_rank)) return true;
  record_error("node '" + a.n.name + "': " + op + " over more than 8 axes is not supported on the GPU");
  return false;
}

void strided_read(const kernel_args& a, int64_t base, const std::vector<int64_t>& strides) {
  const shape_t& out = *a.out[0].shape;
  index_map m;
  m.rank = static_cast<int32_t>(out.size());
  for (size_t d = 0; d < out.size(); ++d) {
    m.dims[d] = out[d];
    m.strides[d] = strides[d];
  }
  const int64_t n = a.out[0].size;
  strided_read_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<uint32_t>(), base, m, a.out[0].as<uint32_t>(), n);
  launched(a.n.op == kiln_op_transpose ? "transpose" : "slice");
}

void transpose(const kernel_args& a) {
  const std::vector<int64_t>& perm = *attr_list(a.n, "perm");
  if (a.out[0].size == 0 || !fits_rank(a, perm.size(), "transpose")) return;
  const std::vector<int64_t> in_strides = row_major_strides(*a.in[0].shape);
  std::vector<int64_t> strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) strides[d] = in_strides[static_cast<size_t>(perm[d])];
  strided_read(a, 0, strides);
}

void slice(const kernel_args& a) {
  const std::vector<int64_t>& begin = *attr_list(a.n, "begin");
  if (a.out[0].size == 0 || !fits_rank(a, begin.size(), "slice")) return;
  const std::vector<int64_t> in_strides = row_major_strides(*a.in[0].shape);
  int64_t base = 0;
  for (size_t d = 0; d < begin.size(); ++d) base += begin[d] * in_strides[d];
  strided_read(a, base, in_strides);
}

template <typename T>
void pad(const kernel_args& a) {
  const std::vector<int64_t>& pads = *attr_list(a.n, "pads");
  const shape_t& in = *a.in[0].shape;
  const shape_t& out = *a.out[0].shape;
  const int64_t n = a.out[0].size;
  if (n == 0 || !fits_rank(a, in.size(), "pad")) return;
  const std::vector<int64_t> in_strides = row_major_strides(in);
  pad_map p;
  p.rank = static_cast<int32_t>(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    p.out_dims[d] = out[d];
    p.in_dims[d] = in[d];
    p.before[d] = pads[2 * d];
    p.in_strides[d] = in_strides[d];
  }
  const T value = static_cast<T>(attr_f(a.n, "value", 0.0));
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  pad_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<uint32_t>(), p, bits, a.out[0].as<uint32_t>(), n);
  launched("pad");
}

void concat(const kernel_args& a) {
  const shape_t& out = *a.out[0].shape;
  int64_t axis = attr_i(a.n, "axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(out.size());
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < out.size(); ++d) inner *= out[d];
  const int64_t out_row = out[static_cast<size_t>(axis)] * inner;
  int64_t offset = 0;
  for (const tensor_view& in : a.in) {
    const int64_t in_row = (*in.shape)[static_cast<size_t>(axis)] * inner;
    if (in.size > 0) {
      concat_kernel<<<blocks_for(in.size), threads, 0, stream()>>>(in.as<uint32_t>(), in_row, a.out[0].as<uint32_t>(), out_row, offset, in.size);
      if (!launched("concat")) return;
    }
    offset += in_row;
  }
}

void gather(const kernel_args& a) {
  const shape_t& params = *a.in[0].shape;
  const int64_t row = elements(shape_t(params.begin() + 1, params.end()));
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  gather_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), params[0], row, a.in[1].as<int32_t>(), a.out[0].as<float>(), n);
  launched("gather");
}

void gather_grad(const kernel_args& a) {
  const shape_t& dparams = *a.out[0].shape;
  const int64_t row = elements(shape_t(dparams.begin() + 1, dparams.end()));
  if (a.out[0].size == 0) return;
  const cudaError_t e = cudaMemsetAsync(a.out[0].data, 0, static_cast<size_t>(a.out[0].size) * sizeof(float), stream());
  if (e != cudaSuccess) return record_error(std::string("gather_grad: ") + cudaGetErrorString(e));
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  gather_grad_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<int32_t>(), dparams[0], row,
                                                               a.out[0].as<float>(), n);
  launched("gather_grad");
}

void one_hot(const kernel_args& a) {
  const int64_t n = a.out[0].size, depth = a.out[0].shape->back();
  if (n == 0) return;
  const int32_t* labels = a.in[0].as<int32_t>();
  switch (a.out[0].dtype) {
    case kiln_dtype_f32: one_hot_kernel<<<blocks_for(n), threads, 0, stream()>>>(labels, depth, a.out[0].as<float>(), n); break;
    case kiln_dtype_f64: one_hot_kernel<<<blocks_for(n), threads, 0, stream()>>>(labels, depth, a.out[0].as<double>(), n); break;
    case kiln_dtype_i32: one_hot_kernel<<<blocks_for(n), threads, 0, stream()>>>(labels, depth, a.out[0].as<int32_t>(), n); break;
    default: return;
  }
  launched("one_hot");
}

void argmax(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  int64_t axis = attr_i(a.n, "axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(in.size());
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < in.size(); ++d) inner *= in[d];
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  argmax_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), in[static_cast<size_t>(axis)], inner, a.out[0].as<int32_t>(), n);
  launched("argmax");
}

// As static_cast: float to int32 truncates toward zero; int32 to float rounds to nearest even.
template <typename From>
void cast(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  const From* x = a.in[0].as<From>();
  switch (a.out[0].dtype) {
    case kiln_dtype_f32: cast_kernel<<<blocks_for(n), threads, 0, stream()>>>(x, a.out[0].as<float>(), n); break;
    case kiln_dtype_f64: cast_kernel<<<blocks_for(n), threads, 0, stream()>>>(x, a.out[0].as<double>(), n); break;
    case kiln_dtype_i32: cast_kernel<<<blocks_for(n), threads, 0, stream()>>>(x, a.out[0].as<int32_t>(), n); break;
    default: return;
  }
  launched("cast");
}

void upsample(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  upsample_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), upsample_of(*a.in[0].shape, *a.out[0].shape),
                                                            a.out[0].as<float>(), n);
  launched("upsample_nearest");
}

void upsample_grad(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  upsample_grad_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), upsample_of(*a.out[0].shape, *a.in[0].shape),
                                                                 a.out[0].as<float>(), n);
  launched("upsample_nearest_grad");
}

}  // namespace

void register_shape(kernel_table& t) {
  for (kiln_dtype d : {kiln_dtype_f32, kiln_dtype_i32}) {
    t.set(kiln_op_transpose, d, transpose);
    t.set(kiln_op_slice, d, slice);
    t.set(kiln_op_concat, d, concat);
  }
  t.set(kiln_op_pad, kiln_dtype_f32, pad<float>);
  t.set(kiln_op_pad, kiln_dtype_i32, pad<int32_t>);
  t.set(kiln_op_gather, kiln_dtype_f32, gather);
  t.set(kiln_op_gather_grad, kiln_dtype_f32, gather_grad);
  t.set(kiln_op_one_hot, kiln_dtype_i32, one_hot);  // keyed by the labels' dtype
  t.set(kiln_op_argmax, kiln_dtype_f32, argmax);
  t.set(kiln_op_cast, kiln_dtype_f32, cast<float>);
  t.set(kiln_op_cast, kiln_dtype_i32, cast<int32_t>);
  t.set(kiln_op_upsample_nearest, kiln_dtype_f32, upsample);
  t.set(kiln_op_upsample_nearest_grad, kiln_dtype_f32, upsample_grad);
}

}  // namespace kiln::cuda
