// Reference convolution, pooling and upsampling: direct loops over every output and every tap of
// its window. 1-D ops run as 2-D ones with a height of 1. Shapes and attributes were validated
// by the shape rules (src/ir/ops_conv.cpp).
#include <algorithm>

#include "reference/reference.h"

namespace kiln {

namespace {

// One spatial axis of a sliding window: tap t of output o reads input o * stride - pad + t * dilation.
struct axis {
  int64_t in = 1, out = 1, k = 1, stride = 1, dilation = 1, pad = 0;  // pad: before the input
};

// TensorFlow's "same" padding: the total needed for ceil(in / stride) outputs, the odd unit after.
void set_pad(axis& a, bool same) {
  const int64_t total = (a.out - 1) * a.stride + (a.k - 1) * a.dilation + 1 - a.in;
  a.pad = same && total > 0 ? total / 2 : 0;
}

bool is_same(const attrs& at) {
  auto it = at.strings.find("padding");
  return it != at.strings.end() && it->second == "same";
}

// A per-axis attribute given as one int or a list (as the shape rule reads it).
std::vector<int64_t> per_axis(const attrs& at, const char* key, size_t rank, const std::vector<int64_t>& fallback) {
  if (const std::vector<int64_t>* list = at.list(key)) return *list;
  if (at.ints.count(key)) return std::vector<int64_t>(rank, at.i(key, 1));
  return fallback;
}

// NWC / WIO shapes as NHWC / HWIO with a height of 1.
shape_t as_2d(shape_t s, size_t unit_axis) {
  if (s.size() == 3) s.insert(s.begin() + static_cast<std::ptrdiff_t>(unit_axis), 1);
  return s;
}

// ---- convolution ----

struct conv_geometry {
  int64_t n = 0, c = 0, f = 0, groups = 1;
  axis h, w;
};

// x, k and y are the shapes of the input, kernel and output of the forward convolution.
conv_geometry conv_geom(const node& nd, const shape_t& x_shape, const shape_t& k_shape, const shape_t& y_shape) {
  const shape_t x = as_2d(x_shape, 1), k = as_2d(k_shape, 0), y = as_2d(y_shape, 1);
  std::vector<int64_t> strides, dilations;
  if (nd.op == kiln_op_conv1d) {
    strides = {1, per_axis(nd.at, "stride", 1, {1})[0]};
    dilations = {1, per_axis(nd.at, "dilation", 1, {1})[0]};
  } else {
    strides = per_axis(nd.at, "strides", 2, {1, 1});
    dilations = per_axis(nd.at, "dilations", 2, {1, 1});
  }
  conv_geometry g;
  g.n = x[0];
  g.c = x[3];
  g.f = k[3];
  g.groups = nd.at.i("groups", 1);
  g.h = {x[1], y[1], k[0], strides[0], dilations[0], 0};
  g.w = {x[2], y[2], k[1], strides[1], dilations[1], 0};
  set_pad(g.h, is_same(nd.at));
  set_pad(g.w, is_same(nd.at));
  return g;
}

// Calls f(x_index, k_index, y_index) for every product x * k that contributes to an output.
template <typename F>
void for_each_tap(const conv_geometry& g, F f) {
  const int64_t c_per_group = g.c / g.groups, f_per_group = g.f / g.groups;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oh = 0; oh < g.h.out; ++oh)
      for (int64_t ow = 0; ow < g.w.out; ++ow)
        for (int64_t fo = 0; fo < g.f; ++fo) {
          const int64_t first_c = (fo / f_per_group) * c_per_group;
          const int64_t yi = ((n * g.h.out + oh) * g.w.out + ow) * g.f + fo;
          for (int64_t kh = 0; kh < g.h.k; ++kh) {
            const int64_t ih = oh * g.h.stride - g.h.pad + kh * g.h.dilation;
            if (ih < 0 || ih >= g.h.in) continue;
            for (int64_t kw = 0; kw < g.w.k; ++kw) {
              const int64_t iw = ow * g.w.stride - g.w.pad + kw * g.w.dilation;
              if (iw < 0 || iw >= g.w.in) continue;
              for (int64_t ci = 0; ci < c_per_group; ++ci) {
                f(((n * g.h.in + ih) * g.w.in + iw) * g.c + first_c + ci, ((kh * g.w.k + kw) * c_per_group + ci) * g.f + fo, yi);
              }
            }
          }
        }
}

template <typename T>
void conv(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const T* k = a.in[1].as<T>();
  T* y = a.out[0].as<T>();
  std::fill(y, y + a.out[0].size, T(0));
  for_each_tap(conv_geom(a.n, *a.in[0].shape, *a.in[1].shape, *a.out[0].shape),
               [&](int64_t xi, int64_t ki, int64_t yi) { y[yi] += x[xi] * k[ki]; });
}

// (dy, k) -> dx
template <typename T>
void conv_backprop_input(const kernel_args& a) {
  const T* dy = a.in[0].as<T>();
  const T* k = a.in[1].as<T>();
  T* dx = a.out[0].as<T>();
  std::fill(dx, dx + a.out[0].size, T(0));
  for_each_tap(conv_geom(a.n, *a.out[0].shape, *a.in[1].shape, *a.in[0].shape),
               [&](int64_t xi, int64_t ki, int64_t yi) { dx[xi] += dy[yi] * k[ki]; });
}

// (x, dy) -> dk
template <typename T>
void conv_backprop_filter(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const T* dy = a.in[1].as<T>();
  T* dk = a.out[0].as<T>();
  std::fill(dk, dk + a.out[0].size, T(0));
  for_each_tap(conv_geom(a.n, *a.in[0].shape, *a.out[0].shape, *a.in[1].shape),
               [&](int64_t xi, int64_t ki, int64_t yi) { dk[ki] += x[xi] * dy[yi]; });
}

// ---- pooling ----

struct pool_geometry {
  int64_t n = 0, c = 0;
  axis h, w;
};

pool_geometry pool_geom(const node& nd, const shape_t& x_shape, const shape_t& y_shape) {
  const shape_t x = as_2d(x_shape, 1), y = as_2d(y_shape, 1);
  const size_t rank = x_shape.size() - 2;
  std::vector<int64_t> size = per_axis(nd.at, "pool_size", rank, std::vector<int64_t>(rank, 2));
  std::vector<int64_t> strides = per_axis(nd.at, "strides", rank, size);
  if (rank == 1) {
    size.insert(size.begin(), 1);
    strides.insert(strides.begin(), 1);
  }
  pool_geometry g;
  g.n = x[0];
  g.c = x[3];
  g.h = {x[1], y[1], size[0], strides[0], 1, 0};
  g.w = {x[2], y[2], size[1], strides[1], 1, 0};
  set_pad(g.h, is_same(nd.at));
  set_pad(g.w, is_same(nd.at));
  return g;
}

// The in-bounds part of one window: padding never takes part in a max or an average.
struct window {
  int64_t h0, h1, w0, w1;  // [h0, h1) x [w0, w1)
  int64_t count() const { return (h1 - h0) * (w1 - w0); }
};

// Calls f(y_index, window, x_index_of(h, w)) for every output element.
template <typename F>
void for_each_window(const pool_geometry& g, F f) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oh = 0; oh < g.h.out; ++oh)
      for (int64_t ow = 0; ow < g.w.out; ++ow) {
        const int64_t h = oh * g.h.stride - g.h.pad, w = ow * g.w.stride - g.w.pad;
        const window win{std::max<int64_t>(h, 0), std::min(h + g.h.k, g.h.in), std::max<int64_t>(w, 0), std::min(w + g.w.k, g.w.in)};
        for (int64_t c = 0; c < g.c; ++c) {
          f(((n * g.h.out + oh) * g.w.out + ow) * g.c + c, win,
            [&](int64_t ih, int64_t iw) { return ((n * g.h.in + ih) * g.w.in + iw) * g.c + c; });
        }
      }
}

