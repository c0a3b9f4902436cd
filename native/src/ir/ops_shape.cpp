// Shape ops: reshape, transpose, concat, slice, pad, gather (an Embedding lookup) and gather_grad.
#include <algorithm>
#include <cmath>

#include "ir/op_table.h"

namespace kiln {

namespace {

std::string reshape_shape(shape_ctx& c) {
  const std::vector<int64_t>* target = c.at.list("shape");
  if (!target) return "needs a target shape";
  shape_t out = *target;
  int64_t known = 1;
  int64_t unknown_at = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (unknown_at >= 0) return "shape " + shape_string(out) + " has more than one -1";
      unknown_at = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      return "shape " + shape_string(out) + " has a negative dimension";
    } else {
      known *= out[i];
    }
  }
  const int64_t total = shape_elements(c.in_shapes[0]);
  if (unknown_at >= 0) {
    if (known == 0 || total % known != 0) return "cannot reshape " + shape_string(c.in_shapes[0]) + " to " + shape_string(out);
    out[static_cast<size_t>(unknown_at)] = total / known;
  }
  if (shape_elements(out) != total) {
    return "cannot reshape " + shape_string(c.in_shapes[0]) + " (" + std::to_string(total) + " elements) to " + shape_string(out);
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void reshape_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_reshape, c.name("dx"), {c.out_grads[0]}, shape_attrs(c.in_shape(0))));
}

