// Elementwise ops: activations and their gradients, binary ops with numpy broadcasting, fill,
// reshape, bias_add and the bias + activation half of the fused epilogues. Formulas as the
// reference writes them (backends/reference/elementwise.cpp), in float32.
#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

constexpr float selu_alpha = 1.6732632423543772848170429916717f;
constexpr float selu_scale = 1.0507009873554804934193349852946f;
constexpr float sqrt_2_over_pi = 0.79788456080286535587989211986876f;
constexpr float inv_sqrt_2 = 0.70710678118654752440084436210485f;
constexpr float inv_sqrt_2pi = 0.39894228040143267793994605993438f;

// A unary op and the attributes it reads, by value for the kernels.
struct unary_op {
  int32_t op = kiln_op_relu;
  float alpha = 0, lo = 0, hi = 1, delta = 1;
  int32_t approximate = 0;
};

unary_op unary_of(const node& n, kiln_op op) {
  unary_op u;
  u.op = op;
  u.alpha = static_cast<float>(attr_f(n, "alpha", op == kiln_op_leaky_relu ? 0.2 : 1.0));
  u.lo = static_cast<float>(attr_f(n, "min", 0.0));
  u.hi = static_cast<float>(attr_f(n, "max", 1.0));
  u.delta = static_cast<float>(attr_f(n, "delta", 1.0));
  u.approximate = static_cast<int32_t>(attr_i(n, "approximate", 0));
  return u;
}

__device__ float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ float apply(const unary_op& u, float x) {
  switch (u.op) {
    case kiln_op_relu: return x > 0.0f ? x : 0.0f;
    case kiln_op_leaky_relu: return x > 0.0f ? x : u.alpha * x;
    case kiln_op_elu: return x > 0.0f ? x : u.alpha * expm1f(x);
    case kiln_op_selu: return selu_scale * (x > 0.0f ? x : selu_alpha * expm1f(x));
    case kiln_op_gelu:
      if (u.approximate) return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
      return 0.5f * x * (1.0f + erff(x * inv_sqrt_2));
    case kiln_op_sigmoid: return sigmoidf(x);
    case kiln_op_hard_sigmoid: return fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case kiln_op_tanh: return tanhf(x);
    case kiln_op_softplus: return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
    case kiln_op_softsign: return x / (1.0f + fabsf(x));
    case kiln_op_silu: return x * sigmoidf(x);
    case kiln_op_exp: return expf(x);
    case kiln_op_log: return logf(x);
    case kiln_op_sqrt: return sqrtf(x);
    case kiln_op_square: return x * x;
    case kiln_op_abs: return fabsf(x);
    case kiln_op_neg: return -x;
    case kiln_op_clip: return fminf(fmaxf(x, u.lo), u.hi);
    case kiln_op_huber: {
      const float d = fabsf(x);
      return d <= u.delta ? 0.5f * x * x : u.delta * (d - 0.5f * u.delta);
    }
    default: return 0.0f;
  }
}

// f'(x) given x and y = f(x).
__device__ float derivative(const unary_op& u, float x, float y) {
  switch (u.op) {
    case kiln_op_relu: return x > 0.0f ? 1.0f : 0.0f;
    case kiln_op_leaky_relu: return x > 0.0f ? 1.0f : u.alpha;
    case kiln_op_elu: return x > 0.0f ? 1.0f : y + u.alpha;
    case kiln_op_selu: return x > 0.0f ? selu_scale : y + selu_scale * selu_alpha;
    case kiln_op_gelu:
      if (u.approximate) {
        const float th = tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x));
        return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * sqrt_2_over_pi * (1.0f + 3.0f * 0.044715f * x * x);
      }
      return 0.5f * (1.0f + erff(x * inv_sqrt_2)) + x * expf(-0.5f * x * x) * inv_sqrt_2pi;
    case kiln_op_sigmoid: return y * (1.0f - y);
    case kiln_op_hard_sigmoid: return x > -3.0f && x < 3.0f ? 1.0f / 6.0f : 0.0f;
    case kiln_op_tanh: return 1.0f - y * y;
    case kiln_op_softplus: return sigmoidf(x);
    case kiln_op_softsign: { const float d = 1.0f + fabsf(x); return 1.0f / (d * d); }
    case kiln_op_silu: { const float s = sigmoidf(x); return s + x * s * (1.0f - s); }
    case kiln_op_exp: return y;
    case kiln_op_log: return 1.0f / x;
    case kiln_op_sqrt: return 0.5f / y;
    case kiln_op_square: return 2.0f * x;
    case kiln_op_abs: return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
    case kiln_op_neg: return -1.0f;
    case kiln_op_clip: return x >= u.lo && x <= u.hi ? 1.0f : 0.0f;
    case kiln_op_huber: return fabsf(x) <= u.delta ? x : (x > 0.0f ? u.delta : -u.delta);
    default: return 0.0f;
  }
}

__global__ void unary_kernel(unary_op u, const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) y[i] = apply(u, x[i]);
}

__global__ void unary_grad_kernel(unary_op u, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    dx[i] = dy[i] * derivative(u, x[i], y[i]);
  }
}

