// Batch normalisation, layer normalisation and dropout, with Keras 3 / TensorFlow semantics.
//
// Both normalisations use the biased (population) variance, as tf.nn.moments does, and compute
// y = x * inv + (beta - mean * inv) with inv = gamma / sqrt(var + epsilon), as
// tf.nn.batch_normalization does. Keras's epsilon default is 1e-3 for both layers.
//
// The moving statistics of BatchNormalization are not updated here: that will be an
// optimizer-style op. Keras 3 (keras/src/layers/normalization/batch_normalization.py) updates
//   moving_mean = moving_mean * momentum + batch_mean * (1 - momentum)
//   moving_var  = moving_var  * momentum + batch_var  * (1 - momentum)     (momentum 0.99)
// with the same biased batch variance that normalises the batch (ops.moments, not Bessel-
// corrected), so batch_norm_train's batch_var output is the one to feed that update.
#include <sstream>

#include "ir/op_table.h"

namespace kiln {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string check_epsilon(const shape_ctx& c) {
  const double eps = c.at.f("epsilon", 1e-3);
  if (!(eps >= 0)) return "epsilon must not be negative, got " + number(eps);
  return "";
}

// Checks that input i is a float vector of length n; `what` names it in the message.
std::string check_vector(const shape_ctx& c, size_t i, const char* what, int64_t n, const std::string& why) {
  if (c.in_dtypes[i] != c.in_dtypes[0]) {
    return std::string(what) + " must have x's dtype " + dtype_name(c.in_dtypes[0]) + ", got " + dtype_name(c.in_dtypes[i]);
  }
  if (c.in_shapes[i] != shape_t{n}) {
    return std::string(what) + " must have shape [" + std::to_string(n) + "] to match " + why + ", got " +
           shape_string(c.in_shapes[i]);
  }
  return "";
}

// The normalised axis of x for the batch norm ops; "" when valid.
std::string channel_axis(const shape_ctx& c, int64_t& axis) {
  const shape_t& x = c.in_shapes[0];
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (x.empty()) return "needs an input of rank 1 or more, got a scalar";
  const int64_t given = c.at.i("axis", -1);
  if (!normalise_axis(given, x.size(), axis)) {
    return "axis " + std::to_string(given) + " is out of range for x of shape " + shape_string(x);
  }
  return check_epsilon(c);
}

// Checks the listed inputs as per-channel vectors: [C] with C = x's size along the channel axis.
std::string check_channels(const shape_ctx& c, int64_t axis, const std::vector<std::pair<size_t, const char*>>& vectors) {
  const shape_t& x = c.in_shapes[0];
  const std::string why = "axis " + std::to_string(c.at.i("axis", -1)) + " of x " + shape_string(x);
  for (const auto& v : vectors) {
    const std::string problem = check_vector(c, v.first, v.second, x[static_cast<size_t>(axis)], why);
    if (!problem.empty()) return problem;
  }
  return "";
}

std::string batch_norm_train_shape(shape_ctx& c) {
  int64_t axis = 0;
  std::string problem = channel_axis(c, axis);
  if (problem.empty()) problem = check_channels(c, axis, {{1, "gamma"}, {2, "beta"}});
  if (!problem.empty()) return problem;
  const shape_t channels{c.in_shapes[0][static_cast<size_t>(axis)]};
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  c.set_output(channels, c.in_dtypes[0]);
  c.set_output(channels, c.in_dtypes[0]);
  return "";
}

std::string batch_norm_infer_shape(shape_ctx& c) {
  int64_t axis = 0;
  std::string problem = channel_axis(c, axis);
  if (problem.empty()) {
    problem = check_channels(c, axis, {{1, "gamma"}, {2, "beta"}, {3, "moving_mean"}, {4, "moving_var"}});
  }
  if (!problem.empty()) return problem;
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

std::string batch_norm_grad_shape(shape_ctx& c) {
  int64_t axis = 0;
  std::string problem = channel_axis(c, axis);
  if (problem.empty()) problem = check_channels(c, axis, {{1, "gamma"}, {2, "batch_mean"}, {3, "batch_var"}});
  if (!problem.empty()) return problem;
  if (c.in_shapes[4] != c.in_shapes[0] || c.in_dtypes[4] != c.in_dtypes[0]) {
    return "dy must match x " + shape_string(c.in_shapes[0]) + ", got " + shape_string(c.in_shapes[4]);
  }
  const shape_t channels{c.in_shapes[0][static_cast<size_t>(axis)]};
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  c.set_output(channels, c.in_dtypes[0]);
  c.set_output(channels, c.in_dtypes[0]);
  return "";
}

// dx accounts for y's dependence on x through the batch statistics; gradients arriving at the
// batch_mean / batch_var outputs themselves are dropped (Keras only assigns them to the moving
// statistics, outside the differentiated computation).
void batch_norm_train_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (dy == kiln_no_value) return;
  const std::vector<int32_t> d =
      c.g.add(kiln_op_batch_norm_grad, c.name("batch_norm_grad"), {c.in(0), c.in(1), c.out(1), c.out(2), dy}, c.n.at);
  if (d.size() != 3) return;
  for (size_t i = 0; i < 3; ++i) if (c.needs[i]) c.set(i, d[i]);
}

// y = (x - mm) * s + beta with s = gamma / sqrt(mv + eps), differentiated with elementwise ops.
// Per-channel vectors broadcast against x through `keep` (C at the channel axis, 1 elsewhere;
// just [C] when the channel axis is the last), and per-channel gradients are summed back to it.
void batch_norm_infer_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  const shape_t& x_shape = c.in_shape(0);
  const kiln_dtype dtype = c.g.val(c.in(0)).dtype;
  int64_t axis = 0;
  normalise_axis(c.n.at.i("axis", -1), x_shape.size(), axis);
  const shape_t channels{x_shape[static_cast<size_t>(axis)]};
  shape_t keep = channels;
  if (static_cast<size_t>(axis) + 1 != x_shape.size()) {
    keep.assign(x_shape.size(), 1);
    keep[static_cast<size_t>(axis)] = channels[0];
  }
  auto reshaped = [&](int32_t v, const shape_t& shape, const char* what) {
    if (c.g.val(v).shape == shape) return v;
    return c.g.add1(kiln_op_reshape, c.name(what), {v}, shape_attrs(shape));
  };
  auto per_channel_sum = [&](int32_t v, const char* what) {
    return reshaped(c.g.add1(kiln_op_sum_to, c.name(std::string(what) + "_keep"), {v}, shape_attrs(keep)), channels, what);
  };

