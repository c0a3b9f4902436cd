// Convolution (2-D and 1-D, grouped and depthwise) with its two backprop ops, max and average
// pooling with their gradient ops, and nearest-neighbour upsampling. Layouts are NHWC / NWC with
// HWIO / WIO kernels. Geometry follows TensorFlow: padding "same" gives ceil(in / stride) outputs
// and puts the odd unit of padding after. 1-D gradients reshape to 2-D with a height of 1.
#include "ir/op_table.h"

namespace kiln {

namespace {

std::string float_inputs(const shape_ctx& c) {
  const std::string dtypes = same_dtype(c);
  if (!dtypes.empty()) return dtypes;
  if (!is_float(c.in_dtypes[0])) return std::string("needs float inputs, got ") + dtype_name(c.in_dtypes[0]);
  return "";
}

// A per-spatial-axis attribute: one int for every axis, or a list with one int per axis.
std::string spatial_attr(const attrs& at, const std::string& key, size_t rank, const std::vector<int64_t>& fallback,
                         std::vector<int64_t>& out) {
  if (const std::vector<int64_t>* list = at.list(key)) {
    if (list->size() != rank) {
      return "'" + key + "' needs " + std::to_string(rank) + (rank == 1 ? " value" : " values") + ", got " + shape_string(*list);
    }
    out = *list;
  } else if (at.ints.count(key)) {
    out.assign(rank, at.i(key, 1));
  } else {
    out = fallback;
  }
  for (int64_t v : out) {
    if (v < 1) return "'" + key + "' must be positive, got " + shape_string(out);
  }
  return "";
}

std::string read_padding(const attrs& at, bool& same) {
  auto it = at.strings.find("padding");
  const std::string padding = it == at.strings.end() ? "valid" : it->second;
  if (padding != "same" && padding != "valid") return "padding must be \"same\" or \"valid\", got \"" + padding + "\"";
  same = padding == "same";
  return "";
}

// Output length along one axis; -1 when padding "valid" leaves no room for a single window.
int64_t out_length(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same) {
  if (same) return (in + stride - 1) / stride;
  const int64_t span = (k - 1) * dilation + 1;
  return in < span ? -1 : (in - span) / stride + 1;
}

// "5x5" for 2-D spatial sizes, "5" for 1-D.
std::string dims(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "x" : "") + std::to_string(v[i]);
  return s;
}

shape_t with_unit_axis(shape_t s, size_t at) {
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), 1);
  return s;
}

int32_t reshape(vjp_ctx& c, const std::string& what, int32_t v, const shape_t& shape) {
  return c.g.add1(kiln_op_reshape, c.name(what), {v}, shape_attrs(shape));
}

// ---- convolution ----

struct conv_spec {
  size_t spatial = 2;
  std::vector<int64_t> strides, dilations;
  bool same = false;
  int64_t groups = 1;
};

std::string read_conv_spec(kiln_op op, const attrs& at, conv_spec& s) {
  const bool one_d = op == kiln_op_conv1d;
  s.spatial = one_d ? 1 : 2;
  const std::vector<int64_t> ones(s.spatial, 1);
  std::string problem = spatial_attr(at, one_d ? "stride" : "strides", s.spatial, ones, s.strides);
  if (problem.empty()) problem = spatial_attr(at, one_d ? "dilation" : "dilations", s.spatial, ones, s.dilations);
  if (problem.empty()) problem = read_padding(at, s.same);
  s.groups = at.i("groups", 1);
  if (problem.empty() && s.groups < 1) problem = "groups must be at least 1, got " + std::to_string(s.groups);
  return problem;
}