std::string transpose_shape(shape_ctx& c) {
  const std::vector<int64_t>* perm = c.at.list("perm");
  if (!perm) return "needs a perm";
  const shape_t& in = c.in_shapes[0];
  if (perm->size() != in.size()) {
    return "perm " + shape_string(*perm) + " must list every axis of " + shape_string(in) + " once";
  }
  std::vector<bool> seen(in.size(), false);
  shape_t out;
  for (int64_t p : *perm) {
    if (p < 0 || p >= static_cast<int64_t>(in.size()) || seen[static_cast<size_t>(p)]) {
      return "perm " + shape_string(*perm) + " is not a permutation of the axes of " + shape_string(in);
    }
    seen[static_cast<size_t>(p)] = true;
    out.push_back(in[static_cast<size_t>(p)]);
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void transpose_vjp(vjp_ctx& c) {
  const std::vector<int64_t>& perm = *c.n.at.list("perm");
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  attrs at;
  at.int_lists["perm"] = inverse;
  c.set(0, c.g.add1(kiln_op_transpose, c.name("dx"), {c.out_grads[0]}, at));
}

// The default axis is Keras's Concatenate's: the last.
std::string concat_shape(shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  const shape_t& first = c.in_shapes[0];
  if (first.empty()) return "cannot concatenate scalars";
  int64_t axis = 0;
  const int64_t given = c.at.i("axis", -1);
  if (!normalise_axis(given, first.size(), axis)) {
    return "axis " + std::to_string(given) + " is out of range for rank " + std::to_string(first.size());
  }
  shape_t out = first;
  for (size_t i = 1; i < c.in_shapes.size(); ++i) {
    const shape_t& s = c.in_shapes[i];
    bool fits = s.size() == first.size();
    for (size_t d = 0; fits && d < s.size(); ++d) fits = static_cast<int64_t>(d) == axis || s[d] == first[d];
    if (!fits) {
      return "input " + std::to_string(i) + " has shape " + shape_string(s) + ", which does not match input 0 " +
             shape_string(first) + " on every axis but " + std::to_string(axis);
    }
    out[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void concat_vjp(vjp_ctx& c) {
  const shape_t& out = c.g.val(c.out(0)).shape;
  int64_t axis = 0;
  normalise_axis(c.n.at.i("axis", -1), out.size(), axis);
  int64_t offset = 0;
  for (size_t i = 0; i < c.n.inputs.size(); ++i) {
    const shape_t in = c.in_shape(i);
    if (c.needs[i]) {
      attrs at;
      std::vector<int64_t> begin(in.size(), 0);
      begin[static_cast<size_t>(axis)] = offset;
      at.int_lists["begin"] = begin;
      at.int_lists["size"] = in;
      c.set(i, c.g.add1(kiln_op_slice, c.name("dx" + std::to_string(i)), {c.out_grads[0]}, at));
    }
    offset += in[static_cast<size_t>(axis)];
  }
}

std::string slice_shape(shape_ctx& c) {
  const std::vector<int64_t>* begin = c.at.list("begin");
  const std::vector<int64_t>* size = c.at.list("size");
  if (!begin || !size) return "needs begin and size";
  const shape_t& in = c.in_shapes[0];
  if (begin->size() != in.size() || size->size() != in.size()) {
    return "begin " + shape_string(*begin) + " and size " + shape_string(*size) + " must have one entry per axis of " +
           shape_string(in);
  }
  shape_t out;
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t b = (*begin)[d];
    const int64_t s = (*size)[d] == -1 ? in[d] - b : (*size)[d];
    if (b < 0 || b > in[d] || s < 0 || b + s > in[d]) {
      return "begin " + shape_string(*begin) + " and size " + shape_string(*size) + " do not fit inside " +
             shape_string(in) + " on axis " + std::to_string(d);
    }
    out.push_back(s);
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void slice_vjp(vjp_ctx& c) {
  const shape_t& in = c.in_shape(0);
  const shape_t& out = c.g.val(c.out(0)).shape;
  const std::vector<int64_t>& begin = *c.n.at.list("begin");
  std::vector<int64_t> pads;
  for (size_t d = 0; d < in.size(); ++d) {
    pads.push_back(begin[d]);
    pads.push_back(in[d] - begin[d] - out[d]);
  }
  attrs at;
  at.int_lists["pads"] = pads;
  c.set(0, c.g.add1(kiln_op_pad, c.name("dx"), {c.out_grads[0]}, at));
}

std::string pad_shape(shape_ctx& c) {
  const std::vector<int64_t>* pads = c.at.list("pads");
  const shape_t& in = c.in_shapes[0];
  if (!pads) return "needs pads";
  if (pads->size() != 2 * in.size()) {
    return "pads " + shape_string(*pads) + " must have 2 entries (before, after) per axis of " + shape_string(in);
  }
  const double value = c.at.f("value", 0.0);
  if (c.in_dtypes[0] == kiln_dtype_i32 && value != std::floor(value)) return "value must be a whole number for an int32 input";
  shape_t out;
  for (size_t d = 0; d < in.size(); ++d) {
    if ((*pads)[2 * d] < 0 || (*pads)[2 * d + 1] < 0) return "pads " + shape_string(*pads) + " must not be negative";
    out.push_back(in[d] + (*pads)[2 * d] + (*pads)[2 * d + 1]);
  }
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void pad_vjp(vjp_ctx& c) {
  const std::vector<int64_t>& pads = *c.n.at.list("pads");
  std::vector<int64_t> begin;
  for (size_t d = 0; d < c.in_shape(0).size(); ++d) begin.push_back(pads[2 * d]);
  attrs at;
  at.int_lists["begin"] = begin;
  at.int_lists["size"] = c.in_shape(0);
  c.set(0, c.g.add1(kiln_op_slice, c.name("dx"), {c.out_grads[0]}, at));
}

std::string gather_shape(shape_ctx& c) {
  const shape_t& params = c.in_shapes[0];
  if (!is_float(c.in_dtypes[0])) return std::string("needs float params, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_dtypes[1] != kiln_dtype_i32) return std::string("needs int32 indices, got ") + dtype_name(c.in_dtypes[1]);
  if (params.empty()) return "params must have rank 1 or more (rows first), got a scalar";
  shape_t out = c.in_shapes[1];
  out.insert(out.end(), params.begin() + 1, params.end());
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void gather_vjp(vjp_ctx& c) {
  attrs at;
  at.ints["rows"] = c.in_shape(0)[0];
  c.set(0, c.g.add1(kiln_op_gather_grad, c.name("dparams"), {c.out_grads[0], c.in(1)}, at));
}

// Inputs (dy, indices): dy first, so the kernel is keyed by its float dtype.
std::string gather_grad_shape(shape_ctx& c) {
  const shape_t& dy = c.in_shapes[0];
  const shape_t& indices = c.in_shapes[1];
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float dy, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_dtypes[1] != kiln_dtype_i32) return std::string("needs int32 indices, got ") + dtype_name(c.in_dtypes[1]);
  const int64_t rows = c.at.i("rows", -1);
  if (rows < 0) return "needs rows (the number of rows of params)";
  if (dy.size() < indices.size() || !std::equal(indices.begin(), indices.end(), dy.begin())) {
    return "dy " + shape_string(dy) + " must start with the indices' shape " + shape_string(indices);
  }
  shape_t out{rows};
  out.insert(out.end(), dy.begin() + static_cast<int64_t>(indices.size()), dy.end());
  c.set_output(out, c.in_dtypes[0]);
  return "";
}

void gather_grad_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_gather, c.name("ddy"), {c.out_grads[0], c.in(1)}));
}

}  // namespace

void describe_shape_ops(op_info* t) {
  t[kiln_op_reshape] = {"reshape", 1, 1, reshape_shape, reshape_vjp, kiln_opf_none};
  t[kiln_op_transpose] = {"transpose", 1, 1, transpose_shape, transpose_vjp, kiln_opf_none};
  t[kiln_op_concat] = {"concat", 1, -1, concat_shape, concat_vjp, kiln_opf_none};
  t[kiln_op_slice] = {"slice", 1, 1, slice_shape, slice_vjp, kiln_opf_none};
  t[kiln_op_pad] = {"pad", 1, 1, pad_shape, pad_vjp, kiln_opf_none};
  t[kiln_op_gather] = {"gather", 2, 2, gather_shape, gather_vjp, kiln_opf_none};
  t[kiln_op_gather_grad] = {"gather_grad", 2, 2, gather_grad_shape, gather_grad_vjp, kiln_opf_none};
}

}  // namespace kiln