  const int32_t eps = c.g.add1(kiln_op_fill, c.name("epsilon"), {}, fill_attrs(dtype, c.n.at.f("epsilon", 1e-3)));
  const int32_t var_eps = c.g.add1(kiln_op_add, c.name("var_eps"), {c.in(4), eps});
  const int32_t std_dev = c.g.add1(kiln_op_sqrt, c.name("std"), {var_eps});
  const int32_t s = c.g.add1(kiln_op_div, c.name("scale"), {c.in(1), std_dev});

  if (c.needs[0]) c.set(0, c.g.add1(kiln_op_mul, c.name("dx"), {dy, reshaped(s, keep, "scale_keep")}));
  if (c.needs[1] || c.needs[4]) {
    const int32_t centred = c.g.add1(kiln_op_sub, c.name("centred"), {c.in(0), reshaped(c.in(3), keep, "moving_mean_keep")});
    const int32_t sum = per_channel_sum(c.g.add1(kiln_op_mul, c.name("dy_centred"), {dy, centred}), "dy_centred");
    // dgamma = sum(dy * (x - mm)) / sqrt(mv + eps)
    if (c.needs[1]) c.set(1, c.g.add1(kiln_op_div, c.name("dgamma"), {sum, std_dev}));
    // dmv = sum(dy * (x - mm)) * gamma * -1/2 (mv + eps)^-3/2 = -1/2 * sum * s / (mv + eps)
    if (c.needs[4]) {
      const int32_t t = c.g.add1(kiln_op_div, c.name("per_var"), {c.g.add1(kiln_op_mul, c.name("sum_scale"), {sum, s}), var_eps});
      const int32_t half = c.g.add1(kiln_op_fill, c.name("minus_half"), {}, fill_attrs(dtype, -0.5));
      c.set(4, c.g.add1(kiln_op_mul, c.name("dmoving_var"), {t, half}));
    }
  }
  if (c.needs[2] || c.needs[3]) {
    const int32_t dbeta = per_channel_sum(dy, "dbeta");
    if (c.needs[2]) c.set(2, dbeta);
    // dmm = -sum(dy) * s
    if (c.needs[3]) c.set(3, c.g.add1(kiln_op_neg, c.name("dmoving_mean"), {c.g.add1(kiln_op_mul, c.name("dbeta_scale"), {dbeta, s})}));
  }
}

std::string layer_norm_shape(shape_ctx& c) {
  const shape_t& x = c.in_shapes[0];
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (x.empty()) return "needs an input of rank 1 or more, got a scalar";
  std::string problem = check_epsilon(c);
  const std::string why = "the last axis of x " + shape_string(x);
  if (problem.empty()) problem = check_vector(c, 1, "gamma", x.back(), why);
  if (problem.empty()) problem = check_vector(c, 2, "beta", x.back(), why);
  if (!problem.empty()) return problem;
  const shape_t rows(x.begin(), x.end() - 1);
  c.set_output(x, c.in_dtypes[0]);
  c.set_output(rows, c.in_dtypes[0]);
  c.set_output(rows, c.in_dtypes[0]);
  return "";
}