__device__ float binary(int32_t op, float x, float y) {
  switch (op) {
    case kiln_op_add: return x + y;
    case kiln_op_sub: return x - y;
    case kiln_op_mul: return x * y;
    case kiln_op_div: return x / y;
    case kiln_op_maximum: return x >= y ? x : y;
    case kiln_op_minimum: return x <= y ? x : y;
    case kiln_op_equal: return x == y ? 1.0f : 0.0f;
    case kiln_op_greater: return x > y ? 1.0f : 0.0f;
    case kiln_op_greater_equal: return x >= y ? 1.0f : 0.0f;
    default: return 0.0f;
  }
}

__global__ void binary_same_kernel(int32_t op, const float* a, const float* b, float* z, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) z[i] = binary(op, a[i], b[i]);
}

__global__ void binary_broadcast_kernel(int32_t op, const float* a, index_map ma, const float* b, index_map mb, float* z, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    z[i] = binary(op, a[map_offset(i, ma)], b[map_offset(i, mb)]);
  }
}

template <typename T>
__global__ void fill_kernel(T* y, T v, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) y[i] = v;
}

__global__ void bias_activation_kernel(float* z, const float* bias, int64_t n, int64_t channels, bool has_act, unary_op u, float* y) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const float v = z[i] + bias[i % channels];
    z[i] = v;
    if (has_act) y[i] = apply(u, v);
  }
}

__global__ void bias_add_kernel(const float* x, const float* bias, float* y, int64_t n, int64_t channels) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) y[i] = x[i] + bias[i % channels];
}

void unary(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  unary_kernel<<<blocks_for(n), threads, 0, stream()>>>(unary_of(a.n, a.n.op), a.in[0].as<float>(), a.out[0].as<float>(), n);
  launched("unary");
}

void unary_grad(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  const auto of = static_cast<kiln_op>(attr_i(a.n, "of", kiln_op_relu));
  unary_grad_kernel<<<blocks_for(n), threads, 0, stream()>>>(unary_of(a.n, of), a.in[0].as<float>(), a.in[1].as<float>(),
                                                              a.in[2].as<float>(), a.out[0].as<float>(), n);
  launched("unary_grad");
}

void binary_op(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  const shape_t& out = *a.out[0].shape;
  if (*a.in[0].shape == out && *a.in[1].shape == out) {
    binary_same_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.n.op, a.in[0].as<float>(), a.in[1].as<float>(), a.out[0].as<float>(), n);
  } else {
    index_map ma, mb;
    if (!broadcast_map(*a.in[0].shape, out, ma) || !broadcast_map(*a.in[1].shape, out, mb)) {
      return record_error("node '" + a.n.name + "': broadcasting over more than 8 axes is not supported on the GPU");
    }
    binary_broadcast_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.n.op, a.in[0].as<float>(), ma, a.in[1].as<float>(), mb,
                                                                      a.out[0].as<float>(), n);
  }
  launched("binary");
}

template <typename T>
void fill(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  fill_kernel<T><<<blocks_for(n), threads, 0, stream()>>>(a.out[0].as<T>(), static_cast<T>(attr_f(a.n, "value", 0.0)), n);
  launched("fill");
}

void copy(const kernel_args& a) {
  const int64_t bytes = a.out[0].size * (a.out[0].dtype == kiln_dtype_f64 ? 8 : 4);
  if (bytes == 0 || a.out[0].data == a.in[0].data) return;
  const cudaError_t e = cudaMemcpyAsync(a.out[0].data, a.in[0].data, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, stream());
  if (e != cudaSuccess) record_error(std::string("copy: ") + cudaGetErrorString(e));
}

void bias_add(const kernel_args& a) {
  const int64_t n = a.out[0].size, channels = a.in[1].size;
  if (n == 0 || channels == 0) return;
  bias_add_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.out[0].as<float>(), n, channels);
  launched("bias_add");
}

}  // namespace

void bias_activation(float* z, const float* bias, int64_t rows, int64_t channels, const node* act, float* y) {
  const int64_t n = rows * channels;
  if (n == 0) return;
  const unary_op u = act ? unary_of(*act, act->op) : unary_op{};
  bias_activation_kernel<<<blocks_for(n), threads, 0, stream()>>>(z, bias, n, channels, act != nullptr, u, y);
  launched("bias_activation");
}

void register_elementwise(kernel_table& t) {
  for (int32_t op = kiln_op_relu; op <= kiln_op_huber; ++op) t.set(static_cast<kiln_op>(op), kiln_dtype_f32, unary);
  t.set(kiln_op_unary_grad, kiln_dtype_f32, unary_grad);
  for (int32_t op = kiln_op_add; op <= kiln_op_greater_equal; ++op) t.set(static_cast<kiln_op>(op), kiln_dtype_f32, binary_op);
  t.set(kiln_op_fill, kiln_dtype_f32, fill<float>);
  t.set(kiln_op_fill, kiln_dtype_i32, fill<int32_t>);
  t.set(kiln_op_reshape, kiln_dtype_f32, copy);
  t.set(kiln_op_reshape, kiln_dtype_i32, copy);
  t.set(kiln_op_bias_add, kiln_dtype_f32, bias_add);
  // Activations the fused matmul/conv -> bias_add epilogue may apply.
  for (int32_t op = kiln_op_relu; op <= kiln_op_silu; ++op) t.allow_epilogue_activation(static_cast<kiln_op>(op));
}

}  // namespace kiln::cuda
