// Kiln's primitive op IR: a closed enum of ops, values with static shapes and a dtype, and a
// graph built node by node. Every op has one row in the op table (src/ir/op_table.cpp): its name,
// arity, shape rule and vector-Jacobian rule. Adding an op means: enum + table row + reference
// kernel + gradient rule + a test in the op test suite (test/native/ops).
//
// Never throws. Building a node that is invalid (unknown op, wrong arity, shape mismatch, bad
// attribute) records an error that names the node, and every later build call is a no-op
// returning kiln_no_value, so callers check graph::error() once after a batch of calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {

enum kiln_dtype : int32_t {
  kiln_dtype_f32 = 0,
  kiln_dtype_f64 = 1,  // reference backend only: float64 gradient checks
  kiln_dtype_i32 = 2,  // labels, indices, argmax
  kiln_dtype_f16 = 3,  // reserved
  kiln_dtype_bf16 = 4,  // reserved
};

const char* dtype_name(kiln_dtype t);
int64_t dtype_size(kiln_dtype t);

// The closed set of primitive ops. Keep in sync with the op table.
enum kiln_op : int32_t {
  // sources
  kiln_op_input,     // fed at run time
  kiln_op_param,     // weights and optimizer state: persistent, bound at run time
  kiln_op_fill,      // attrs: shape (ints), value (float), dtype (int)
  // linear algebra
  kiln_op_matmul,    // attrs: transpose_a, transpose_b (0/1); rank >= 2, equal leading batch dims
  kiln_op_bias_add,  // x [..., C] + b [C]
  // elementwise unary: y = f(x)
  kiln_op_relu,
  kiln_op_leaky_relu,    // attrs: alpha (default 0.2, as keras.activations.leaky_relu)
  kiln_op_elu,           // attrs: alpha (1.0)
  kiln_op_selu,
  kiln_op_gelu,          // attrs: approximate (0: erf form, 1: tanh form)
  kiln_op_sigmoid,
  kiln_op_hard_sigmoid,  // Keras 3: relu6(x + 3) / 6
  kiln_op_tanh,
  kiln_op_softplus,
  kiln_op_softsign,
  kiln_op_silu,
  kiln_op_exp,
  kiln_op_log,
  kiln_op_sqrt,
  kiln_op_square,
  kiln_op_abs,
  kiln_op_neg,
  kiln_op_clip,   // attrs: min, max (clip_by_value; Keras's epsilon clipping of probabilities)
  kiln_op_huber,  // attrs: delta (1.0): 0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)
  kiln_op_unary_grad,  // (x, y, dy) -> dx = dy * f'(x); attrs: of (the unary op), and its attrs
  // elementwise binary with numpy broadcasting
  kiln_op_add,
  kiln_op_sub,
  kiln_op_mul,
  kiln_op_div,
  kiln_op_maximum,
  kiln_op_minimum,
  kiln_op_equal,          // 1 where a == b, else 0 (same dtype as inputs)
  kiln_op_greater,        // 1 where a > b, else 0
  kiln_op_greater_equal,  // 1 where a >= b, else 0
  // reductions and broadcasting
  kiln_op_reduce_sum,   // attrs: axes (ints; empty = all), keepdims (0/1)
  kiln_op_reduce_mean,
  kiln_op_reduce_max,
  kiln_op_broadcast_to,  // attrs: shape
  kiln_op_sum_to,        // sums broadcast axes away: the adjoint of broadcast_to; attrs: shape
  kiln_op_argmax,        // attrs: axis; output i32
  kiln_op_cast,          // attrs: dtype
  kiln_op_any_non_finite,  // (x, ...) -> [] in x's dtype: 1 when any element of any input is NaN or Inf, else 0
  // softmax family
  kiln_op_softmax,           // over the last axis
  kiln_op_log_softmax,
  kiln_op_softmax_grad,      // (y, dy) -> dx
  kiln_op_log_softmax_grad,  // (y, dy) -> dx
  // losses (per sample; reduce with reduce_mean)
  kiln_op_sparse_softmax_xent,  // (logits [N, C], labels i32 [N]) -> loss [N]
  kiln_op_sparse_softmax_xent_grad,  // (logits, labels, dloss [N]) -> dlogits
  kiln_op_sigmoid_xent,  // (logits, targets) -> elementwise binary cross-entropy from logits
  kiln_op_one_hot,       // (labels i32 [...]) -> [..., depth]; attrs: depth, dtype
  // convolution and pooling (NHWC; kernels HWIO)
  kiln_op_conv2d,  // (x [N,H,W,C], k [KH,KW,C/groups,F]); attrs: strides, padding ("same"/"valid"), dilations, groups
  kiln_op_conv2d_backprop_input,   // (dy, k) -> dx; attrs as conv2d plus input_shape
  kiln_op_conv2d_backprop_filter,  // (x, dy) -> dk; attrs as conv2d plus filter_shape
  kiln_op_conv1d,  // (x [N,W,C], k [KW,C/groups,F]); attrs: stride, padding, dilation, groups
  kiln_op_max_pool2d,  // attrs: pool_size, strides, padding
  kiln_op_avg_pool2d,
  kiln_op_max_pool2d_grad,  // (x, y, dy) -> dx
  kiln_op_avg_pool2d_grad,  // (dy) -> dx; attrs as avg_pool2d plus input_shape
  kiln_op_max_pool1d,
  kiln_op_avg_pool1d,
  kiln_op_upsample_nearest,       // attrs: size (per spatial axis) over NHWC or NWC
  kiln_op_upsample_nearest_grad,  // attrs: size
  // normalisation and dropout
  kiln_op_batch_norm_train,  // (x, gamma, beta) -> (y, batch_mean, batch_var); attrs: axis (-1), epsilon (1e-3)
  kiln_op_batch_norm_infer,  // (x, gamma, beta, moving_mean, moving_var) -> y; attrs: axis, epsilon
  kiln_op_batch_norm_grad,   // (x, gamma, batch_mean, batch_var, dy) -> (dx, dgamma, dbeta)
  kiln_op_layer_norm,        // (x, gamma, beta) -> (y, mean, rstd); attrs: epsilon (1e-3), over the last axis
  kiln_op_layer_norm_grad,   // (x, gamma, mean, rstd, dy) -> (dx, dgamma, dbeta)
  kiln_op_dropout,           // (x, seed i32 []) -> (y, mask); attrs: rate; stateless: same seed, same mask
  kiln_op_gaussian_noise,    // (x, seed i32 []) -> x + stddev * N(0, 1); attrs: stddev; stateless like dropout
  // image augmentation (NHWC, training only; stateless per (seed, sample) like dropout; no gradient)
  kiln_op_random_affine,  // (x [N,H,W,C], seed i32 []) -> y; attrs: flip, flip_rate, rotation_/zoom_height_/zoom_width_/
                          // translate_height_/translate_width_ lower, upper; zoom_width_same; fill_mode, interpolation, fill_value
  kiln_op_random_color,   // (x [N,H,W,C], seed i32 []) -> y; attrs: brightness_lower/upper, contrast_lower/upper, value_min/max
  // shape ops
  kiln_op_reshape,    // attrs: shape (may contain one -1)
  kiln_op_transpose,  // attrs: perm
  kiln_op_concat,     // attrs: axis; any number of inputs
  kiln_op_slice,      // attrs: begin, size (-1 = to the end)
  kiln_op_pad,        // attrs: pads (before/after per axis, 2*rank ints), value (float)
  kiln_op_gather,     // (params [V, ...], indices i32 [...]) -> [..., ...]
  kiln_op_gather_grad,  // (dy, indices) -> dparams; attrs: rows (V). dy first: kernels are keyed by its float dtype
  // state updates: write their first input(s) in place and have no outputs (Keras 3 semantics).
  // The optimizer updates take an optional last input, a scalar `skip`: when it is nonzero the
  // update leaves the weight and its slots untouched (mixed_float16's loss scaling skips a step
  // whose gradients overflowed).
  kiln_op_apply_sgd,      // (var, grad, lr [], [velocity], [skip []]); attrs: momentum (0), nesterov (0), weight_decay (0)
  kiln_op_apply_adam,     // (var, grad, m, v, lr [], step [], [skip []]); attrs: beta_1, beta_2, epsilon, weight_decay (AdamW)
  kiln_op_apply_rmsprop,  // (var, grad, velocity, lr [], [momentum buffer], [average grad], [skip []]); attrs: rho, momentum, epsilon, centered, weight_decay
  kiln_op_assign_moving_average,  // (var, value): var = var * momentum + value * (1 - momentum); attrs: momentum
  kiln_op_count
};

