#include "ir/op_table.h"

#include <cstring>

namespace kiln {

namespace {

struct table_holder {
  op_info rows[kiln_op_count];
  table_holder() {
    describe_source_ops(rows);
    describe_linear_ops(rows);
    describe_elementwise_ops(rows);
    describe_reduce_ops(rows);
    describe_softmax_ops(rows);
    describe_shape_ops(rows);
    describe_conv_ops(rows);
    describe_norm_ops(rows);
    describe_optim_ops(rows);
    describe_augment_ops(rows);
  }
};

const table_holder& table() {
  static const table_holder holder;
  return holder;
}

}  // namespace

const op_info& op_row(kiln_op op) { return table().rows[op]; }

const char* op_name(kiln_op op) {
  if (op < 0 || op >= kiln_op_count) return "unknown";
  const char* name = table().rows[op].name;
  return name ? name : "unknown";
}

kiln_op op_by_name(const std::string& name) {
  for (int32_t i = 0; i < kiln_op_count; ++i) {
    const char* n = table().rows[i].name;
    if (n && name == n) return static_cast<kiln_op>(i);
  }
  return kiln_op_count;
}

attrs shape_attrs(const shape_t& shape) {
  attrs at;
  at.int_lists["shape"] = shape;
  return at;
}

attrs fill_attrs(kiln_dtype dtype, double value, const shape_t& shape) {
  attrs at = shape_attrs(shape);
  at.ints["dtype"] = dtype;
  at.floats["value"] = value;
  return at;
}

std::string same_dtype(const shape_ctx& c) {
  for (size_t i = 1; i < c.in_dtypes.size(); ++i) {
    if (c.in_dtypes[i] != c.in_dtypes[0]) {
      return std::string("inputs have different dtypes: ") + dtype_name(c.in_dtypes[0]) + " and " +
             dtype_name(c.in_dtypes[i]);
    }
  }
  return "";
}

bool is_float(kiln_dtype t) { return t == kiln_dtype_f32 || t == kiln_dtype_f64; }

bool is_supported_dtype(int64_t t) { return t == kiln_dtype_f32 || t == kiln_dtype_f64 || t == kiln_dtype_i32; }

bool broadcast_shapes(const shape_t& a, const shape_t& b, shape_t& out) {
  const size_t rank = a.size() > b.size() ? a.size() : b.size();
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

bool normalise_axis(int64_t axis, size_t rank, int64_t& out) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return false;
  out = axis < 0 ? axis + r : axis;
  return true;
}

}  // namespace kiln