std::string layer_norm_grad_shape(shape_ctx& c) {
  const shape_t& x = c.in_shapes[0];
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (x.empty()) return "needs an input of rank 1 or more, got a scalar";
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  std::string problem = check_epsilon(c);
  if (problem.empty()) problem = check_vector(c, 1, "gamma", x.back(), "the last axis of x " + shape_string(x));
  if (!problem.empty()) return problem;
  const shape_t rows(x.begin(), x.end() - 1);
  if (c.in_shapes[2] != rows || c.in_shapes[3] != rows) {
    return "mean and rstd must have shape " + shape_string(rows) + ", got " + shape_string(c.in_shapes[2]) + " and " +
           shape_string(c.in_shapes[3]);
  }
  if (c.in_shapes[4] != x) return "dy must match x " + shape_string(x) + ", got " + shape_string(c.in_shapes[4]);
  c.set_output(x, c.in_dtypes[0]);
  c.set_output(c.in_shapes[1], c.in_dtypes[0]);
  c.set_output(c.in_shapes[1], c.in_dtypes[0]);
  return "";
}

// As batch_norm_train: gradients arriving at the saved mean and rstd outputs are dropped.
void layer_norm_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (dy == kiln_no_value) return;
  const std::vector<int32_t> d =
      c.g.add(kiln_op_layer_norm_grad, c.name("layer_norm_grad"), {c.in(0), c.in(1), c.out(1), c.out(2), dy}, c.n.at);
  if (d.size() != 3) return;
  for (size_t i = 0; i < 3; ++i) if (c.needs[i]) c.set(i, d[i]);
}

std::string dropout_shape(shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_dtypes[1] != kiln_dtype_i32 || !c.in_shapes[1].empty()) {
    return std::string("seed must be an int32 scalar, got ") + dtype_name(c.in_dtypes[1]) + " " + shape_string(c.in_shapes[1]);
  }
  if (!c.at.has("rate")) return "needs a rate attribute in [0, 1)";
  const double rate = c.at.f("rate", 0);
  if (!(rate >= 0 && rate < 1)) return "rate must be in [0, 1), got " + number(rate);
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

// dx = dy * mask * (1 / (1 - rate)), the same factor the forward kernel applies (as tf.nn.dropout).
void dropout_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (dy == kiln_no_value || !c.needs[0]) return;
  const double scale = 1.0 / (1.0 - c.n.at.f("rate", 0));
  const int32_t kept = c.g.add1(kiln_op_mul, c.name("dy_mask"), {dy, c.out(1)});
  const int32_t factor = c.g.add1(kiln_op_fill, c.name("scale"), {}, fill_attrs(c.g.val(c.in(0)).dtype, scale));
  c.set(0, c.g.add1(kiln_op_mul, c.name("dx"), {kept, factor}));
}

std::string gaussian_noise_shape(shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_dtypes[1] != kiln_dtype_i32 || !c.in_shapes[1].empty()) {
    return std::string("seed must be an int32 scalar, got ") + dtype_name(c.in_dtypes[1]) + " " + shape_string(c.in_shapes[1]);
  }
  const double stddev = c.at.f("stddev", -1);
  if (!(stddev >= 0)) return "needs a stddev attribute of at least 0";
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

// The noise does not depend on x: dx = dy.
void gaussian_noise_vjp(vjp_ctx& c) {
  if (c.needs[0]) c.set(0, c.out_grads[0]);
}

}  // namespace

void describe_norm_ops(op_info* t) {
  t[kiln_op_batch_norm_train] = {"batch_norm_train", 3, 3, batch_norm_train_shape, batch_norm_train_vjp, kiln_opf_none};
  t[kiln_op_batch_norm_infer] = {"batch_norm_infer", 5, 5, batch_norm_infer_shape, batch_norm_infer_vjp, kiln_opf_none};
  t[kiln_op_batch_norm_grad] = {"batch_norm_grad", 5, 5, batch_norm_grad_shape, nullptr, kiln_opf_none};
  t[kiln_op_layer_norm] = {"layer_norm", 3, 3, layer_norm_shape, layer_norm_vjp, kiln_opf_none};
  t[kiln_op_layer_norm_grad] = {"layer_norm_grad", 5, 5, layer_norm_grad_shape, nullptr, kiln_opf_none};
  t[kiln_op_dropout] = {"dropout", 2, 2, dropout_shape, dropout_vjp, kiln_opf_none};
  t[kiln_op_gaussian_noise] = {"gaussian_noise", 2, 2, gaussian_noise_shape, gaussian_noise_vjp, kiln_opf_none};
}

}  // namespace kiln