// The first maximum of a window in row-major order (the one TensorFlow's MaxPoolGrad picks).
template <typename T, typename Index>
int64_t first_max(const T* x, const window& win, Index at) {
  int64_t best = at(win.h0, win.w0);
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w)
      if (x[at(h, w)] > x[best]) best = at(h, w);
  return best;
}

template <typename T>
void max_pool(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for_each_window(pool_geom(a.n, *a.in[0].shape, *a.out[0].shape),
                  [&](int64_t yi, const window& win, auto at) { y[yi] = x[first_max(x, win, at)]; });
}

template <typename T>
void avg_pool(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for_each_window(pool_geom(a.n, *a.in[0].shape, *a.out[0].shape), [&](int64_t yi, const window& win, auto at) {
    T sum = T(0);
    for (int64_t h = win.h0; h < win.h1; ++h)
      for (int64_t w = win.w0; w < win.w1; ++w) sum += x[at(h, w)];
    y[yi] = sum / static_cast<T>(win.count());
  });
}

// (x, y, dy) -> dx: each window's gradient goes to its first maximum.
template <typename T>
void max_pool_grad(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const T* dy = a.in[2].as<T>();
  T* dx = a.out[0].as<T>();
  std::fill(dx, dx + a.out[0].size, T(0));
  for_each_window(pool_geom(a.n, *a.in[0].shape, *a.in[2].shape),
                  [&](int64_t yi, const window& win, auto at) { dx[first_max(x, win, at)] += dy[yi]; });
}

