// Optimizer updates for the cpu backend: the reference formulas (backends/reference/optim.cpp,
// Keras 3's), split over the thread pool in chunks and written so the compiler vectorises them.
#include <cmath>

#include "cpu/cpu_kernels.h"

namespace kiln {

namespace {

constexpr int64_t kiln_grain = 1 << 14;  // elements per chunk: small updates stay on one thread

template <typename F>
void chunks(const kernel_args& a, int64_t n, F&& body) {
  cpu::parallel(a.pool, n, kiln_grain, body);
}

// The optional skip input after the update's `inputs`: nonzero leaves var and its slots as they are.
bool skipped(const kernel_args& a, size_t inputs) { return a.in.size() > inputs && *a.in[inputs].as<float>() != 0.0f; }

void apply_sgd(const kernel_args& a) {
  float* var = a.in[0].as<float>();
  const float* g = a.in[1].as<float>();
  const float lr = *a.in[2].as<float>();
  const float wd = static_cast<float>(a.n.at.f("weight_decay", 0.0));
  const float mu = static_cast<float>(a.n.at.f("momentum", 0.0));
  const bool nesterov = a.n.at.i("nesterov", 0) != 0;
  float* m = mu != 0.0f ? a.in[3].as<float>() : nullptr;
  if (skipped(a, m ? 4 : 3)) return;
  chunks(a, a.in[0].size, [=](int64_t begin, int64_t end) {
    if (wd != 0.0f) for (int64_t i = begin; i < end; ++i) var[i] -= var[i] * wd * lr;
    if (!m) {
      for (int64_t i = begin; i < end; ++i) var[i] -= g[i] * lr;
    } else if (nesterov) {
      for (int64_t i = begin; i < end; ++i) {
        m[i] = -g[i] * lr + m[i] * mu;
        var[i] += -g[i] * lr + m[i] * mu;
      }
    } else {
      for (int64_t i = begin; i < end; ++i) {
        m[i] = -g[i] * lr + m[i] * mu;
        var[i] += m[i];
      }
    }
  });
}

void apply_adam(const kernel_args& a) {
  if (skipped(a, 6)) return;
  float* var = a.in[0].as<float>();
  const float* g = a.in[1].as<float>();
  float* m = a.in[2].as<float>();
  float* v = a.in[3].as<float>();
  const float lr = *a.in[4].as<float>();
  const float step = *a.in[5].as<float>();
  const float b1 = static_cast<float>(a.n.at.f("beta_1", 0.9));
  const float b2 = static_cast<float>(a.n.at.f("beta_2", 0.999));
  const float eps = static_cast<float>(a.n.at.f("epsilon", 1e-7));
  const float wd = static_cast<float>(a.n.at.f("weight_decay", 0.0));
  const float alpha = lr * std::sqrt(1.0f - std::pow(b2, step)) / (1.0f - std::pow(b1, step));
  const float c1 = 1.0f - b1, c2 = 1.0f - b2;
  chunks(a, a.in[0].size, [=](int64_t begin, int64_t end) {
    // Distinct buffers (the plan never aliases a weight, its gradient and its slots): restrict
    // lets the compiler vectorise without runtime overlap checks.
    float* __restrict w = var;
    const float* __restrict dw = g;
    float* __restrict m1 = m;
    float* __restrict m2 = v;
    if (wd != 0.0f) for (int64_t i = begin; i < end; ++i) w[i] -= w[i] * wd * lr;
    for (int64_t i = begin; i < end; ++i) {
      const float mi = m1[i] + (dw[i] - m1[i]) * c1;
      const float vi = m2[i] + (dw[i] * dw[i] - m2[i]) * c2;
      m1[i] = mi;
      m2[i] = vi;
      w[i] -= (mi * alpha) / (std::sqrt(vi) + eps);
    }
  });
}

}  // namespace

void register_cpu_optim(kernel_table& t) {
  t.set(kiln_op_apply_sgd, kiln_dtype_f32, apply_sgd);
  t.set(kiln_op_apply_adam, kiln_dtype_f32, apply_adam);
}

}  // namespace kiln