constexpr int32_t kiln_no_value = -1;

using shape_t = std::vector<int64_t>;
int64_t shape_elements(const shape_t& shape);
std::string shape_string(const shape_t& shape);  // "[32, 784]"

// Node attributes: small, typed, with defaults at the point of use.
struct attrs {
  std::map<std::string, int64_t> ints;
  std::map<std::string, double> floats;
  std::map<std::string, std::vector<int64_t>> int_lists;
  std::map<std::string, std::string> strings;

  int64_t i(const std::string& key, int64_t fallback) const;
  double f(const std::string& key, double fallback) const;
  const std::vector<int64_t>* list(const std::string& key) const;  // nullptr when absent
  bool has(const std::string& key) const;
};

struct value {
  std::string name;
  shape_t shape;
  kiln_dtype dtype = kiln_dtype_f32;
  int32_t producer = -1;  // node index
  int32_t output_index = 0;
  bool trainable = false;  // params only: gradients are taken only for trainable params
};

struct node {
  kiln_op op = kiln_op_input;
  std::string name;
  std::vector<int32_t> inputs;   // value ids
  std::vector<int32_t> outputs;  // value ids
  kiln::attrs at;
};

// Nodes are appended in a valid execution order: a node can only use values that exist, so a
// graph built through this API is acyclic by construction.
class graph {
 public:
  int32_t input(const std::string& name, const shape_t& shape, kiln_dtype dtype = kiln_dtype_f32);
  int32_t param(const std::string& name, const shape_t& shape, kiln_dtype dtype = kiln_dtype_f32,
                bool trainable = true);
  // Adds a node and returns its output value ids (empty on error).
  std::vector<int32_t> add(kiln_op op, const std::string& name, const std::vector<int32_t>& inputs,
                           const kiln::attrs& at = {});
  // The same, for ops with one output; kiln_no_value on error.
  int32_t add1(kiln_op op, const std::string& name, const std::vector<int32_t>& inputs,
               const kiln::attrs& at = {});

  const std::vector<value>& values() const { return values_; }
  const std::vector<node>& nodes() const { return nodes_; }
  // Sets a string attribute of node `index` after the fact (e.g. a precision chosen for a backend).
  void set_attr(int32_t index, const std::string& key, const std::string& text) { nodes_[static_cast<size_t>(index)].at.strings[key] = text; }
  const value& val(int32_t id) const { return values_[static_cast<size_t>(id)]; }
  int32_t find(const std::string& value_name) const;  // kiln_no_value when absent

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(const std::string& message);  // keeps the first error
  void clear_error() { error_.clear(); }
  // A name not used yet, from a base (for generated nodes such as gradients).
  std::string unique_name(const std::string& base);

 private:
  int32_t add_value(const std::string& name, const shape_t& shape, kiln_dtype dtype, int32_t producer,
                    int32_t output_index);
  std::vector<value> values_;
  std::vector<node> nodes_;
  std::map<std::string, int32_t> by_name_;
  std::map<std::string, int32_t> name_counts_;
  std::string error_;
};

}  // namespace kiln
