// Optimizer updates and moving averages, element by element, exactly as Keras 3 writes them
// (keras/src/optimizers/{sgd,adam,rmsprop}.py and base_optimizer.py's weight decay).
#include <cmath>

#include "reference/reference.h"

namespace kiln {

namespace {

template <typename T>
T scalar(const tensor_view& v) { return *v.as<T>(); }

// The optional skip input after the update's `inputs`: nonzero leaves var and its slots as they
// are (mixed_float16's loss scaling found a non-finite gradient).
template <typename T>
bool skipped(const kernel_args& a, size_t inputs) { return a.in.size() > inputs && scalar<T>(a.in[inputs]) != T(0); }

// Decoupled weight decay, applied before the update as Keras does: var -= var * wd * lr.
template <typename T>
void weight_decay(const kernel_args& a, T lr) {
  const T wd = static_cast<T>(a.n.at.f("weight_decay", 0.0));
  if (wd == T(0)) return;
  T* var = a.in[0].as<T>();
  for (int64_t i = 0; i < a.in[0].size; ++i) var[i] -= var[i] * wd * lr;
}

template <typename T>
void apply_sgd(const kernel_args& a) {
  T* var = a.in[0].as<T>();
  const T* g = a.in[1].as<T>();
  const T lr = scalar<T>(a.in[2]);
  const T momentum = static_cast<T>(a.n.at.f("momentum", 0.0));
  if (skipped<T>(a, momentum == T(0) ? 3 : 4)) return;
  weight_decay<T>(a, lr);
  if (momentum == T(0)) {
    for (int64_t i = 0; i < a.in[0].size; ++i) var[i] -= g[i] * lr;
    return;
  }
  T* m = a.in[3].as<T>();
  const bool nesterov = a.n.at.i("nesterov", 0) != 0;
  for (int64_t i = 0; i < a.in[0].size; ++i) {
    m[i] = -g[i] * lr + m[i] * momentum;
    var[i] += nesterov ? -g[i] * lr + m[i] * momentum : m[i];
  }
}

template <typename T>
void apply_adam(const kernel_args& a) {
  if (skipped<T>(a, 6)) return;
  T* var = a.in[0].as<T>();
  const T* g = a.in[1].as<T>();
  T* m = a.in[2].as<T>();
  T* v = a.in[3].as<T>();
  const T lr = scalar<T>(a.in[4]);
  const T step = scalar<T>(a.in[5]);  // 1 on the first update
  const T b1 = static_cast<T>(a.n.at.f("beta_1", 0.9));
  const T b2 = static_cast<T>(a.n.at.f("beta_2", 0.999));
  const T eps = static_cast<T>(a.n.at.f("epsilon", 1e-7));
  weight_decay<T>(a, lr);
  const T alpha = lr * std::sqrt(T(1) - std::pow(b2, step)) / (T(1) - std::pow(b1, step));
  for (int64_t i = 0; i < a.in[0].size; ++i) {
    m[i] += (g[i] - m[i]) * (T(1) - b1);
    v[i] += (g[i] * g[i] - v[i]) * (T(1) - b2);
    var[i] -= (m[i] * alpha) / (std::sqrt(v[i]) + eps);
  }
}

template <typename T>
void apply_rmsprop(const kernel_args& a) {
  T* var = a.in[0].as<T>();
  const T* g = a.in[1].as<T>();
  T* vel = a.in[2].as<T>();
  const T lr = scalar<T>(a.in[3]);
  const T rho = static_cast<T>(a.n.at.f("rho", 0.9));
  const T eps = static_cast<T>(a.n.at.f("epsilon", 1e-7));
  const T momentum = static_cast<T>(a.n.at.f("momentum", 0.0));
  const bool centered = a.n.at.i("centered", 0) != 0;
  T* mom = momentum != T(0) ? a.in[4].as<T>() : nullptr;
  const size_t avg_index = mom ? 5 : 4;
  T* avg = centered ? a.in[avg_index].as<T>() : nullptr;
  if (skipped<T>(a, avg_index + (centered ? 1 : 0))) return;
  weight_decay<T>(a, lr);
  for (int64_t i = 0; i < a.in[0].size; ++i) {
    vel[i] = rho * vel[i] + (T(1) - rho) * g[i] * g[i];
    T denominator = vel[i] + eps;
    if (avg) {
      avg[i] = rho * avg[i] + (T(1) - rho) * g[i];
      denominator = vel[i] - avg[i] * avg[i] + eps;
    }
    const T increment = lr * g[i] / std::sqrt(denominator);
    if (mom) {
      mom[i] = momentum * mom[i] + increment;
      var[i] -= mom[i];
    } else {
      var[i] -= increment;
    }
  }
}

template <typename T>
void assign_moving_average(const kernel_args& a) {
  T* var = a.in[0].as<T>();
  const T* value = a.in[1].as<T>();
  const T momentum = static_cast<T>(a.n.at.f("momentum", 0.99));
  for (int64_t i = 0; i < a.in[0].size; ++i) var[i] = var[i] * momentum + value[i] * (T(1) - momentum);
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_apply_sgd, d, apply_sgd<T>);
  t.set(kiln_op_apply_adam, d, apply_adam<T>);
  t.set(kiln_op_apply_rmsprop, d, apply_rmsprop<T>);
  t.set(kiln_op_assign_moving_average, d, assign_moving_average<T>);
}

}  // namespace

void register_reference_optim(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
}

}  // namespace kiln
