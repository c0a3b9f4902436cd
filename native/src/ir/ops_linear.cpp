// matmul (transpose flags, batched with numpy-broadcast batch dims) and bias_add.
#include "ir/op_table.h"

namespace kiln {

namespace {

std::string matmul_shape(shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  if (!is_float(c.in_dtypes[0])) return "needs float inputs";
  const shape_t& a = c.in_shapes[0];
  const shape_t& b = c.in_shapes[1];
  if (a.size() < 2 || b.size() < 2) return "needs inputs of rank 2 or more, got " + shape_string(a) + " and " + shape_string(b);
  const bool ta = c.at.i("transpose_a", 0) != 0;
  const bool tb = c.at.i("transpose_b", 0) != 0;
  const int64_t m = ta ? a[a.size() - 1] : a[a.size() - 2];
  const int64_t ka = ta ? a[a.size() - 2] : a[a.size() - 1];
  const int64_t kb = tb ? b[b.size() - 1] : b[b.size() - 2];
  const int64_t n = tb ? b[b.size() - 2] : b[b.size() - 1];
  if (ka != kb) return "inner dimensions differ: a is " + shape_string(a) + ", b is " + shape_string(b);
  shape_t batch;
  if (!broadcast_shapes(shape_t(a.begin(), a.end() - 2), shape_t(b.begin(), b.end() - 2), batch)) {
    return "batch dimensions of " + shape_string(a) + " and " + shape_string(b) + " do not broadcast";
  }
  batch.push_back(m);
  batch.push_back(n);
  c.set_output(batch, c.in_dtypes[0]);
  return "";
}

void matmul_vjp(vjp_ctx& c) {
  const bool ta = c.n.at.i("transpose_a", 0) != 0;
  const bool tb = c.n.at.i("transpose_b", 0) != 0;
  const int32_t a = c.in(0), b = c.in(1), dy = c.out_grads[0];
  auto mm = [&](const char* what, int32_t x, int32_t y, bool tx, bool ty) {
    attrs at;
    at.ints["transpose_a"] = tx;
    at.ints["transpose_b"] = ty;
    return c.g.add1(kiln_op_matmul, c.name(what), {x, y}, at);
  };
  auto fit = [&](size_t i, int32_t grad) {
    if (grad == kiln_no_value || c.g.val(grad).shape == c.in_shape(i)) return grad;
    return c.g.add1(kiln_op_sum_to, c.name("sum_to"), {grad}, shape_attrs(c.in_shape(i)));
  };
  // C = op(A) op(B); the four cases of d/dA and d/dB.
  if (c.needs[0]) {
    const int32_t da = !ta ? mm("da", dy, b, false, !tb) : (!tb ? mm("da", b, dy, false, true) : mm("da", b, dy, true, true));
    c.set(0, fit(0, da));
  }
  if (c.needs[1]) {
    const int32_t db = !tb ? mm("db", a, dy, !ta, false) : (!ta ? mm("db", dy, a, true, false) : mm("db", dy, a, true, true));
    c.set(1, fit(1, db));
  }
}

std::string bias_add_shape(shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  const shape_t& x = c.in_shapes[0];
  const shape_t& b = c.in_shapes[1];
  if (x.empty() || b.size() != 1 || b[0] != x.back()) {
    return "bias must have shape [" + (x.empty() ? std::string("C") : std::to_string(x.back())) + "] to match x " +
           shape_string(x) + ", got " + shape_string(b);
  }
  c.set_output(x, c.in_dtypes[0]);
  return "";
}

void bias_add_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (c.needs[0]) c.set(0, dy);
  if (c.needs[1]) {
    c.set(1, c.g.add1(kiln_op_sum_to, c.name("db"), {dy}, shape_attrs(c.in_shape(1))));
  }
}

}  // namespace

void describe_linear_ops(op_info* t) {
  t[kiln_op_matmul] = {"matmul", 2, 2, matmul_shape, matmul_vjp, kiln_opf_none};
  t[kiln_op_bias_add] = {"bias_add", 2, 2, bias_add_shape, bias_add_vjp, kiln_opf_none};
}

}  // namespace kiln
