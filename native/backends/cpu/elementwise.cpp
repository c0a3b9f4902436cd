// float32 elementwise ops: unary ops and their gradients as flat loops the compiler vectorises,
// binary ops on same-shape operands or with one operand broadcast along one block of axes (a
// scalar, a trailing vector such as a bias, a per-row value). Chunks run on the pool. Formulas
// are the reference backend's, evaluated in float32, so results match it to the last bit or so.
#include <algorithm>
#include <cmath>

#include "cpu/cpu_kernels.h"

namespace kiln {

namespace {

constexpr int64_t kiln_elementwise_grain = int64_t{1} << 14;

// The reference's double constants rounded to float once, as the reference does for float32.
constexpr double kiln_selu_alpha_f64 = 1.6732632423543772848170429916717;
constexpr double kiln_selu_scale_f64 = 1.0507009873554804934193349852946;
constexpr float kiln_selu_alpha = static_cast<float>(kiln_selu_alpha_f64);
constexpr float kiln_selu_scale = static_cast<float>(kiln_selu_scale_f64);
constexpr float kiln_selu_scale_alpha = static_cast<float>(kiln_selu_scale_f64 * kiln_selu_alpha_f64);
constexpr float kiln_sqrt_2_over_pi = static_cast<float>(0.79788456080286535587989211986876);
constexpr float kiln_inv_sqrt_2 = static_cast<float>(0.70710678118654752440084436210485);
constexpr float kiln_inv_sqrt_2pi = static_cast<float>(0.39894228040143267793994605993438);
constexpr float kiln_gelu_c = static_cast<float>(0.044715);
constexpr float kiln_gelu_3c = static_cast<float>(3 * 0.044715);

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// y[i] = f(x[i]) for i < count.
template <typename F>
void map1(const float* in, float* out, int64_t count, F f) {
  for (int64_t i = 0; i < count; ++i) out[i] = f(in[i]);
}

}  // namespace

void cpu::unary_span(const node& n, const float* in, float* out, int64_t count) {
  const attrs& at = n.at;
  switch (n.op) {
    case kiln_op_relu: return map1(in, out, count, [](float x) { return x > 0.0f ? x : 0.0f; });
    case kiln_op_leaky_relu: {
      const auto alpha = static_cast<float>(at.f("alpha", 0.2));
      return map1(in, out, count, [alpha](float x) { return cpu::pick(x > 0.0f, x, alpha * x); });
    }
    case kiln_op_elu: {
      const auto alpha = static_cast<float>(at.f("alpha", 1.0));
      return map1(in, out, count, [alpha](float x) { return x > 0.0f ? x : alpha * std::expm1(x); });
    }
    case kiln_op_selu:
      return map1(in, out, count, [](float x) { return kiln_selu_scale * (x > 0.0f ? x : kiln_selu_alpha * std::expm1(x)); });
    case kiln_op_gelu:
      if (at.i("approximate", 0)) {
        return map1(in, out, count, [](float x) {
          const float u = kiln_sqrt_2_over_pi * (x + kiln_gelu_c * x * x * x);
          return 0.5f * x * (1.0f + std::tanh(u));
        });
      }
      return map1(in, out, count, [](float x) { return 0.5f * x * (1.0f + std::erf(x * kiln_inv_sqrt_2)); });
    case kiln_op_sigmoid: return map1(in, out, count, [](float x) { return sigmoid(x); });
    case kiln_op_hard_sigmoid: return map1(in, out, count, [](float x) { return std::fmin(std::fmax(x / 6.0f + 0.5f, 0.0f), 1.0f); });
    case kiln_op_tanh: return map1(in, out, count, [](float x) { return std::tanh(x); });
    case kiln_op_softplus: return map1(in, out, count, [](float x) { return std::fmax(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); });
    case kiln_op_softsign: return map1(in, out, count, [](float x) { return x / (1.0f + std::fabs(x)); });
    case kiln_op_silu: return map1(in, out, count, [](float x) { return x * sigmoid(x); });
    case kiln_op_exp: return map1(in, out, count, [](float x) { return std::exp(x); });
    case kiln_op_log: return map1(in, out, count, [](float x) { return std::log(x); });
    case kiln_op_sqrt: return map1(in, out, count, [](float x) { return std::sqrt(x); });
    case kiln_op_square: return map1(in, out, count, [](float x) { return x * x; });
    case kiln_op_abs: return map1(in, out, count, [](float x) { return std::fabs(x); });
    case kiln_op_neg: return map1(in, out, count, [](float x) { return -x; });
    case kiln_op_clip: {
      const auto lo = static_cast<float>(at.f("min", 0.0)), hi = static_cast<float>(at.f("max", 1.0));
      return map1(in, out, count, [lo, hi](float x) { return std::fmin(std::fmax(x, lo), hi); });
    }
    case kiln_op_huber: {
      const auto delta = static_cast<float>(at.f("delta", 1.0));
      return map1(in, out, count, [delta](float x) {
        const float d = std::fabs(x);
        return d <= delta ? 0.5f * x * x : delta * (d - 0.5f * delta);
      });
    }
    default: return;  // not a unary op
  }
}

namespace {

void unary(const kernel_args& a) {
  const float* x = a.in[0].as<float>();
  float* y = a.out[0].as<float>();
  cpu::parallel(a.pool, a.out[0].size, kiln_elementwise_grain, [&](int64_t i0, int64_t i1) { cpu::unary_span(a.n, x + i0, y + i0, i1 - i0); });
}

// dx[i] = dy[i] * f'(x[i], y[i])
template <typename F>
void map3(const kernel_args& a, F derivative) {
  const float* x = a.in[0].as<float>();
  const float* y = a.in[1].as<float>();
  const float* dy = a.in[2].as<float>();
  float* dx = a.out[0].as<float>();
  cpu::parallel(a.pool, a.out[0].size, kiln_elementwise_grain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dx[i] = dy[i] * derivative(x[i], y[i]);
  });
}

void unary_grad(const kernel_args& a) {
  const attrs& at = a.n.at;
  switch (static_cast<kiln_op>(at.i("of", kiln_op_relu))) {
    case kiln_op_relu: return map3(a, [](float x, float) { return cpu::pick(x > 0.0f, 1.0f, 0.0f); });
    case kiln_op_leaky_relu: {
      const auto alpha = static_cast<float>(at.f("alpha", 0.2));
      return map3(a, [alpha](float x, float) { return cpu::pick(x > 0.0f, 1.0f, alpha); });
    }
    case kiln_op_elu: {
      const auto alpha = static_cast<float>(at.f("alpha", 1.0));
      return map3(a, [alpha](float x, float y) { return cpu::pick(x > 0.0f, 1.0f, y + alpha); });
    }
    case kiln_op_selu: return map3(a, [](float x, float y) { return cpu::pick(x > 0.0f, kiln_selu_scale, y + kiln_selu_scale_alpha); });
    case kiln_op_gelu:
      if (at.i("approximate", 0)) {
        return map3(a, [](float x, float) {
          const float c = kiln_sqrt_2_over_pi;
          const float th = std::tanh(c * (x + kiln_gelu_c * x * x * x));
          return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * c * (1.0f + kiln_gelu_3c * x * x);
        });
      }
      return map3(a, [](float x, float) {
        return 0.5f * (1.0f + std::erf(x * kiln_inv_sqrt_2)) + x * std::exp(-0.5f * x * x) * kiln_inv_sqrt_2pi;
      });
    case kiln_op_sigmoid: return map3(a, [](float, float y) { return y * (1.0f - y); });
    case kiln_op_hard_sigmoid: return map3(a, [](float x, float) { return cpu::pick(x > -3.0f && x < 3.0f, 1.0f / 6.0f, 0.0f); });
    case kiln_op_tanh: return map3(a, [](float, float y) { return 1.0f - y * y; });
    case kiln_op_softplus: return map3(a, [](float x, float) { return sigmoid(x); });
    case kiln_op_softsign: return map3(a, [](float x, float) { const float d = 1.0f + std::fabs(x); return 1.0f / (d * d); });
    case kiln_op_silu: return map3(a, [](float x, float) { const float s = sigmoid(x); return s + x * s * (1.0f - s); });
    case kiln_op_exp: return map3(a, [](float, float y) { return y; });
    case kiln_op_log: return map3(a, [](float x, float) { return 1.0f / x; });
    case kiln_op_sqrt: return map3(a, [](float, float y) { return 0.5f / y; });
    case kiln_op_square: return map3(a, [](float x, float) { return 2.0f * x; });
    case kiln_op_abs: return map3(a, [](float x, float) { return cpu::pick(x > 0.0f, 1.0f, cpu::pick(x < 0.0f, -1.0f, 0.0f)); });
    case kiln_op_neg: return map3(a, [](float, float) { return -1.0f; });
    case kiln_op_clip: {
      const auto lo = static_cast<float>(at.f("min", 0.0)), hi = static_cast<float>(at.f("max", 1.0));
      return map3(a, [lo, hi](float x, float) { return cpu::pick(x >= lo && x <= hi, 1.0f, 0.0f); });
    }
    case kiln_op_huber: {
      const auto delta = static_cast<float>(at.f("delta", 1.0));
      return map3(a, [delta](float x, float) { return cpu::pick(std::fabs(x) <= delta, x, cpu::pick(x > 0.0f, delta, -delta)); });
    }
    default: return cpu::run_reference(a);
  }
}

// How the smaller operand of a binary op repeats over the output: out is [outer, mid, inner]
// and the operand is [mid], so element i of out reads operand[(i / inner) % mid].
struct repeat {
  int64_t mid = 1, inner = 1;
};

// False unless the operand's non-unit axes (aligned right) form one block equal to out's axes.
bool repeats_as_block(const shape_t& operand, const shape_t& out, repeat& r) {
  const size_t lead = out.size() - operand.size();
  int64_t first = -1, last = -1;
  for (size_t d = 0; d < operand.size(); ++d) {
    if (operand[d] == 1) continue;
    if (first < 0) first = static_cast<int64_t>(d + lead);
    last = static_cast<int64_t>(d + lead);
  }
  r = repeat{};
  for (int64_t d = first < 0 ? 0 : first; d < static_cast<int64_t>(out.size()); ++d) {
    const int64_t o = out[static_cast<size_t>(d)];
    if (first >= 0 && d <= last) {
      if (operand[static_cast<size_t>(d) - lead] != o) return false;
      r.mid *= o;
    } else {
      r.inner *= o;
    }
  }
  return true;
}

// z = f(full, operand repeated as r), over [i0, i1) in runs that vectorise.
template <typename F>
void repeat_loop(float* z, const float* full, const float* v, repeat r, int64_t i0, int64_t i1, F f) {
  for (int64_t i = i0; i < i1;) {
    if (r.inner == 1) {
      const int64_t j = i % r.mid, len = std::min(r.mid - j, i1 - i);
      for (int64_t k = 0; k < len; ++k) z[i + k] = f(full[i + k], v[j + k]);
      i += len;
    } else {
      const float s = v[(i / r.inner) % r.mid];
      const int64_t len = std::min(r.inner - i % r.inner, i1 - i);
      for (int64_t k = 0; k < len; ++k) z[i + k] = f(full[i + k], s);
      i += len;
    }
  }
}

template <typename F>
void map2(const kernel_args& a, F f) {
  const float* x = a.in[0].as<float>();
  const float* y = a.in[1].as<float>();
  float* z = a.out[0].as<float>();
  const int64_t n = a.out[0].size;
  const shape_t& out = *a.out[0].shape;
  repeat r;
  if (a.in[0].size == n && a.in[1].size == n) {
    cpu::parallel(a.pool, n, kiln_elementwise_grain, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) z[i] = f(x[i], y[i]);
    });
  } else if (a.in[0].size == n && repeats_as_block(*a.in[1].shape, out, r)) {
    cpu::parallel(a.pool, n, kiln_elementwise_grain, [&](int64_t i0, int64_t i1) { repeat_loop(z, x, y, r, i0, i1, f); });
  } else if (a.in[1].size == n && repeats_as_block(*a.in[0].shape, out, r)) {
    auto swapped = [&f](float p, float q) { return f(q, p); };
    cpu::parallel(a.pool, n, kiln_elementwise_grain, [&](int64_t i0, int64_t i1) { repeat_loop(z, y, x, r, i0, i1, swapped); });
  } else {
    cpu::run_reference(a);  // both operands broadcast
  }
}

