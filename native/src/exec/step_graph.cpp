#include "exec/step_graph.h"

#include <map>

#include "autodiff/gradients.h"
#include "ir/op_table.h"

namespace kiln {

namespace {

constexpr double kiln_epsilon = 1e-7;  // keras.config.epsilon()

shape_t batched(int64_t batch, const shape_t& shape) {
  shape_t s{batch};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

// Builds losses and metrics with names under a prefix.
struct builder {
  graph& g;
  std::string prefix;

  std::string name(const std::string& what) { return g.unique_name(prefix + "/" + what); }
  int32_t op(kiln_op o, const std::string& what, std::vector<int32_t> in, const attrs& at = {}) {
    return g.add1(o, name(what), in, at);
  }
  int32_t scalar(double v) { return op(kiln_op_fill, "constant", {}, fill_attrs(kiln_dtype_f32, v)); }
  int32_t mean_last(int32_t x) {
    attrs at;
    at.int_lists["axes"] = {-1};
    return op(kiln_op_reduce_mean, "mean", {x}, at);
  }
  int32_t mean_all(int32_t x) { return op(kiln_op_reduce_mean, "mean", {x}); }
  int32_t as_float(int32_t x) {
    if (g.val(x).dtype == kiln_dtype_f32) return x;
    attrs at;
    at.ints["dtype"] = kiln_dtype_f32;
    return op(kiln_op_cast, "cast", {x}, at);
  }
  // Labels of shape [N] (Keras accepts [N, 1] too).
  int32_t labels(int32_t y) {
    if (g.val(y).shape.size() == 1) return y;
    return op(kiln_op_reshape, "labels", {y}, shape_attrs({g.val(y).shape[0]}));
  }
  int32_t clip_probabilities(int32_t p) {
    attrs at;
    at.floats["min"] = kiln_epsilon;
    at.floats["max"] = 1.0 - kiln_epsilon;
    return op(kiln_op_clip, "clip", {p}, at);
  }
  // p / sum(p, -1): what Keras does to probabilities before a categorical cross-entropy.
  int32_t normalise(int32_t p) {
    attrs at;
    at.int_lists["axes"] = {-1};
    at.ints["keepdims"] = 1;
    return op(kiln_op_div, "normalise", {p, op(kiln_op_reduce_sum, "total", {p}, at)});
  }
  int32_t argmax(int32_t x) {
    attrs at;
    at.ints["axis"] = -1;
    return op(kiln_op_argmax, "argmax", {x}, at);
  }
};

// Per-sample loss, as the Keras loss functions compute it before the batch mean.
std::string per_sample_loss(builder& b, const loss_spec& l, int32_t out, int32_t target, int32_t& result) {
  const std::string& t = l.type;
  if (t == "sparse_categorical_crossentropy") {
    const int32_t labels = b.labels(target);
    int32_t logits = out;
    if (!l.from_logits) logits = b.op(kiln_op_log, "log", {b.clip_probabilities(b.normalise(out))});
    result = b.op(kiln_op_sparse_softmax_xent, "xent", {logits, labels});
  } else if (t == "categorical_crossentropy") {
    const int32_t log_p = l.from_logits ? b.op(kiln_op_log_softmax, "log_softmax", {out})
                                        : b.op(kiln_op_log, "log", {b.clip_probabilities(b.normalise(out))});
    attrs at;
    at.int_lists["axes"] = {-1};
    result = b.op(kiln_op_neg, "xent", {b.op(kiln_op_reduce_sum, "sum", {b.op(kiln_op_mul, "product", {target, log_p})}, at)});
  } else if (t == "binary_crossentropy") {
    int32_t elementwise;
    if (l.from_logits) {
      elementwise = b.op(kiln_op_sigmoid_xent, "xent", {out, target});
    } else {
      const int32_t p = b.clip_probabilities(out);
      const int32_t one = b.scalar(1.0);
      const int32_t pos = b.op(kiln_op_mul, "positive", {target, b.op(kiln_op_log, "log_p", {p})});
      const int32_t neg = b.op(kiln_op_mul, "negative", {b.op(kiln_op_sub, "one_minus_target", {one, target}),
                                                          b.op(kiln_op_log, "log_1_minus_p", {b.op(kiln_op_sub, "one_minus_p", {one, p})})});
      elementwise = b.op(kiln_op_neg, "xent", {b.op(kiln_op_add, "sum", {pos, neg})});
    }
    result = b.mean_last(elementwise);
  } else if (t == "mean_squared_error" || t == "mean_absolute_error" || t == "huber") {
    const int32_t diff = b.op(kiln_op_sub, "error", {out, target});
    attrs at;
    at.floats["delta"] = l.delta;
    const kiln_op f = t == "mean_squared_error" ? kiln_op_square : t == "mean_absolute_error" ? kiln_op_abs : kiln_op_huber;
    result = b.mean_last(b.op(f, "elementwise", {diff}, at));
  } else {
    return "unknown loss '" + t + "' (use sparse_categorical_crossentropy, categorical_crossentropy, " +
           "binary_crossentropy, mean_squared_error, mean_absolute_error or huber)";
  }
  return "";
}

std::string metric_value(builder& b, const metric_spec& m, const std::vector<loss_spec>& losses, int32_t out,
                         int32_t target, int32_t& result) {
  std::string type = m.type;
  if (type == "accuracy") {  // Keras resolves "accuracy" from the loss on the same output
    for (const loss_spec& l : losses) {
      if (l.output != m.output) continue;
      if (l.type == "sparse_categorical_crossentropy") type = "sparse_categorical_accuracy";
      else if (l.type == "categorical_crossentropy") type = "categorical_accuracy";
      else if (l.type == "binary_crossentropy") type = "binary_accuracy";
    }
    if (type == "accuracy") return "metric 'accuracy' needs a classification loss on output '" + m.output + "'";
  }
  if (type == "sparse_categorical_accuracy") {
    const int32_t predicted = b.as_float(b.argmax(out));
    result = b.mean_all(b.op(kiln_op_equal, "correct", {predicted, b.as_float(b.labels(target))}));
  } else if (type == "categorical_accuracy") {
    result = b.mean_all(b.op(kiln_op_equal, "correct", {b.as_float(b.argmax(out)), b.as_float(b.argmax(target))}));
  } else if (type == "binary_accuracy") {
    const int32_t predicted = b.op(kiln_op_greater, "predicted", {out, b.scalar(m.threshold)});
    result = b.mean_all(b.op(kiln_op_equal, "correct", {predicted, target}));
  } else if (type == "mean_absolute_error" || type == "mean_squared_error") {
    const kiln_op f = type == "mean_absolute_error" ? kiln_op_abs : kiln_op_square;
    result = b.mean_all(b.op(f, "error", {b.op(kiln_op_sub, "difference", {out, target})}));
  } else {
    return "unknown metric '" + m.type + "' (use accuracy, sparse_categorical_accuracy, categorical_accuracy, " +
           "binary_accuracy, mean_absolute_error or mean_squared_error)";
  }
  return "";
}

// Keras's LossScaleOptimizer: gradients of loss * scale (so that small gradients do not flush to
// zero in float16), checked for NaN and Inf as they come, then divided by the scale before the
// optimizer, whose clipping sees them unscaled as Keras's inner optimizer does.
std::vector<int32_t> scaled_gradients(graph& g, step_graph& s, const std::vector<int32_t>& wrt) {
  s.loss_scale = g.input("optimizer/loss_scale", {}, kiln_dtype_f32);
  const int32_t scaled = g.add1(kiln_op_mul, "optimizer/scaled_loss", {s.loss, s.loss_scale});
  std::vector<int32_t> grads = add_gradients(g, scaled, wrt);
  if (g.failed() || grads.empty()) return grads;
  s.non_finite = g.add1(kiln_op_any_non_finite, "optimizer/non_finite", grads);
  for (size_t i = 0; i < grads.size(); ++i) {
    grads[i] = g.add1(kiln_op_div, g.unique_name(g.val(wrt[i]).name + "/unscaled_gradient"), {grads[i], s.loss_scale});
  }
  return grads;
}

}  // namespace

std::string build_step_graph(const model_spec& spec, int64_t batch, run_mode mode, step_graph& s) {
  graph& g = s.g;
  s.batch = batch;
  s.mode = mode;
  std::map<std::string, int32_t> names;  // the spec's namespace
  auto define = [&](const std::string& name, int32_t id) -> std::string {
    if (names.count(name)) return "'" + name + "' is defined twice";
    names[name] = id;
    return "";
  };
  auto lookup = [&](const std::string& name, const std::string& user, int32_t& id) -> std::string {
    auto it = names.find(name);
    if (it == names.end()) return user + ": '" + name + "' is not defined before it (a dangling input or a cycle)";
    id = it->second;
    return "";
  };

  for (const tensor_spec& t : spec.inputs) {
    s.inputs.push_back(g.input(t.name, batched(batch, t.shape), t.dtype));
    if (g.failed()) return g.error();
    if (std::string e = define(t.name, s.inputs.back()); !e.empty()) return e;
  }
  for (const param_spec& p : spec.params) {
    s.params.push_back(g.param(p.name, p.shape, kiln_dtype_f32, p.trainable));
    if (g.failed()) return g.error();
    if (std::string e = define(p.name, s.params.back()); !e.empty()) return e;
  }
  const std::string mode_name = mode == run_mode::train ? "train" : "infer";
  for (const node_spec& n : spec.nodes) {
    if (!n.mode.empty() && n.mode != mode_name) continue;
    const std::string where = "node '" + n.name + "' (" + n.op + ")";
    const kiln_op op = op_by_name(n.op);
    if (op == kiln_op_count || (op_row(op).flags & (kiln_opf_source | kiln_opf_effect))) return where + ": unknown op '" + n.op + "'";
    std::vector<int32_t> in;
    for (const std::string& name : n.inputs) {
      int32_t id;
      if (std::string e = lookup(name, where, id); !e.empty()) return e;
      in.push_back(id);
    }
    if ((op == kiln_op_dropout || op == kiln_op_gaussian_noise || op == kiln_op_random_affine || op == kiln_op_random_color) && in.size() == 1) {  // each random node gets its own seed per step
      s.dropout_seeds.push_back(g.input(n.name + "/seed", {}, kiln_dtype_i32));
      in.push_back(s.dropout_seeds.back());
    }
    kiln::attrs at = n.at;
    for (const char* key : {"shape", "input_shape"}) {  // a leading -1 (of several dims) is the batch size
      auto* shape = at.list(key);
      if (shape && shape->size() > 1 && (*shape)[0] == -1) at.int_lists[key][0] = batch;
    }
    const std::vector<int32_t> outs = g.add(op, n.name, in, at);
    if (g.failed()) return g.error();
    if (!n.outputs.empty() && n.outputs.size() != outs.size()) {
      return where + ": names " + std::to_string(n.outputs.size()) + " outputs but the op has " + std::to_string(outs.size());
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      const std::string name = n.outputs.empty() ? g.val(outs[i]).name : n.outputs[i];
      if (std::string e = define(name, outs[i]); !e.empty()) return where + ": " + e;
    }
  }
  for (const std::string& o : spec.outputs) {
    int32_t id;
    if (std::string e = lookup(o, "model output", id); !e.empty()) return e;
    s.outputs.push_back(id);
  }
  for (const tensor_spec& t : spec.targets) {
    s.targets.push_back(g.input(t.name, batched(batch, t.shape), t.dtype));
    if (g.failed()) return g.error();
    if (std::string e = define(t.name, s.targets.back()); !e.empty()) return e;
  }

  // Losses: each per-sample loss averaged over the batch, weighted, summed; then regularizers.
  builder b{g, "loss"};
  for (const loss_spec& l : spec.losses) {
    int32_t out, target, per_sample = kiln_no_value;
    if (std::string e = lookup(l.output, "loss " + l.type, out); !e.empty()) return e;
    if (std::string e = lookup(l.target, "loss " + l.type, target); !e.empty()) return e;
    if (std::string e = per_sample_loss(b, l, out, target, per_sample); !e.empty()) return e;
    s.loss_outputs.push_back(out);
    int32_t term = b.mean_all(per_sample);
    if (l.weight != 1.0) term = b.op(kiln_op_mul, "weighted", {term, b.scalar(l.weight)});
    s.loss = s.loss == kiln_no_value ? term : b.op(kiln_op_add, "total", {s.loss, term});
    if (g.failed()) return "loss " + l.type + " on '" + l.output + "': " + g.error();
  }
  for (size_t i = 0; i < spec.params.size(); ++i) {
    const param_spec& p = spec.params[i];
    for (const auto& [factor, f] : {std::pair<double, kiln_op>{p.l1, kiln_op_abs}, {p.l2, kiln_op_square}}) {
      if (factor == 0.0 || s.loss == kiln_no_value) continue;
      builder r{g, p.name + "/regularizer"};
      const int32_t term = r.op(kiln_op_mul, "scaled", {r.op(kiln_op_reduce_sum, "sum", {r.op(f, "elementwise", {s.params[i]})}), r.scalar(factor)});
      s.loss = r.op(kiln_op_add, "total", {s.loss, term});
    }
  }
  builder mb{g, "metrics"};
  for (const metric_spec& m : spec.metrics) {
    int32_t out, target, v = kiln_no_value;
    if (std::string e = lookup(m.output, "metric " + m.name, out); !e.empty()) return e;
    if (std::string e = lookup(m.target, "metric " + m.name, target); !e.empty()) return e;
    if (std::string e = metric_value(mb, m, spec.losses, out, target, v); !e.empty()) return e;
    if (g.failed()) return "metric " + m.name + ": " + g.error();
    s.metrics.push_back(v);
  }
  if (mode != run_mode::train) return g.failed() ? g.error() : "";

  if (s.loss == kiln_no_value) return "training needs a loss";
  std::vector<int32_t> trainable;
  for (size_t i = 0; i < spec.params.size(); ++i) if (spec.params[i].trainable) trainable.push_back(s.params[i]);
  const std::vector<int32_t> grads = spec.precision == "mixed_float16" ? scaled_gradients(g, s, trainable) : add_gradients(g, s.loss, trainable);
  if (g.failed()) return g.error();
  s.gradients = grads;
  s.updates = append_updates(g, spec.optimizer, trainable, grads, s.non_finite);
  if (g.failed()) return g.error();
  s.effect_nodes = s.updates.nodes;
  for (const moving_average_spec& m : spec.moving_averages) {
    int32_t var, v;
    if (std::string e = lookup(m.var, "moving average", var); !e.empty()) return e;
    if (std::string e = lookup(m.value, "moving average of '" + m.var + "'", v); !e.empty()) return e;
    attrs at;
    at.floats["momentum"] = m.momentum;
    g.add(kiln_op_assign_moving_average, g.unique_name(m.var + "/update"), {var, v}, at);
    if (g.failed()) return g.error();
    s.effect_nodes.push_back(static_cast<int32_t>(g.nodes().size()) - 1);
  }
  return "";
}

std::string check_model_spec(const model_spec& spec) {
  for (run_mode mode : {run_mode::train, run_mode::infer}) {
    step_graph s;
    if (std::string e = build_step_graph(spec, 1, mode, s); !e.empty()) return e;
  }
  return "";
}

}  // namespace kiln
