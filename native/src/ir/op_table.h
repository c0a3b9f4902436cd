// The op table: one row per primitive op. Each op family describes its rows in its own file
// (src/ir/ops_<family>.cpp): shape rule and vector-Jacobian rule side by side.
#pragma once

#include <string>
#include <vector>

#include "kiln/ir.h"

namespace kiln {

// What a shape rule sees of the node being built, and where it writes the outputs.
struct shape_ctx {
  kiln_op op;
  const std::string& name;
  const std::vector<shape_t>& in_shapes;
  const std::vector<kiln_dtype>& in_dtypes;
  const kiln::attrs& at;
  std::vector<shape_t> out_shapes;
  std::vector<kiln_dtype> out_dtypes;

  void set_output(const shape_t& shape, kiln_dtype dtype) {
    out_shapes.push_back(shape);
    out_dtypes.push_back(dtype);
  }
};

// Returns "" when the node is valid, else the reason in the user's terms
// ("inner dimensions differ: a is [32, 784], b is [100, 10]"); the graph prefixes the node.
using shape_rule = std::string (*)(shape_ctx& c);

// What a gradient rule sees: the forward node and the gradients flowing into its outputs.
// It adds nodes to the graph that compute the gradient of each input that needs one.
struct vjp_ctx {
  graph& g;
  node n;                           // a copy: adding nodes may move the graph's storage
  std::vector<int32_t> out_grads;   // per output: gradient value id, or kiln_no_value
  std::vector<bool> needs;          // per input: whether its gradient is wanted
  std::vector<int32_t> in_grads;    // per input: set by the rule (kiln_no_value = none)

  int32_t in(size_t i) const { return n.inputs[i]; }
  int32_t out(size_t i) const { return n.outputs[i]; }
  const shape_t& in_shape(size_t i) const { return g.val(n.inputs[i]).shape; }
  // A name for a gradient node of this node: "<node>/grad/<what>".
  std::string name(const std::string& what) { return g.unique_name(n.name + "/grad/" + what); }
  void set(size_t i, int32_t grad) { in_grads[i] = grad; }
};

using vjp_rule = void (*)(vjp_ctx& c);

enum kiln_op_flag : uint32_t {
  kiln_opf_none = 0,
  kiln_opf_source = 1u << 0,          // input, param: no kernel, bound at run time
  kiln_opf_not_differentiable = 1u << 1,  // no gradient flows through (argmax, comparisons)
  kiln_opf_effect = 1u << 2,  // writes its first input(s) in place (optimizer updates): run for effect
};

struct op_info {
  const char* name = nullptr;
  int32_t min_inputs = 0;
  int32_t max_inputs = 0;  // -1: any number
  shape_rule infer = nullptr;
  vjp_rule vjp = nullptr;  // nullptr: not differentiable
  uint32_t flags = kiln_opf_none;
};

const op_info& op_row(kiln_op op);
const char* op_name(kiln_op op);
// kiln_op_count when no op has that name.
kiln_op op_by_name(const std::string& name);

// Attributes holding only a target shape (reshape, broadcast_to, sum_to).
attrs shape_attrs(const shape_t& shape);
// Attributes of a fill node: a constant tensor of `shape` (a scalar by default).
attrs fill_attrs(kiln_dtype dtype, double value, const shape_t& shape = {});

// Shared shape helpers for rules.
std::string same_dtype(const shape_ctx& c);  // "" when all inputs share a dtype
bool is_float(kiln_dtype t);
// The dtypes kernels exist for today: float32, float64 and int32.
bool is_supported_dtype(int64_t t);
// numpy broadcasting of two shapes; false when they do not broadcast.
bool broadcast_shapes(const shape_t& a, const shape_t& b, shape_t& out);
// Normalises a possibly negative axis; false when out of range.
bool normalise_axis(int64_t axis, size_t rank, int64_t& out);

// Each family fills its rows.
void describe_source_ops(op_info* table);
void describe_linear_ops(op_info* table);
void describe_elementwise_ops(op_info* table);
void describe_reduce_ops(op_info* table);
void describe_softmax_ops(op_info* table);
void describe_shape_ops(op_info* table);
void describe_conv_ops(op_info* table);
void describe_norm_ops(op_info* table);
void describe_optim_ops(op_info* table);
void describe_augment_ops(op_info* table);

}  // namespace kiln