// The output shape of convolving an input of shape x with a kernel of shape k.
std::string conv_output(const conv_spec& s, const shape_t& x, const shape_t& k, shape_t& y) {
  const size_t rank = s.spatial + 2;
  if (x.size() != rank) {
    return std::string(s.spatial == 2 ? "input must be 4-D [batch, height, width, channels]" : "input must be 3-D [batch, width, channels]") +
           ", got " + shape_string(x);
  }
  if (k.size() != rank) {
    return std::string(s.spatial == 2 ? "kernel must be 4-D [height, width, in_channels / groups, filters]"
                                      : "kernel must be 3-D [width, in_channels / groups, filters]") +
           ", got " + shape_string(k);
  }
  const int64_t channels = x[rank - 1];
  const int64_t per_group = k[rank - 2];
  const int64_t filters = k[rank - 1];
  if (channels != per_group * s.groups) {
    const std::string expects = s.groups == 1 ? std::to_string(per_group)
                                              : std::to_string(per_group * s.groups) + " (" + std::to_string(per_group) + " per group x " +
                                                    std::to_string(s.groups) + " groups)";
    return "input has " + std::to_string(channels) + " channels but the kernel expects " + expects + " (kernel shape " + shape_string(k) + ")";
  }
  if (filters % s.groups != 0) {
    return "the kernel's " + std::to_string(filters) + " filters cannot be split into " + std::to_string(s.groups) + " groups";
  }
  y.assign(1, x[0]);
  std::vector<int64_t> in, span;
  for (size_t i = 0; i < s.spatial; ++i) {
    const int64_t len = out_length(x[1 + i], k[i], s.strides[i], s.dilations[i], s.same);
    in.push_back(x[1 + i]);
    span.push_back((k[i] - 1) * s.dilations[i] + 1);
    y.push_back(len);
  }
  for (int64_t len : y) {
    if (len < 0) return "the input is " + dims(in) + " but the kernel spans " + dims(span) + " with padding \"valid\"";
  }
  y.push_back(filters);
  return "";
}

std::string conv_shape(shape_ctx& c) {
  std::string problem = float_inputs(c);
  conv_spec s;
  if (problem.empty()) problem = read_conv_spec(c.op, c.at, s);
  shape_t y;
  if (problem.empty()) problem = conv_output(s, c.in_shapes[0], c.in_shapes[1], y);
  if (problem.empty()) c.set_output(y, c.in_dtypes[0]);
  return problem;
}

// (dy, kernel) -> dx of the input shape given by the attribute input_shape.
std::string conv_backprop_input_shape(shape_ctx& c) {
  std::string problem = float_inputs(c);
  conv_spec s;
  if (problem.empty()) problem = read_conv_spec(c.op, c.at, s);
  if (!problem.empty()) return problem;
  const std::vector<int64_t>* x = c.at.list("input_shape");
  if (!x) return "needs the attribute input_shape";
  shape_t y;
  problem = conv_output(s, *x, c.in_shapes[1], y);
  if (!problem.empty()) return problem;
  if (y != c.in_shapes[0]) {
    return "dy is " + shape_string(c.in_shapes[0]) + " but convolving an input of " + shape_string(*x) + " with a kernel of " +
           shape_string(c.in_shapes[1]) + " gives " + shape_string(y);
  }
  c.set_output(*x, c.in_dtypes[0]);
  return "";
}

// (x, dy) -> dkernel of the kernel shape given by the attribute filter_shape.
std::string conv_backprop_filter_shape(shape_ctx& c) {
  std::string problem = float_inputs(c);
  conv_spec s;
  if (problem.empty()) problem = read_conv_spec(c.op, c.at, s);
  if (!problem.empty()) return problem;
  const std::vector<int64_t>* k = c.at.list("filter_shape");
  if (!k) return "needs the attribute filter_shape";
  shape_t y;
  problem = conv_output(s, c.in_shapes[0], *k, y);
  if (!problem.empty()) return problem;
  if (y != c.in_shapes[1]) {
    return "dy is " + shape_string(c.in_shapes[1]) + " but convolving an input of " + shape_string(c.in_shapes[0]) + " with a kernel of " +
           shape_string(*k) + " gives " + shape_string(y);
  }
  c.set_output(*k, c.in_dtypes[0]);
  return "";
}

// The node's convolution attributes with one shape attribute set (and the other removed).
attrs conv_attrs(const attrs& from, const char* shape_key, const shape_t& shape) {
  attrs at = from;
  at.int_lists.erase("input_shape");
  at.int_lists.erase("filter_shape");
  if (shape_key) at.int_lists[shape_key] = shape;
  return at;
}

int32_t backprop_input(vjp_ctx& c, const attrs& at, int32_t dy, int32_t k, const shape_t& x_shape) {
  return c.g.add1(kiln_op_conv2d_backprop_input, c.name("dx"), {dy, k}, conv_attrs(at, "input_shape", x_shape));
}

