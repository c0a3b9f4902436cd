// Sliding-window geometry shared by convolution and pooling, as the reference reads it
// (backends/reference/conv.cpp): NHWC, 1-D ops as 2-D ones of height 1, TensorFlow's "same" padding.
#pragma once

#include "cuda_common.cuh"

namespace kiln::cuda {

// Tap t of output o reads input o * stride - pad + t * dilation.
struct axis {
  int64_t in = 1, out = 1, k = 1, stride = 1, dilation = 1, pad = 0;
};

struct window_geometry {
  int64_t n = 0, c = 0, f = 0, groups = 1;  // f: conv filters (pooling: 0)
  axis h, w;
};

inline void set_pad(axis& a, bool same) {
  const int64_t total = (a.out - 1) * a.stride + (a.k - 1) * a.dilation + 1 - a.in;
  a.pad = same && total > 0 ? total / 2 : 0;
}

inline std::vector<int64_t> per_axis(const node& n, const char* key, size_t rank, const std::vector<int64_t>& fallback) {
  if (const std::vector<int64_t>* list = attr_list(n, key)) return *list;
  if (n.at.ints.count(key)) return std::vector<int64_t>(rank, attr_i(n, key, 1));
  return fallback;
}

inline shape_t as_2d(shape_t s, size_t unit_axis) {
  if (s.size() == 3) s.insert(s.begin() + static_cast<std::ptrdiff_t>(unit_axis), 1);
  return s;
}

// x, k and y: the input, kernel and output shapes of the forward convolution.
inline window_geometry conv_geometry(const node& nd, const shape_t& x_shape, const shape_t& k_shape, const shape_t& y_shape) {
  const shape_t x = as_2d(x_shape, 1), k = as_2d(k_shape, 0), y = as_2d(y_shape, 1);
  std::vector<int64_t> strides, dilations;
  if (nd.op == kiln_op_conv1d) {
    strides = {1, per_axis(nd, "stride", 1, {1})[0]};
    dilations = {1, per_axis(nd, "dilation", 1, {1})[0]};
  } else {
    strides = per_axis(nd, "strides", 2, {1, 1});
    dilations = per_axis(nd, "dilations", 2, {1, 1});
  }
  window_geometry g;
  g.n = x[0];
  g.c = x[3];
  g.f = k[3];
  g.groups = attr_i(nd, "groups", 1);
  g.h = {x[1], y[1], k[0], strides[0], dilations[0], 0};
  g.w = {x[2], y[2], k[1], strides[1], dilations[1], 0};
  set_pad(g.h, attr_is(nd, "padding", "same"));
  set_pad(g.w, attr_is(nd, "padding", "same"));
  return g;
}

inline window_geometry pool_geometry(const node& nd, const shape_t& x_shape, const shape_t& y_shape) {
  const shape_t x = as_2d(x_shape, 1), y = as_2d(y_shape, 1);
  const size_t rank = x_shape.size() - 2;
  std::vector<int64_t> size = per_axis(nd, "pool_size", rank, std::vector<int64_t>(rank, 2));
  std::vector<int64_t> strides = per_axis(nd, "strides", rank, size);
  if (rank == 1) {
    size.insert(size.begin(), 1);
    strides.insert(strides.begin(), 1);
  }
  window_geometry g;
  g.n = x[0];
  g.c = x[3];
  g.h = {x[1], y[1], size[0], strides[0], 1, 0};
  g.w = {x[2], y[2], size[1], strides[1], 1, 0};
  set_pad(g.h, attr_is(nd, "padding", "same"));
  set_pad(g.w, attr_is(nd, "padding", "same"));
  return g;
}

}  // namespace kiln::cuda
