#include <cmath>

#include "reference/broadcast.h"
#include "reference/reference.h"

namespace kiln {

namespace {

constexpr double kiln_selu_alpha = 1.6732632423543772848170429916717;
constexpr double kiln_selu_scale = 1.0507009873554804934193349852946;
constexpr double kiln_sqrt_2_over_pi = 0.79788456080286535587989211986876;
constexpr double kiln_inv_sqrt_2 = 0.70710678118654752440084436210485;
constexpr double kiln_inv_sqrt_2pi = 0.39894228040143267793994605993438;

template <typename T>
T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }

template <typename T>
T unary(kiln_op op, T x, const attrs& at) {
  switch (op) {
    case kiln_op_relu: return x > T(0) ? x : T(0);
    case kiln_op_leaky_relu: return x > T(0) ? x : static_cast<T>(at.f("alpha", 0.2)) * x;
    case kiln_op_elu: return x > T(0) ? x : static_cast<T>(at.f("alpha", 1.0)) * std::expm1(x);
    case kiln_op_selu: return static_cast<T>(kiln_selu_scale) * (x > T(0) ? x : static_cast<T>(kiln_selu_alpha) * std::expm1(x));
    case kiln_op_gelu:
      if (at.i("approximate", 0)) {
        const T u = static_cast<T>(kiln_sqrt_2_over_pi) * (x + T(0.044715) * x * x * x);
        return T(0.5) * x * (T(1) + std::tanh(u));
      }
      return T(0.5) * x * (T(1) + std::erf(x * static_cast<T>(kiln_inv_sqrt_2)));
    case kiln_op_sigmoid: return sigmoid(x);
    case kiln_op_hard_sigmoid: return std::fmin(std::fmax(x / T(6) + T(0.5), T(0)), T(1));
    case kiln_op_tanh: return std::tanh(x);
    case kiln_op_softplus: return std::fmax(x, T(0)) + std::log1p(std::exp(-std::fabs(x)));
    case kiln_op_softsign: return x / (T(1) + std::fabs(x));
    case kiln_op_silu: return x * sigmoid(x);
    case kiln_op_exp: return std::exp(x);
    case kiln_op_log: return std::log(x);
    case kiln_op_sqrt: return std::sqrt(x);
    case kiln_op_square: return x * x;
    case kiln_op_abs: return std::fabs(x);
    case kiln_op_neg: return -x;
    case kiln_op_clip: return std::fmin(std::fmax(x, static_cast<T>(at.f("min", 0.0))), static_cast<T>(at.f("max", 1.0)));
    case kiln_op_huber: {
      const T delta = static_cast<T>(at.f("delta", 1.0));
      const T d = std::fabs(x);
      return d <= delta ? T(0.5) * x * x : delta * (d - T(0.5) * delta);
    }
    default: return T(0);
  }
}

// f'(x), given x and y = f(x).
template <typename T>
T derivative(kiln_op op, T x, T y, const attrs& at) {
  switch (op) {
    case kiln_op_relu: return x > T(0) ? T(1) : T(0);
    case kiln_op_leaky_relu: return x > T(0) ? T(1) : static_cast<T>(at.f("alpha", 0.2));
    case kiln_op_elu: return x > T(0) ? T(1) : y + static_cast<T>(at.f("alpha", 1.0));
    case kiln_op_selu: return x > T(0) ? static_cast<T>(kiln_selu_scale) : y + static_cast<T>(kiln_selu_scale * kiln_selu_alpha);
    case kiln_op_gelu:
      if (at.i("approximate", 0)) {
        const T c = static_cast<T>(kiln_sqrt_2_over_pi);
        const T th = std::tanh(c * (x + T(0.044715) * x * x * x));
        return T(0.5) * (T(1) + th) + T(0.5) * x * (T(1) - th * th) * c * (T(1) + T(3 * 0.044715) * x * x);
      }
      return T(0.5) * (T(1) + std::erf(x * static_cast<T>(kiln_inv_sqrt_2))) +
             x * std::exp(-T(0.5) * x * x) * static_cast<T>(kiln_inv_sqrt_2pi);
    case kiln_op_sigmoid: return y * (T(1) - y);
    case kiln_op_hard_sigmoid: return x > T(-3) && x < T(3) ? T(1) / T(6) : T(0);
    case kiln_op_tanh: return T(1) - y * y;
    case kiln_op_softplus: return sigmoid(x);
    case kiln_op_softsign: { const T d = T(1) + std::fabs(x); return T(1) / (d * d); }
    case kiln_op_silu: { const T s = sigmoid(x); return s + x * s * (T(1) - s); }
    case kiln_op_exp: return y;
    case kiln_op_log: return T(1) / x;
    case kiln_op_sqrt: return T(0.5) / y;
    case kiln_op_square: return T(2) * x;
    case kiln_op_abs: return x > T(0) ? T(1) : x < T(0) ? T(-1) : T(0);
    case kiln_op_neg: return T(-1);
    // As TensorFlow's clip_by_value: the gradient passes where min <= x <= max.
    case kiln_op_clip: return x >= static_cast<T>(at.f("min", 0.0)) && x <= static_cast<T>(at.f("max", 1.0)) ? T(1) : T(0);
    case kiln_op_huber: {
      const T delta = static_cast<T>(at.f("delta", 1.0));
      return std::fabs(x) <= delta ? x : (x > T(0) ? delta : -delta);
    }
    default: return T(0);
  }
}

template <typename T>
void unary_kernel(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) y[i] = unary(a.n.op, x[i], a.n.at);
}

template <typename T>
void unary_grad_kernel(const kernel_args& a) {
  const auto of = static_cast<kiln_op>(a.n.at.i("of", kiln_op_relu));
  const T* x = a.in[0].as<T>();
  const T* y = a.in[1].as<T>();
  const T* dy = a.in[2].as<T>();
  T* dx = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) dx[i] = dy[i] * derivative(of, x[i], y[i], a.n.at);
}

template <typename T>
T binary(kiln_op op, T x, T y) {
  switch (op) {
    case kiln_op_add: return x + y;
    case kiln_op_sub: return x - y;
    case kiln_op_mul: return x * y;
    case kiln_op_div: return x / y;
    case kiln_op_maximum: return x >= y ? x : y;
    case kiln_op_minimum: return x <= y ? x : y;
    case kiln_op_equal: return x == y ? T(1) : T(0);
    case kiln_op_greater: return x > y ? T(1) : T(0);
    case kiln_op_greater_equal: return x >= y ? T(1) : T(0);
    default: return T(0);
  }
}

template <typename T>
void binary_kernel(const kernel_args& a) {
  const shape_t& out = *a.out[0].shape;
  const std::vector<int64_t> sa = ref::broadcast_strides(*a.in[0].shape, out);
  const std::vector<int64_t> sb = ref::broadcast_strides(*a.in[1].shape, out);
  const T* x = a.in[0].as<T>();
  const T* y = a.in[1].as<T>();
  T* z = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) {
    z[i] = binary(a.n.op, x[ref::broadcast_offset(i, out, sa)], y[ref::broadcast_offset(i, out, sb)]);
  }
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  for (int32_t op = kiln_op_relu; op <= kiln_op_huber; ++op) t.set(static_cast<kiln_op>(op), d, unary_kernel<T>);
  t.set(kiln_op_unary_grad, d, unary_grad_kernel<T>);
  for (int32_t op = kiln_op_add; op <= kiln_op_greater_equal; ++op) t.set(static_cast<kiln_op>(op), d, binary_kernel<T>);
}

}  // namespace

void register_reference_elementwise(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
}

}  // namespace kiln