// (dy) -> dx: each window's gradient is shared by its in-bounds elements.
template <typename T>
void avg_pool_grad(const kernel_args& a) {
  const T* dy = a.in[0].as<T>();
  T* dx = a.out[0].as<T>();
  std::fill(dx, dx + a.out[0].size, T(0));
  for_each_window(pool_geom(a.n, *a.out[0].shape, *a.in[0].shape), [&](int64_t yi, const window& win, auto at) {
    const T share = dy[yi] / static_cast<T>(win.count());
    for (int64_t h = win.h0; h < win.h1; ++h)
      for (int64_t w = win.w0; w < win.w1; ++w) dx[at(h, w)] += share;
  });
}

// ---- upsampling ----

// Calls f(small_index, big_index) for every element of the upsampled tensor; the factors are
// the ratio of the two shapes.
template <typename F>
void for_each_copy(const shape_t& small_shape, const shape_t& big_shape, F f) {
  const shape_t s = as_2d(small_shape, 1), b = as_2d(big_shape, 1);
  const int64_t fh = s[1] ? b[1] / s[1] : 1, fw = s[2] ? b[2] / s[2] : 1;
  for (int64_t n = 0; n < b[0]; ++n)
    for (int64_t h = 0; h < b[1]; ++h)
      for (int64_t w = 0; w < b[2]; ++w)
        for (int64_t c = 0; c < b[3]; ++c) f(((n * s[1] + h / fh) * s[2] + w / fw) * s[3] + c, ((n * b[1] + h) * b[2] + w) * b[3] + c);
}

template <typename T>
void upsample(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  T* y = a.out[0].as<T>();
  for_each_copy(*a.in[0].shape, *a.out[0].shape, [&](int64_t xi, int64_t yi) { y[yi] = x[xi]; });
}

template <typename T>
void upsample_grad(const kernel_args& a) {
  const T* dy = a.in[0].as<T>();
  T* dx = a.out[0].as<T>();
  std::fill(dx, dx + a.out[0].size, T(0));
  for_each_copy(*a.out[0].shape, *a.in[0].shape, [&](int64_t xi, int64_t yi) { dx[xi] += dy[yi]; });
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_conv2d, d, conv<T>);
  t.set(kiln_op_conv1d, d, conv<T>);
  t.set(kiln_op_conv2d_backprop_input, d, conv_backprop_input<T>);
  t.set(kiln_op_conv2d_backprop_filter, d, conv_backprop_filter<T>);
  t.set(kiln_op_max_pool2d, d, max_pool<T>);
  t.set(kiln_op_max_pool1d, d, max_pool<T>);
  t.set(kiln_op_avg_pool2d, d, avg_pool<T>);
  t.set(kiln_op_avg_pool1d, d, avg_pool<T>);
  t.set(kiln_op_max_pool2d_grad, d, max_pool_grad<T>);
  t.set(kiln_op_avg_pool2d_grad, d, avg_pool_grad<T>);
  t.set(kiln_op_upsample_nearest, d, upsample<T>);
  t.set(kiln_op_upsample_nearest_grad, d, upsample_grad<T>);
}

}  // namespace

void register_reference_conv(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
}

}  // namespace kiln
