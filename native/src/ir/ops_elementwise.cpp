// Elementwise unary and binary ops (numpy broadcasting) and comparisons.
#include "ir/op_table.h"

namespace kiln {

namespace {

std::string unary_shape(shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

std::string binary_shape(shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  shape_t out;
  if (!broadcast_shapes(c.in_shapes[0], c.in_shapes[1], out)) {
    return "shapes " + shape_string(c.in_shapes[0]) + " and " + shape_string(c.in_shapes[1]) + " do not broadcast";
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

std::string unary_grad_shape(shape_ctx& c) {
  const int64_t of = c.at.i("of", -1);
  if (of < kiln_op_relu || of > kiln_op_huber) return "attribute 'of' must name a unary op";
  if (c.in_shapes[0] != c.in_shapes[1] || c.in_shapes[0] != c.in_shapes[2]) return "x, y and dy must have one shape";
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

void unary_vjp(vjp_ctx& c) {
  attrs at = c.n.at;
  at.ints["of"] = c.n.op;
  c.set(0, c.g.add1(kiln_op_unary_grad, c.name("d" + std::string(op_name(c.n.op))), {c.in(0), c.out(0), c.out_grads[0]}, at));
}

// Sums a gradient of the broadcast result back to the shape of input i.
int32_t to_input_shape(vjp_ctx& c, size_t i, int32_t grad) {
  if (c.g.val(grad).shape == c.in_shape(i)) return grad;
  return c.g.add1(kiln_op_sum_to, c.name("sum_to"), {grad}, shape_attrs(c.in_shape(i)));
}

void add_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (c.needs[0]) c.set(0, to_input_shape(c, 0, dy));
  if (c.needs[1]) c.set(1, to_input_shape(c, 1, dy));
}

void sub_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (c.needs[0]) c.set(0, to_input_shape(c, 0, dy));
  if (c.needs[1]) c.set(1, to_input_shape(c, 1, c.g.add1(kiln_op_neg, c.name("neg"), {dy})));
}

void mul_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (c.needs[0]) c.set(0, to_input_shape(c, 0, c.g.add1(kiln_op_mul, c.name("da"), {dy, c.in(1)})));
  if (c.needs[1]) c.set(1, to_input_shape(c, 1, c.g.add1(kiln_op_mul, c.name("db"), {dy, c.in(0)})));
}

void div_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (c.needs[0]) c.set(0, to_input_shape(c, 0, c.g.add1(kiln_op_div, c.name("da"), {dy, c.in(1)})));
  if (c.needs[1]) {
    // d(a/b)/db = -(a/b)/b = -y/b
    const int32_t y_over_b = c.g.add1(kiln_op_div, c.name("y_over_b"), {c.out(0), c.in(1)});
    const int32_t prod = c.g.add1(kiln_op_mul, c.name("dy_y_over_b"), {dy, y_over_b});
    c.set(1, to_input_shape(c, 1, c.g.add1(kiln_op_neg, c.name("db"), {prod})));
  }
}

// maximum/minimum: the gradient goes to a where it was chosen (ties go to a, as in TensorFlow).
void select_vjp(vjp_ctx& c, bool is_max) {
  const int32_t dy = c.out_grads[0];
  const int32_t a = c.in(0), b = c.in(1);
  const int32_t mask = c.g.add1(kiln_op_greater_equal, c.name("mask"), is_max ? std::vector<int32_t>{a, b} : std::vector<int32_t>{b, a});
  const int32_t da = c.g.add1(kiln_op_mul, c.name("da"), {dy, mask});
  if (c.needs[0]) c.set(0, to_input_shape(c, 0, da));
  if (c.needs[1]) c.set(1, to_input_shape(c, 1, c.g.add1(kiln_op_sub, c.name("db"), {dy, da})));
}

void maximum_vjp(vjp_ctx& c) { select_vjp(c, true); }
void minimum_vjp(vjp_ctx& c) { select_vjp(c, false); }

}  // namespace

void describe_elementwise_ops(op_info* t) {
  const struct { kiln_op op; const char* name; } unary[] = {
      {kiln_op_relu, "relu"}, {kiln_op_leaky_relu, "leaky_relu"}, {kiln_op_elu, "elu"},
      {kiln_op_selu, "selu"}, {kiln_op_gelu, "gelu"}, {kiln_op_sigmoid, "sigmoid"},
      {kiln_op_hard_sigmoid, "hard_sigmoid"}, {kiln_op_tanh, "tanh"}, {kiln_op_softplus, "softplus"},
      {kiln_op_softsign, "softsign"}, {kiln_op_silu, "silu"}, {kiln_op_exp, "exp"},
      {kiln_op_log, "log"}, {kiln_op_sqrt, "sqrt"}, {kiln_op_square, "square"},
      {kiln_op_abs, "abs"}, {kiln_op_neg, "neg"}, {kiln_op_clip, "clip"}, {kiln_op_huber, "huber"},
  };
  for (const auto& u : unary) t[u.op] = {u.name, 1, 1, unary_shape, unary_vjp, kiln_opf_none};
  t[kiln_op_unary_grad] = {"unary_grad", 3, 3, unary_grad_shape, nullptr, kiln_opf_none};
  t[kiln_op_add] = {"add", 2, 2, binary_shape, add_vjp, kiln_opf_none};
  t[kiln_op_sub] = {"sub", 2, 2, binary_shape, sub_vjp, kiln_opf_none};
  t[kiln_op_mul] = {"mul", 2, 2, binary_shape, mul_vjp, kiln_opf_none};
  t[kiln_op_div] = {"div", 2, 2, binary_shape, div_vjp, kiln_opf_none};
  t[kiln_op_maximum] = {"maximum", 2, 2, binary_shape, maximum_vjp, kiln_opf_none};
  t[kiln_op_minimum] = {"minimum", 2, 2, binary_shape, minimum_vjp, kiln_opf_none};
  t[kiln_op_equal] = {"equal", 2, 2, binary_shape, nullptr, kiln_opf_not_differentiable};
  t[kiln_op_greater] = {"greater", 2, 2, binary_shape, nullptr, kiln_opf_not_differentiable};
  t[kiln_op_greater_equal] = {"greater_equal", 2, 2, binary_shape, nullptr, kiln_opf_not_differentiable};
}

}  // namespace kiln