void binary(const kernel_args& a) {
  switch (a.n.op) {
    case kiln_op_add: return map2(a, [](float x, float y) { return x + y; });
    case kiln_op_sub: return map2(a, [](float x, float y) { return x - y; });
    case kiln_op_mul: return map2(a, [](float x, float y) { return x * y; });
    case kiln_op_div: return map2(a, [](float x, float y) { return x / y; });
    case kiln_op_maximum: return map2(a, [](float x, float y) { return x >= y ? x : y; });
    case kiln_op_minimum: return map2(a, [](float x, float y) { return x <= y ? x : y; });
    case kiln_op_equal: return map2(a, [](float x, float y) { return x == y ? 1.0f : 0.0f; });
    case kiln_op_greater: return map2(a, [](float x, float y) { return x > y ? 1.0f : 0.0f; });
    case kiln_op_greater_equal: return map2(a, [](float x, float y) { return x >= y ? 1.0f : 0.0f; });
    default: return cpu::run_reference(a);
  }
}

}  // namespace

void register_cpu_elementwise(kernel_table& t) {
  for (int32_t op = kiln_op_relu; op <= kiln_op_huber; ++op) t.set(static_cast<kiln_op>(op), kiln_dtype_f32, unary);
  // Activations a fused matmul/conv -> bias_add epilogue may apply (through unary_span).
  for (int32_t op = kiln_op_relu; op <= kiln_op_silu; ++op) t.allow_epilogue_activation(static_cast<kiln_op>(op));
  t.set(kiln_op_unary_grad, kiln_dtype_f32, unary_grad);
  for (int32_t op = kiln_op_add; op <= kiln_op_greater_equal; ++op) t.set(static_cast<kiln_op>(op), kiln_dtype_f32, binary);
}

}  // namespace kiln