int32_t backprop_filter(vjp_ctx& c, const attrs& at, int32_t x, int32_t dy, const shape_t& k_shape) {
  return c.g.add1(kiln_op_conv2d_backprop_filter, c.name("dkernel"), {x, dy}, conv_attrs(at, "filter_shape", k_shape));
}

void conv2d_vjp(vjp_ctx& c) {
  const int32_t dy = c.out_grads[0];
  if (c.needs[0]) c.set(0, backprop_input(c, c.n.at, dy, c.in(1), c.in_shape(0)));
  if (c.needs[1]) c.set(1, backprop_filter(c, c.n.at, c.in(0), dy, c.in_shape(1)));
}

// dx = B_k dy is linear in dy and in k: its adjoints are conv2d(g, k) and backprop_filter(g, dy).
void conv2d_backprop_input_vjp(vjp_ctx& c) {
  const int32_t g = c.out_grads[0];
  if (c.needs[0]) c.set(0, c.g.add1(kiln_op_conv2d, c.name("ddy"), {g, c.in(1)}, conv_attrs(c.n.at, nullptr, {})));
  if (c.needs[1]) c.set(1, backprop_filter(c, c.n.at, g, c.in(0), c.in_shape(1)));
}

// dk = F(x, dy) is linear in x and in dy: its adjoints are backprop_input(dy, g) and conv2d(x, g).
void conv2d_backprop_filter_vjp(vjp_ctx& c) {
  const int32_t g = c.out_grads[0];
  if (c.needs[0]) c.set(0, backprop_input(c, c.n.at, c.in(1), g, c.in_shape(0)));
  if (c.needs[1]) c.set(1, c.g.add1(kiln_op_conv2d, c.name("ddy"), {c.in(0), g}, conv_attrs(c.n.at, nullptr, {})));
}

void conv1d_vjp(vjp_ctx& c) {
  conv_spec s;
  read_conv_spec(c.n.op, c.n.at, s);
  attrs at;
  at.int_lists["strides"] = {1, s.strides[0]};
  at.int_lists["dilations"] = {1, s.dilations[0]};
  at.strings["padding"] = s.same ? "same" : "valid";
  at.ints["groups"] = s.groups;
  const shape_t x4 = with_unit_axis(c.in_shape(0), 1);
  const shape_t k4 = with_unit_axis(c.in_shape(1), 0);
  const int32_t dy4 = reshape(c, "dy_2d", c.out_grads[0], with_unit_axis(c.g.val(c.out(0)).shape, 1));
  if (c.needs[0]) {
    const int32_t dx = backprop_input(c, at, dy4, reshape(c, "kernel_2d", c.in(1), k4), x4);
    c.set(0, reshape(c, "dx_1d", dx, c.in_shape(0)));
  }
  if (c.needs[1]) {
    const int32_t dk = backprop_filter(c, at, reshape(c, "x_2d", c.in(0), x4), dy4, k4);
    c.set(1, reshape(c, "dkernel_1d", dk, c.in_shape(1)));
  }
}

// ---- pooling ----

struct pool_spec {
  size_t spatial = 2;
  std::vector<int64_t> size, strides;
  bool same = false;
};

std::string read_pool_spec(kiln_op op, const attrs& at, pool_spec& s) {
  s.spatial = op == kiln_op_max_pool1d || op == kiln_op_avg_pool1d ? 1 : 2;
  std::string problem = spatial_attr(at, "pool_size", s.spatial, std::vector<int64_t>(s.spatial, 2), s.size);  // Keras's default
  if (problem.empty()) problem = spatial_attr(at, "strides", s.spatial, s.size, s.strides);
  if (problem.empty()) problem = read_padding(at, s.same);
  return problem;
}

std::string pool_output(const pool_spec& s, const shape_t& x, shape_t& y) {
  if (x.size() != s.spatial + 2) {
    return std::string(s.spatial == 2 ? "input must be 4-D [batch, height, width, channels]" : "input must be 3-D [batch, width, channels]") +
           ", got " + shape_string(x);
  }
  y.assign(1, x[0]);
  std::vector<int64_t> in;
  for (size_t i = 0; i < s.spatial; ++i) {
    in.push_back(x[1 + i]);
    y.push_back(out_length(x[1 + i], s.size[i], s.strides[i], 1, s.same));
  }
  for (int64_t len : y) {
    if (len < 0) return "the input is " + dims(in) + " but the pool window is " + dims(s.size) + " with padding \"valid\"";
  }
  y.push_back(x.back());
  return "";
}

