// Convolution geometry for the cpu backend's conv kernels, and the direct kernels: for one group
// on the SIMD paths, and when each group has one input channel (depthwise), where a GEMM per group
// would be too thin to pay off.
#pragma once

#include "cpu/window.h"
#include "kernel.h"

namespace kiln::cpu {

struct conv_geometry {
  int64_t n = 0, c = 0, f = 0, groups = 1;
  axis h, w;

  int64_t cg() const { return c / groups; }
  int64_t fg() const { return f / groups; }
  int64_t patch() const { return h.k * w.k * cg(); }  // one output pixel's window of one group
  int64_t in_pixels() const { return h.in * w.in; }   // per image
  int64_t out_pixels() const { return h.out * w.out; }
};

// x, k and y are the shapes of the forward convolution's input, kernel and output.
conv_geometry conv_geom(const node& nd, const shape_t& x, const shape_t& k, const shape_t& y);

// Direct convolution for one group on the SIMD tile kernels (conv_direct.cpp): no patch matrix.
// Each returns false, doing nothing, where it does not apply (no SIMD path, groups > 1, and for
// backprop input strides > 1). direct_conv adds bias (f values, or null) and, when act is set,
// also writes act(y) to act_y.
bool direct_conv(const conv_geometry& g, const float* x, const float* k, const float* bias, float* y, const node* act,
                 float* act_y, thread_pool* pool);
bool direct_backprop_input(const conv_geometry& g, const float* dy, const float* k, float* dx, thread_pool* pool);
bool direct_backprop_filter(const conv_geometry& g, const float* x, const float* dy, float* dk, thread_pool* pool);

// One input channel per group: filter f reads channel f / fg. Same summation order as the
// reference backend.
void depthwise_conv(const conv_geometry& g, const float* x, const float* k, float* y, thread_pool* pool);
void depthwise_backprop_input(const conv_geometry& g, const float* dy, const float* k, float* dx, thread_pool* pool);
void depthwise_backprop_filter(const conv_geometry& g, const float* x, const float* dy, float* dk, thread_pool* pool);

}  // namespace kiln::cpu
