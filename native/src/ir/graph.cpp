#include <sstream>

#include "ir/op_table.h"

namespace kiln {

const char* dtype_name(kiln_dtype t) {
  switch (t) {
    case kiln_dtype_f32: return "float32";
    case kiln_dtype_f64: return "float64";
    case kiln_dtype_i32: return "int32";
    case kiln_dtype_f16: return "float16";
    case kiln_dtype_bf16: return "bfloat16";
  }
  return "unknown";
}

int64_t dtype_size(kiln_dtype t) {
  switch (t) {
    case kiln_dtype_f64: return 8;
    case kiln_dtype_f16:
    case kiln_dtype_bf16: return 2;
    default: return 4;
  }
}

int64_t shape_elements(const shape_t& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const shape_t& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

int64_t attrs::i(const std::string& key, int64_t fallback) const {
  auto it = ints.find(key);
  return it == ints.end() ? fallback : it->second;
}

double attrs::f(const std::string& key, double fallback) const {
  auto it = floats.find(key);
  if (it != floats.end()) return it->second;
  auto ii = ints.find(key);
  return ii == ints.end() ? fallback : static_cast<double>(ii->second);
}

const std::vector<int64_t>* attrs::list(const std::string& key) const {
  auto it = int_lists.find(key);
  return it == int_lists.end() ? nullptr : &it->second;
}

bool attrs::has(const std::string& key) const {
  return ints.count(key) || floats.count(key) || int_lists.count(key) || strings.count(key);
}

void graph::fail(const std::string& message) {
  if (error_.empty()) error_ = message;
}

std::string graph::unique_name(const std::string& base) {
  if (!by_name_.count(base) && !name_counts_.count(base)) {
    name_counts_[base] = 1;
    return base;
  }
  for (;;) {
    std::string candidate = base + "_" + std::to_string(name_counts_[base]++);
    if (!by_name_.count(candidate) && !name_counts_.count(candidate)) return candidate;
  }
}

int32_t graph::find(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? kiln_no_value : it->second;
}

int32_t graph::add_value(const std::string& name, const shape_t& shape, kiln_dtype dtype,
                         int32_t producer, int32_t output_index) {
  value v;
  v.name = name;
  v.shape = shape;
  v.dtype = dtype;
  v.producer = producer;
  v.output_index = output_index;
  values_.push_back(v);
  const int32_t id = static_cast<int32_t>(values_.size() - 1);
  by_name_[name] = id;
  return id;
}

int32_t graph::input(const std::string& name, const shape_t& shape, kiln_dtype dtype) {
  attrs at = shape_attrs(shape);
  at.ints["dtype"] = dtype;
  return add1(kiln_op_input, name, {}, at);
}

int32_t graph::param(const std::string& name, const shape_t& shape, kiln_dtype dtype, bool trainable) {
  attrs at = shape_attrs(shape);
  at.ints["dtype"] = dtype;
  const int32_t id = add1(kiln_op_param, name, {}, at);
  if (id != kiln_no_value) values_[static_cast<size_t>(id)].trainable = trainable;
  return id;
}

int32_t graph::add1(kiln_op op, const std::string& name, const std::vector<int32_t>& inputs,
                    const kiln::attrs& at) {
  std::vector<int32_t> outs = add(op, name, inputs, at);
  if (outs.empty()) return kiln_no_value;
  if (outs.size() != 1) {
    fail("node '" + name + "' (" + op_name(op) + ") has " + std::to_string(outs.size()) +
         " outputs; use add() for it");
    return kiln_no_value;
  }
  return outs[0];
}

std::vector<int32_t> graph::add(kiln_op op, const std::string& name, const std::vector<int32_t>& inputs,
                                const kiln::attrs& at) {
  if (failed()) return {};
  if (op < 0 || op >= kiln_op_count || !op_row(op).infer) {
    fail("node '" + name + "': unknown op " + std::to_string(static_cast<int32_t>(op)));
    return {};
  }
  const op_info& row = op_row(op);
  const std::string where = "node '" + name + "' (" + row.name + ")";
  if (name.empty()) {
    fail(std::string("a ") + row.name + " node needs a name");
    return {};
  }
  if (by_name_.count(name)) {
    fail(where + ": the name is already used by another value");
    return {};
  }
  const int32_t n_in = static_cast<int32_t>(inputs.size());
  if (n_in < row.min_inputs || (row.max_inputs >= 0 && n_in > row.max_inputs)) {
    const std::string want = row.max_inputs < 0 ? "at least " + std::to_string(row.min_inputs)
                             : row.min_inputs == row.max_inputs
                                 ? std::to_string(row.min_inputs)
                                 : std::to_string(row.min_inputs) + " to " + std::to_string(row.max_inputs);
    fail(where + ": takes " + want + " inputs, got " + std::to_string(n_in));
    return {};
  }
  std::vector<shape_t> in_shapes;
  std::vector<kiln_dtype> in_dtypes;
  for (int32_t id : inputs) {
    if (id < 0 || static_cast<size_t>(id) >= values_.size()) {
      fail(where + ": input refers to a value that does not exist");
      return {};
    }
    in_shapes.push_back(values_[static_cast<size_t>(id)].shape);
    in_dtypes.push_back(values_[static_cast<size_t>(id)].dtype);
  }
  shape_ctx ctx{op, name, in_shapes, in_dtypes, at, {}, {}};
  const std::string problem = row.infer(ctx);
  if (!problem.empty()) {
    fail(where + ": " + problem);
    return {};
  }
  for (const shape_t& s : ctx.out_shapes) {
    for (int64_t d : s) {
      if (d < 0) {
        fail(where + ": output shape " + shape_string(s) + " has a negative dimension");
        return {};
      }
    }
  }
  node n;
  n.op = op;
  n.name = name;
  n.inputs = inputs;
  n.at = at;
  const int32_t node_id = static_cast<int32_t>(nodes_.size());
  for (size_t i = 0; i < ctx.out_shapes.size(); ++i) {
    const std::string value_name = ctx.out_shapes.size() == 1 ? name : name + ":" + std::to_string(i);
    n.outputs.push_back(add_value(value_name, ctx.out_shapes[i], ctx.out_dtypes[i], node_id,
                                  static_cast<int32_t>(i)));
  }
  nodes_.push_back(std::move(n));
  return nodes_.back().outputs;
}

}  // namespace kiln
