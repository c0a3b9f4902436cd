// Optimizer updates, in place, one thread per element, as Keras 3 writes them (the reference's
// backends/reference/optim.cpp). The learning rate, step and optional skip flag (mixed_float16's
// loss scaling: nonzero leaves var and slots untouched) are device scalars the kernels read, so a
// training step never waits for the host.
#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

#define KILN_FOR_EACH(i, n) for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)

__global__ void sgd_kernel(float* var, const float* g, const float* lr_p, float* m, float momentum, bool nesterov, float wd, int64_t n,
                           const float* skip) {
  if (skip && *skip != 0.0f) return;
  const float lr = *lr_p;
  KILN_FOR_EACH(i, n) {
    float v = var[i];
    if (wd != 0.0f) v -= v * wd * lr;
    if (!m) {
      v -= g[i] * lr;
    } else {
      const float mi = -g[i] * lr + m[i] * momentum;
      m[i] = mi;
      v += nesterov ? -g[i] * lr + mi * momentum : mi;
    }
    var[i] = v;
  }
}

__global__ void adam_kernel(float* var, const float* g, float* m, float* v, const float* lr_p, const float* step_p, float b1, float b2,
                            float eps, float wd, int64_t n, const float* skip) {
  if (skip && *skip != 0.0f) return;
  const float lr = *lr_p, step = *step_p;
  const float alpha = lr * sqrtf(1.0f - powf(b2, step)) / (1.0f - powf(b1, step));
  KILN_FOR_EACH(i, n) {
    float w = var[i];
    if (wd != 0.0f) w -= w * wd * lr;
    const float mi = m[i] + (g[i] - m[i]) * (1.0f - b1);
    const float vi = v[i] + (g[i] * g[i] - v[i]) * (1.0f - b2);
    m[i] = mi;
    v[i] = vi;
    var[i] = w - (mi * alpha) / (sqrtf(vi) + eps);
  }
}

__global__ void rmsprop_kernel(float* var, const float* g, float* vel, const float* lr_p, float* mom, float* avg, float rho, float eps,
                               float momentum, float wd, int64_t n, const float* skip) {
  if (skip && *skip != 0.0f) return;
  const float lr = *lr_p;
  KILN_FOR_EACH(i, n) {
    float w = var[i];
    if (wd != 0.0f) w -= w * wd * lr;
    const float ve = rho * vel[i] + (1.0f - rho) * g[i] * g[i];
    vel[i] = ve;
    float denominator = ve + eps;
    if (avg) {
      const float av = rho * avg[i] + (1.0f - rho) * g[i];
      avg[i] = av;
      denominator = ve - av * av + eps;
    }
    const float increment = lr * g[i] / sqrtf(denominator);
    if (mom) {
      const float mo = momentum * mom[i] + increment;
      mom[i] = mo;
      w -= mo;
    } else {
      w -= increment;
    }
    var[i] = w;
  }
}

__global__ void moving_average_kernel(float* var, const float* value, float momentum, int64_t n) {
  KILN_FOR_EACH(i, n) var[i] = var[i] * momentum + value[i] * (1.0f - momentum);
}

float f(const kernel_args& a, const char* key, double fallback) { return static_cast<float>(attr_f(a.n, key, fallback)); }

// The optional skip scalar after an update's `inputs`, or null.
const float* skip_input(const kernel_args& a, size_t inputs) { return a.in.size() > inputs ? a.in[inputs].as<float>() : nullptr; }

void apply_sgd(const kernel_args& a) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  const float momentum = f(a, "momentum", 0.0);
  float* m = momentum != 0.0f ? a.in[3].as<float>() : nullptr;
  sgd_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.in[2].as<float>(), m, momentum,
                                                       attr_i(a.n, "nesterov", 0) != 0, f(a, "weight_decay", 0.0), n,
                                                       skip_input(a, m ? 4 : 3));
  launched("apply_sgd");
}

void apply_adam(const kernel_args& a) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  adam_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.in[2].as<float>(), a.in[3].as<float>(),
                                                        a.in[4].as<float>(), a.in[5].as<float>(), f(a, "beta_1", 0.9), f(a, "beta_2", 0.999),
                                                        f(a, "epsilon", 1e-7), f(a, "weight_decay", 0.0), n, skip_input(a, 6));
  launched("apply_adam");
}

void apply_rmsprop(const kernel_args& a) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  const float momentum = f(a, "momentum", 0.0);
  float* mom = momentum != 0.0f ? a.in[4].as<float>() : nullptr;
  float* avg = attr_i(a.n, "centered", 0) != 0 ? a.in[mom ? 5 : 4].as<float>() : nullptr;
  const size_t inputs = 4 + (mom ? 1 : 0) + (avg ? 1 : 0);
  rmsprop_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.in[2].as<float>(), a.in[3].as<float>(),
                                                           mom, avg, f(a, "rho", 0.9), f(a, "epsilon", 1e-7), momentum,
                                                           f(a, "weight_decay", 0.0), n, skip_input(a, inputs));
  launched("apply_rmsprop");
}

void assign_moving_average(const kernel_args& a) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  moving_average_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), f(a, "momentum", 0.99), n);
  launched("assign_moving_average");
}

}  // namespace

void register_optim(kernel_table& t) {
  t.set(kiln_op_apply_sgd, kiln_dtype_f32, apply_sgd);
  t.set(kiln_op_apply_adam, kiln_dtype_f32, apply_adam);
  t.set(kiln_op_apply_rmsprop, kiln_dtype_f32, apply_rmsprop);
  t.set(kiln_op_assign_moving_average, kiln_dtype_f32, assign_moving_average);
}

}  // namespace kiln::cuda