std::string pool_shape(shape_ctx& c) {
  std::string problem = float_inputs(c);
  pool_spec s;
  if (problem.empty()) problem = read_pool_spec(c.op, c.at, s);
  shape_t y;
  if (problem.empty()) problem = pool_output(s, c.in_shapes[0], y);
  if (problem.empty()) c.set_output(y, c.in_dtypes[0]);
  return problem;
}

// (x, y, dy) -> dx
std::string max_pool_grad_shape(shape_ctx& c) {
  std::string problem = float_inputs(c);
  pool_spec s;
  if (problem.empty()) problem = read_pool_spec(c.op, c.at, s);
  shape_t y;
  if (problem.empty()) problem = pool_output(s, c.in_shapes[0], y);
  if (!problem.empty()) return problem;
  if (c.in_shapes[1] != y || c.in_shapes[2] != y) {
    return "y and dy must have the pooled shape " + shape_string(y) + " of x " + shape_string(c.in_shapes[0]) + ", got " +
           shape_string(c.in_shapes[1]) + " and " + shape_string(c.in_shapes[2]);
  }
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

// (dy) -> dx of the input shape given by the attribute input_shape.
std::string avg_pool_grad_shape(shape_ctx& c) {
  std::string problem = float_inputs(c);
  pool_spec s;
  if (problem.empty()) problem = read_pool_spec(c.op, c.at, s);
  if (!problem.empty()) return problem;
  const std::vector<int64_t>* x = c.at.list("input_shape");
  if (!x) return "needs the attribute input_shape";
  shape_t y;
  problem = pool_output(s, *x, y);
  if (!problem.empty()) return problem;
  if (y != c.in_shapes[0]) {
    return "dy is " + shape_string(c.in_shapes[0]) + " but pooling an input of " + shape_string(*x) + " gives " + shape_string(y);
  }
  c.set_output(*x, c.in_dtypes[0]);
  return "";
}

void max_pool2d_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_max_pool2d_grad, c.name("dx"), {c.in(0), c.out(0), c.out_grads[0]}, c.n.at));
}

void avg_pool2d_vjp(vjp_ctx& c) {
  attrs at = c.n.at;
  at.int_lists["input_shape"] = c.in_shape(0);
  c.set(0, c.g.add1(kiln_op_avg_pool2d_grad, c.name("dx"), {c.out_grads[0]}, at));
}

// avg_pool2d_grad is the adjoint of avg_pool2d, so its own adjoint is avg_pool2d.
void avg_pool2d_grad_vjp(vjp_ctx& c) {
  attrs at = c.n.at;
  at.int_lists.erase("input_shape");
  c.set(0, c.g.add1(kiln_op_avg_pool2d, c.name("ddy"), {c.out_grads[0]}, at));
}

attrs pool_attrs_2d(const vjp_ctx& c) {
  pool_spec s;
  read_pool_spec(c.n.op, c.n.at, s);
  attrs at;
  at.int_lists["pool_size"] = {1, s.size[0]};
  at.int_lists["strides"] = {1, s.strides[0]};
  at.strings["padding"] = s.same ? "same" : "valid";
  return at;
}

void max_pool1d_vjp(vjp_ctx& c) {
  const shape_t y4 = with_unit_axis(c.g.val(c.out(0)).shape, 1);
  const int32_t x = reshape(c, "x_2d", c.in(0), with_unit_axis(c.in_shape(0), 1));
  const int32_t y = reshape(c, "y_2d", c.out(0), y4);
  const int32_t dy = reshape(c, "dy_2d", c.out_grads[0], y4);
  const int32_t dx = c.g.add1(kiln_op_max_pool2d_grad, c.name("dx"), {x, y, dy}, pool_attrs_2d(c));
  c.set(0, reshape(c, "dx_1d", dx, c.in_shape(0)));
}

void avg_pool1d_vjp(vjp_ctx& c) {
  attrs at = pool_attrs_2d(c);
  at.int_lists["input_shape"] = with_unit_axis(c.in_shape(0), 1);
  const int32_t dy = reshape(c, "dy_2d", c.out_grads[0], with_unit_axis(c.g.val(c.out(0)).shape, 1));
  const int32_t dx = c.g.add1(kiln_op_avg_pool2d_grad, c.name("dx"), {dy}, at);
  c.set(0, reshape(c, "dx_1d", dx, c.in_shape(0)));
}

