// Reductions over axes, broadcast_to and its adjoint sum_to, argmax, cast, and any_non_finite.
#include <algorithm>

#include "ir/op_table.h"

namespace kiln {

namespace {

// The reduced axes as a sorted, normalised list (all axes when the attribute is absent or empty).
bool reduced_axes(const attrs& at, size_t rank, std::vector<int64_t>& axes, std::string& problem) {
  axes.clear();
  const std::vector<int64_t>* given = at.list("axes");
  if (!given || given->empty()) {
    for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
    return true;
  }
  for (int64_t a : *given) {
    int64_t norm = 0;
    if (!normalise_axis(a, rank, norm)) {
      problem = "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank);
      return false;
    }
    if (std::find(axes.begin(), axes.end(), norm) != axes.end()) {
      problem = "axis " + std::to_string(a) + " is listed twice";
      return false;
    }
    axes.push_back(norm);
  }
  std::sort(axes.begin(), axes.end());
  return true;
}

shape_t keep_shape(const shape_t& in, const std::vector<int64_t>& axes) {
  shape_t out = in;
  for (int64_t a : axes) out[static_cast<size_t>(a)] = 1;
  return out;
}

std::string reduce_shape(shape_ctx& c) {
  if (c.op != kiln_op_reduce_max && !is_float(c.in_dtypes[0])) return "needs a float input";
  std::vector<int64_t> axes;
  std::string problem;
  if (!reduced_axes(c.at, c.in_shapes[0].size(), axes, problem)) return problem;
  const shape_t& in = c.in_shapes[0];
  shape_t out;
  for (size_t i = 0; i < in.size(); ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
    if (!reduced) out.push_back(in[i]);
    else if (c.at.i("keepdims", 0)) out.push_back(1);
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

// dy reshaped so its reduced axes are kept as 1s, then broadcast back to x's shape.
int32_t spread(vjp_ctx& c, int32_t grad, const char* what) {
  std::vector<int64_t> axes;
  std::string problem;
  reduced_axes(c.n.at, c.in_shape(0).size(), axes, problem);
  const int32_t kept = c.g.add1(kiln_op_reshape, c.name(std::string(what) + "_keepdims"), {grad}, shape_attrs(keep_shape(c.in_shape(0), axes)));
  return c.g.add1(kiln_op_broadcast_to, c.name(what), {kept}, shape_attrs(c.in_shape(0)));
}

void reduce_sum_vjp(vjp_ctx& c) { c.set(0, spread(c, c.out_grads[0], "dx")); }

void reduce_mean_vjp(vjp_ctx& c) {
  const int64_t count = shape_elements(c.in_shape(0)) / std::max<int64_t>(1, shape_elements(c.g.val(c.out(0)).shape));
  const int32_t n = c.g.add1(kiln_op_fill, c.name("count"), {}, fill_attrs(c.g.val(c.in(0)).dtype, static_cast<double>(count)));
  c.set(0, c.g.add1(kiln_op_div, c.name("dx"), {spread(c, c.out_grads[0], "dy"), n}));
}

// The gradient is shared equally by the elements that equal the maximum (as TensorFlow does).
void reduce_max_vjp(vjp_ctx& c) {
  const int32_t mask = c.g.add1(kiln_op_equal, c.name("mask"), {c.in(0), spread(c, c.out(0), "max")});
  attrs count_at = c.n.at;
  count_at.ints["keepdims"] = 1;
  const int32_t count = c.g.add1(kiln_op_reduce_sum, c.name("ties"), {mask}, count_at);
  const int32_t share = c.g.add1(kiln_op_div, c.name("share"), {mask, count});
  c.set(0, c.g.add1(kiln_op_mul, c.name("dx"), {share, spread(c, c.out_grads[0], "dy")}));
}

std::string broadcast_to_shape(shape_ctx& c) {
  const std::vector<int64_t>* shape = c.at.list("shape");
  if (!shape) return "needs a target shape";
  shape_t out;
  if (!broadcast_shapes(c.in_shapes[0], *shape, out) || out != *shape) {
    return shape_string(c.in_shapes[0]) + " cannot be broadcast to " + shape_string(*shape);
  }
  c.set_output(*shape, c.in_dtypes[0]);
  return "";
}

void broadcast_to_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_sum_to, c.name("dx"), {c.out_grads[0]}, shape_attrs(c.in_shape(0))));
}

std::string sum_to_shape(shape_ctx& c) {
  const std::vector<int64_t>* shape = c.at.list("shape");
  if (!shape) return "needs a target shape";
  shape_t out;
  if (!broadcast_shapes(*shape, c.in_shapes[0], out) || out != c.in_shapes[0]) {
    return shape_string(c.in_shapes[0]) + " cannot be summed to " + shape_string(*shape);
  }
  c.set_output(*shape, c.in_dtypes[0]);
  return "";
}

void sum_to_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_broadcast_to, c.name("dx"), {c.out_grads[0]}, shape_attrs(c.in_shape(0))));
}

std::string argmax_shape(shape_ctx& c) {
  const shape_t& in = c.in_shapes[0];
  int64_t axis = 0;
  if (!normalise_axis(c.at.i("axis", -1), in.size(), axis)) return "axis is out of range for " + shape_string(in);
  shape_t out;
  for (size_t i = 0; i < in.size(); ++i) if (static_cast<int64_t>(i) != axis) out.push_back(in[i]);
  c.set_output(out, kiln_dtype_i32);
  return "";
}

std::string cast_shape(shape_ctx& c) {
  const int64_t dtype = c.at.i("dtype", -1);
  if (!is_supported_dtype(dtype)) return "needs a dtype of float32, float64 or int32";
  c.set_output(c.in_shapes[0], static_cast<kiln_dtype>(dtype));
  return "";
}

// Any number of float tensors of any shapes (a step's gradients) to one flag in their dtype.
std::string any_non_finite_shape(shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("needs float inputs, got ") + dtype_name(c.in_dtypes[0]);
  if (std::string problem = same_dtype(c); !problem.empty()) return problem;
  c.set_output({}, c.in_dtypes[0]);
  return "";
}

}  // namespace

void describe_reduce_ops(op_info* t) {
  t[kiln_op_reduce_sum] = {"reduce_sum", 1, 1, reduce_shape, reduce_sum_vjp, kiln_opf_none};
  t[kiln_op_reduce_mean] = {"reduce_mean", 1, 1, reduce_shape, reduce_mean_vjp, kiln_opf_none};
  t[kiln_op_reduce_max] = {"reduce_max", 1, 1, reduce_shape, reduce_max_vjp, kiln_opf_none};
  t[kiln_op_broadcast_to] = {"broadcast_to", 1, 1, broadcast_to_shape, broadcast_to_vjp, kiln_opf_none};
  t[kiln_op_sum_to] = {"sum_to", 1, 1, sum_to_shape, sum_to_vjp, kiln_opf_none};
  t[kiln_op_argmax] = {"argmax", 1, 1, argmax_shape, nullptr, kiln_opf_not_differentiable};
  t[kiln_op_cast] = {"cast", 1, 1, cast_shape, nullptr, kiln_opf_not_differentiable};
  t[kiln_op_any_non_finite] = {"any_non_finite", 1, -1, any_non_finite_shape, nullptr, kiln_opf_not_differentiable};
}

}  // namespace kiln
