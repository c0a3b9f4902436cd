// softmax, log_softmax and the classification losses built on them.
#include "ir/op_table.h"

namespace kiln {

namespace {

std::string softmax_shape(shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_shapes[0].empty()) return "needs an input of rank 1 or more (it works over the last axis), got a scalar";
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

// (y, dy): the forward output and the gradient flowing into it.
std::string softmax_grad_shape(shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  if (c.in_shapes[0] != c.in_shapes[1]) {
    return "y and dy must have one shape, got " + shape_string(c.in_shapes[0]) + " and " + shape_string(c.in_shapes[1]);
  }
  return softmax_shape(c);
}

std::string sparse_labels_problem(const shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("logits must be float, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_dtypes[1] != kiln_dtype_i32) return std::string("labels must be int32 class indices, got ") + dtype_name(c.in_dtypes[1]);
  const shape_t& logits = c.in_shapes[0];
  if (logits.empty()) return "logits must have a class axis, got a scalar";
  if (shape_t(logits.begin(), logits.end() - 1) != c.in_shapes[1]) {
    return "labels must have the shape of the logits without the class axis: logits are " + shape_string(logits) +
           ", so labels should be " + shape_string(shape_t(logits.begin(), logits.end() - 1)) + ", got " +
           shape_string(c.in_shapes[1]);
  }
  return "";
}

// Labels' values are unseen here: an out-of-range label gives its row a NaN loss and gradient.
std::string sparse_softmax_xent_shape(shape_ctx& c) {
  const std::string problem = sparse_labels_problem(c);
  if (!problem.empty()) return problem;
  c.set_output(c.in_shapes[1], c.in_dtypes[0]);
  return "";
}

std::string sparse_softmax_xent_grad_shape(shape_ctx& c) {
  const std::string problem = sparse_labels_problem(c);
  if (!problem.empty()) return problem;
  if (c.in_dtypes[2] != c.in_dtypes[0] || c.in_shapes[2] != c.in_shapes[1]) {
    return "dloss must be " + std::string(dtype_name(c.in_dtypes[0])) + " " + shape_string(c.in_shapes[1]) + ", got " +
           dtype_name(c.in_dtypes[2]) + " " + shape_string(c.in_shapes[2]);
  }
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

std::string sigmoid_xent_shape(shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  if (!is_float(c.in_dtypes[0])) return std::string("needs float logits and targets, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_shapes[0] != c.in_shapes[1]) {
    return "logits and targets must have one shape, got " + shape_string(c.in_shapes[0]) + " and " + shape_string(c.in_shapes[1]);
  }
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

std::string one_hot_shape(shape_ctx& c) {
  if (c.in_dtypes[0] != kiln_dtype_i32) return std::string("labels must be int32 class indices, got ") + dtype_name(c.in_dtypes[0]);
  const int64_t depth = c.at.i("depth", 0);
  if (depth < 1) return "needs attribute 'depth' (the number of classes, at least 1)";
  const int64_t dtype = c.at.i("dtype", kiln_dtype_f32);
  if (!is_supported_dtype(dtype)) {
    return "dtype must be float32, float64 or int32";
  }
  shape_t out = c.in_shapes[0];
  out.push_back(depth);
  c.set_output(out, static_cast<kiln_dtype>(dtype));
  return "";
}

attrs last_axis(bool keepdims) {
  attrs at;
  at.int_lists["axes"] = {-1};
  at.ints["keepdims"] = keepdims ? 1 : 0;
  return at;
}

void softmax_vjp(vjp_ctx& c) { c.set(0, c.g.add1(kiln_op_softmax_grad, c.name("dx"), {c.out(0), c.out_grads[0]})); }

void log_softmax_vjp(vjp_ctx& c) { c.set(0, c.g.add1(kiln_op_log_softmax_grad, c.name("dx"), {c.out(0), c.out_grads[0]})); }

// dx = y * (dy - s), s = sum(y * dy); for upstream g and t = sum(g * y):
// d/dy = g * (dy - s) - dy * t, d/d(dy) = y * (g - t) = softmax_grad(y, g).
void softmax_grad_vjp(vjp_ctx& c) {
  const int32_t y = c.in(0), dy = c.in(1), g = c.out_grads[0];
  if (c.needs[0]) {
    const int32_t s = c.g.add1(kiln_op_reduce_sum, c.name("s"), {c.g.add1(kiln_op_mul, c.name("y_dy"), {y, dy})}, last_axis(true));
    const int32_t t = c.g.add1(kiln_op_reduce_sum, c.name("t"), {c.g.add1(kiln_op_mul, c.name("g_y"), {g, y})}, last_axis(true));
    const int32_t a = c.g.add1(kiln_op_mul, c.name("g_dy_s"), {g, c.g.add1(kiln_op_sub, c.name("dy_s"), {dy, s})});
    c.set(0, c.g.add1(kiln_op_sub, c.name("dy_grad"), {a, c.g.add1(kiln_op_mul, c.name("dy_t"), {dy, t})}));
  }
  if (c.needs[1]) c.set(1, c.g.add1(kiln_op_softmax_grad, c.name("ddy"), {y, g}));
}

// dx = dy - exp(y) * sum(dy): d/dy = -g * exp(y) * sum(dy), d/d(dy) = g - sum(g * exp(y)).
void log_softmax_grad_vjp(vjp_ctx& c) {
  const int32_t y = c.in(0), dy = c.in(1), g = c.out_grads[0];
  const int32_t p = c.g.add1(kiln_op_exp, c.name("p"), {y});
  const int32_t gp = c.g.add1(kiln_op_mul, c.name("g_p"), {g, p});
  if (c.needs[0]) {
    const int32_t s = c.g.add1(kiln_op_reduce_sum, c.name("s"), {dy}, last_axis(true));
    c.set(0, c.g.add1(kiln_op_neg, c.name("dy_grad"), {c.g.add1(kiln_op_mul, c.name("g_p_s"), {gp, s})}));
  }
  if (c.needs[1]) {
    const int32_t t = c.g.add1(kiln_op_reduce_sum, c.name("t"), {gp}, last_axis(true));
    c.set(1, c.g.add1(kiln_op_sub, c.name("ddy"), {g, t}));
  }
}

void sparse_softmax_xent_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_sparse_softmax_xent_grad, c.name("dlogits"), {c.in(0), c.in(1), c.out_grads[0]}));
}

// dlogits = (softmax(logits) - one_hot(labels)) * dloss[..., None], linear in dloss.
void sparse_softmax_xent_grad_vjp(vjp_ctx& c) {
  const int32_t logits = c.in(0), labels = c.in(1), dloss = c.in(2), g = c.out_grads[0];
  if (c.needs[0]) {
    shape_t column_shape = c.in_shape(0);
    column_shape.back() = 1;
    const int32_t column = c.g.add1(kiln_op_reshape, c.name("dloss_column"), {dloss}, shape_attrs(column_shape));
    const int32_t p = c.g.add1(kiln_op_softmax, c.name("p"), {logits});
    c.set(0, c.g.add1(kiln_op_softmax_grad, c.name("dlogits"), {p, c.g.add1(kiln_op_mul, c.name("g_dloss"), {g, column})}));
  }
  if (c.needs[2]) {
    // The gradient at dloss = 1 keeps the forward's NaN rows for out-of-range labels.
    const int32_t ones = c.g.add1(kiln_op_fill, c.name("ones"), {}, fill_attrs(c.g.val(dloss).dtype, 1.0, c.in_shape(2)));
    const int32_t unit = c.g.add1(kiln_op_sparse_softmax_xent_grad, c.name("unit"), {logits, labels, ones});
    c.set(2, c.g.add1(kiln_op_reduce_sum, c.name("ddloss"), {c.g.add1(kiln_op_mul, c.name("g_unit"), {g, unit})}, last_axis(false)));
  }
}

// loss = max(x, 0) - x z + log1p(exp(-|x|)): d/dx = sigmoid(x) - z, d/dz = -x.
void sigmoid_xent_vjp(vjp_ctx& c) {
  const int32_t x = c.in(0), z = c.in(1), dy = c.out_grads[0];
  if (c.needs[0]) {
    const int32_t s = c.g.add1(kiln_op_sigmoid, c.name("sigmoid"), {x});
    c.set(0, c.g.add1(kiln_op_mul, c.name("dlogits"), {dy, c.g.add1(kiln_op_sub, c.name("residual"), {s, z})}));
  }
  if (c.needs[1]) c.set(1, c.g.add1(kiln_op_neg, c.name("dtargets"), {c.g.add1(kiln_op_mul, c.name("dy_x"), {dy, x})}));
}

}  // namespace

void describe_softmax_ops(op_info* t) {
  t[kiln_op_softmax] = {"softmax", 1, 1, softmax_shape, softmax_vjp, kiln_opf_none};
  t[kiln_op_log_softmax] = {"log_softmax", 1, 1, softmax_shape, log_softmax_vjp, kiln_opf_none};
  t[kiln_op_softmax_grad] = {"softmax_grad", 2, 2, softmax_grad_shape, softmax_grad_vjp, kiln_opf_none};
  t[kiln_op_log_softmax_grad] = {"log_softmax_grad", 2, 2, softmax_grad_shape, log_softmax_grad_vjp, kiln_opf_none};
  t[kiln_op_sparse_softmax_xent] = {"sparse_softmax_xent", 2, 2, sparse_softmax_xent_shape, sparse_softmax_xent_vjp, kiln_opf_none};
  t[kiln_op_sparse_softmax_xent_grad] = {"sparse_softmax_xent_grad", 3, 3, sparse_softmax_xent_grad_shape,
                                         sparse_softmax_xent_grad_vjp, kiln_opf_none};
  t[kiln_op_sigmoid_xent] = {"sigmoid_xent", 2, 2, sigmoid_xent_shape, sigmoid_xent_vjp, kiln_opf_none};
  t[kiln_op_one_hot] = {"one_hot", 1, 1, one_hot_shape, nullptr, kiln_opf_not_differentiable};
}

}  // namespace kiln
