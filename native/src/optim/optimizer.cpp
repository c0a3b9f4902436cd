#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>

#include "ir/op_table.h"

namespace kiln {

namespace {

constexpr double kiln_pi = 3.14159265358979323846;

std::string check_schedule(const schedule_spec& s) {
  if (s.type == "constant") return "";
  if (s.type == "exponential") {
    if (!(s.decay_steps > 0)) return "the exponential schedule needs decay_steps > 0";
    if (!(s.decay_rate > 0)) return "the exponential schedule needs decay_rate > 0";
    return "";
  }
  if (s.type == "cosine") {
    if (!(s.decay_steps > 0)) return "the cosine schedule needs decay_steps > 0";
    if (s.alpha < 0 || s.alpha > 1) return "the cosine schedule's alpha must be between 0 and 1";
    return "";
  }
  if (s.type == "warmup") {
    if (!(s.warmup_steps > 0) || !(s.warmup_target > 0)) return "the warmup schedule needs warmup_steps > 0 and warmup_target > 0";
    return "";
  }
  if (s.type == "piecewise") {
    if (s.values.size() != s.boundaries.size() + 1) return "the piecewise schedule needs one more value than boundaries";
    if (!std::is_sorted(s.boundaries.begin(), s.boundaries.end())) return "the piecewise schedule's boundaries must increase";
    return "";
  }
  return "unknown learning-rate schedule '" + s.type + "' (use constant, exponential, cosine, piecewise or warmup)";
}

// clip_by_norm as TensorFlow and Keras define it: g * c / max(||g||, c).
int32_t clip_by_norm(graph& g, const std::string& base, int32_t grad, int32_t norm, double c) {
  const int32_t limit = g.add1(kiln_op_fill, g.unique_name(base + "/clip/limit"), {}, fill_attrs(kiln_dtype_f32, c));
  const int32_t denom = g.add1(kiln_op_maximum, g.unique_name(base + "/clip/denominator"), {norm, limit});
  const int32_t scale = g.add1(kiln_op_div, g.unique_name(base + "/clip/scale"), {limit, denom});
  return g.add1(kiln_op_mul, g.unique_name(base + "/clip"), {grad, scale});
}

int32_t squared_norm(graph& g, const std::string& base, int32_t grad) {
  const int32_t sq = g.add1(kiln_op_square, g.unique_name(base + "/clip/square"), {grad});
  return g.add1(kiln_op_reduce_sum, g.unique_name(base + "/clip/sum"), {sq});
}

int32_t slot(graph& g, const value& w, const std::string& what, update_ops& out) {
  const int32_t id = g.param(w.name + "/" + what, w.shape, w.dtype, false);
  out.slots.push_back(id);
  return id;
}

}  // namespace

std::string resolve_optimizer(optimizer_spec& s) {
  const std::string& t = s.type;
  if (t != "sgd" && t != "adam" && t != "adamw" && t != "rmsprop") {
    return "unknown optimizer '" + t + "' (use sgd, adam, adamw or rmsprop)";
  }
  if (s.learning_rate < 0) s.learning_rate = t == "sgd" ? 0.01 : 0.001;
  if (s.weight_decay < 0) s.weight_decay = t == "adamw" ? 0.004 : 0.0;
  if (!(s.learning_rate > 0) || !std::isfinite(s.learning_rate)) return "the learning rate must be a positive number";
  if (s.momentum < 0 || s.momentum > 1) return "momentum must be between 0 and 1";
  if (s.beta_1 < 0 || s.beta_1 >= 1 || s.beta_2 < 0 || s.beta_2 >= 1) return "beta_1 and beta_2 must be in [0, 1)";
  if (!(s.epsilon > 0)) return "epsilon must be positive";
  if (s.rho < 0 || s.rho >= 1) return "rho must be in [0, 1)";
  if (s.clipnorm < 0 || s.global_clipnorm < 0 || s.clipvalue < 0) return "clipping thresholds must be positive";
  const int clips = (s.clipnorm > 0) + (s.global_clipnorm > 0) + (s.clipvalue > 0);
  if (clips > 1) return "only one of clipnorm, global_clipnorm and clipvalue can be set (as in Keras)";
  return check_schedule(s.schedule);
}

double learning_rate_at(const optimizer_spec& spec, int64_t iterations) {
  const schedule_spec& s = spec.schedule;
  const double lr = spec.learning_rate;
  const double step = static_cast<double>(iterations);
  if (s.type == "exponential") {
    double p = step / s.decay_steps;
    if (s.staircase) p = std::floor(p);
    return lr * std::pow(s.decay_rate, p);
  }
  if (s.type == "warmup") {
    return step < s.warmup_steps ? lr + (s.warmup_target - lr) * step / s.warmup_steps : s.warmup_target;
  }
  if (s.type == "cosine") {
    double base = lr, t = step;
    if (s.warmup_target > 0 && s.warmup_steps > 0) {
      if (step < s.warmup_steps) return lr + (s.warmup_target - lr) * step / s.warmup_steps;
      base = s.warmup_target;
      t = step - s.warmup_steps;
    }
    const double done = std::min(t, s.decay_steps) / s.decay_steps;
    const double cosine = 0.5 * (1.0 + std::cos(kiln_pi * done));
    return base * ((1.0 - s.alpha) * cosine + s.alpha);
  }
  if (s.type == "piecewise") {
    // As PiecewiseConstantDecay: values[i] while step <= boundaries[i].
    for (size_t i = 0; i < s.boundaries.size(); ++i) if (step <= s.boundaries[i]) return s.values[i];
    return s.values.back();
  }
  return lr;
}

update_ops append_updates(graph& g, const optimizer_spec& s, const std::vector<int32_t>& weights,
                          const std::vector<int32_t>& grads, int32_t skip) {
  update_ops out;
  out.lr = g.input("optimizer/learning_rate", {}, kiln_dtype_f32);
  out.step = g.input("optimizer/iteration", {}, kiln_dtype_f32);
  std::vector<int32_t> clipped = grads;
  if (s.global_clipnorm > 0 && !grads.empty()) {
    int32_t total = kiln_no_value;
    for (size_t i = 0; i < grads.size(); ++i) {
      const int32_t part = squared_norm(g, g.val(weights[i]).name, grads[i]);
      total = total == kiln_no_value ? part : g.add1(kiln_op_add, g.unique_name("optimizer/global_norm/sum"), {total, part});
    }
    const int32_t norm = g.add1(kiln_op_sqrt, "optimizer/global_norm", {total});
    for (size_t i = 0; i < grads.size(); ++i) clipped[i] = clip_by_norm(g, g.val(weights[i]).name, grads[i], norm, s.global_clipnorm);
  }
  for (size_t i = 0; i < grads.size(); ++i) {
    const value w = g.val(weights[i]);
    if (s.clipnorm > 0) {
      const int32_t norm = g.add1(kiln_op_sqrt, g.unique_name(w.name + "/clip/norm"), {squared_norm(g, w.name, grads[i])});
      clipped[i] = clip_by_norm(g, w.name, grads[i], norm, s.clipnorm);
    } else if (s.clipvalue > 0) {
      attrs at;
      at.floats["min"] = -s.clipvalue;
      at.floats["max"] = s.clipvalue;
      clipped[i] = g.add1(kiln_op_clip, g.unique_name(w.name + "/clip"), {grads[i]}, at);
    }
    attrs at;
    at.floats["weight_decay"] = s.weight_decay;
    const std::string name = g.unique_name(w.name + "/update");
    if (s.type == "sgd") {
      at.floats["momentum"] = s.momentum;
      at.ints["nesterov"] = s.nesterov ? 1 : 0;
      std::vector<int32_t> in = {weights[i], clipped[i], out.lr};
      if (s.momentum != 0) in.push_back(slot(g, w, "momentum", out));
      if (skip != kiln_no_value) in.push_back(skip);
      g.add(kiln_op_apply_sgd, name, in, at);
    } else if (s.type == "adam" || s.type == "adamw") {
      at.floats["beta_1"] = s.beta_1;
      at.floats["beta_2"] = s.beta_2;
      at.floats["epsilon"] = s.epsilon;
      const int32_t m = slot(g, w, "m", out);
      const int32_t v = slot(g, w, "v", out);
      std::vector<int32_t> in = {weights[i], clipped[i], m, v, out.lr, out.step};
      if (skip != kiln_no_value) in.push_back(skip);
      g.add(kiln_op_apply_adam, name, in, at);
    } else {
      at.floats["rho"] = s.rho;
      at.floats["momentum"] = s.momentum;
      at.floats["epsilon"] = s.epsilon;
      at.ints["centered"] = s.centered ? 1 : 0;
      std::vector<int32_t> in = {weights[i], clipped[i], slot(g, w, "velocity", out), out.lr};
      if (s.momentum != 0) in.push_back(slot(g, w, "momentum", out));
      if (s.centered) in.push_back(slot(g, w, "average_gradient", out));
      if (skip != kiln_no_value) in.push_back(skip);
      g.add(kiln_op_apply_rmsprop, name, in, at);
    }
    if (g.failed()) return out;
    out.nodes.push_back(static_cast<int32_t>(g.nodes().size()) - 1);
  }
  return out;
}

}  // namespace kiln