// ---- upsampling ----

// NHWC or NWC input; the factors are per spatial axis (default 2, as Keras's UpSampling layers).
std::string read_upsample(const shape_ctx& c, std::vector<int64_t>& size) {
  std::string problem = float_inputs(c);
  if (!problem.empty()) return problem;
  const shape_t& x = c.in_shapes[0];
  if (x.size() != 3 && x.size() != 4) {
    return "input must be 4-D [batch, height, width, channels] or 3-D [batch, width, channels], got " + shape_string(x);
  }
  return spatial_attr(c.at, "size", x.size() - 2, std::vector<int64_t>(x.size() - 2, 2), size);
}

std::string upsample_shape(shape_ctx& c) {
  std::vector<int64_t> size;
  const std::string problem = read_upsample(c, size);
  if (!problem.empty()) return problem;
  shape_t y = c.in_shapes[0];
  for (size_t i = 0; i < size.size(); ++i) y[1 + i] *= size[i];
  c.set_output(y, c.in_dtypes[0]);
  return "";
}

// (dy) -> dx: sums each block of size[0] x size[1] elements.
std::string upsample_grad_shape(shape_ctx& c) {
  std::vector<int64_t> size;
  const std::string problem = read_upsample(c, size);
  if (!problem.empty()) return problem;
  shape_t x = c.in_shapes[0];
  for (size_t i = 0; i < size.size(); ++i) {
    if (x[1 + i] % size[i] != 0) {
      return "dy " + shape_string(c.in_shapes[0]) + " is not a whole number of " + dims(size) + " blocks";
    }
    x[1 + i] /= size[i];
  }
  c.set_output(x, c.in_dtypes[0]);
  return "";
}

void upsample_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_upsample_nearest_grad, c.name("dx"), {c.out_grads[0]}, c.n.at));
}

void upsample_grad_vjp(vjp_ctx& c) {
  c.set(0, c.g.add1(kiln_op_upsample_nearest, c.name("ddy"), {c.out_grads[0]}, c.n.at));
}

}  // namespace

void describe_conv_ops(op_info* t) {
  t[kiln_op_conv2d] = {"conv2d", 2, 2, conv_shape, conv2d_vjp, kiln_opf_none};
  t[kiln_op_conv2d_backprop_input] = {"conv2d_backprop_input", 2, 2, conv_backprop_input_shape, conv2d_backprop_input_vjp, kiln_opf_none};
  t[kiln_op_conv2d_backprop_filter] = {"conv2d_backprop_filter", 2, 2, conv_backprop_filter_shape, conv2d_backprop_filter_vjp, kiln_opf_none};
  t[kiln_op_conv1d] = {"conv1d", 2, 2, conv_shape, conv1d_vjp, kiln_opf_none};
  t[kiln_op_max_pool2d] = {"max_pool2d", 1, 1, pool_shape, max_pool2d_vjp, kiln_opf_none};
  t[kiln_op_avg_pool2d] = {"avg_pool2d", 1, 1, pool_shape, avg_pool2d_vjp, kiln_opf_none};
  t[kiln_op_max_pool2d_grad] = {"max_pool2d_grad", 3, 3, max_pool_grad_shape, nullptr, kiln_opf_none};
  t[kiln_op_avg_pool2d_grad] = {"avg_pool2d_grad", 1, 1, avg_pool_grad_shape, avg_pool2d_grad_vjp, kiln_opf_none};
  t[kiln_op_max_pool1d] = {"max_pool1d", 1, 1, pool_shape, max_pool1d_vjp, kiln_opf_none};
  t[kiln_op_avg_pool1d] = {"avg_pool1d", 1, 1, pool_shape, avg_pool1d_vjp, kiln_opf_none};
  t[kiln_op_upsample_nearest] = {"upsample_nearest", 1, 1, upsample_shape, upsample_vjp, kiln_opf_none};
  t[kiln_op_upsample_nearest_grad] = {"upsample_nearest_grad", 1, 1, upsample_grad_shape, upsample_grad_vjp, kiln_opf_none};
}

}  // namespace kiln
