// Direct float32 kernels for convolutions with one input channel per group (depthwise, with a
// channel multiplier m = filters / channels): filter c * m + j reads channel c only, so every
// loop runs along whole NHWC channel rows.
#include <algorithm>

#include "cpu/conv.h"
#include "cpu/cpu_kernels.h"

namespace kiln::cpu {

namespace {

constexpr int64_t kiln_depthwise_block = 64;  // channels per backprop-filter task

// y[c * m + j] += x[c] * k[c * m + j] for c < channels, j < m.
inline void multiply_add(float* y, const float* x, const float* k, int64_t channels, int64_t m) {
  if (m == 1) {
    for (int64_t c = 0; c < channels; ++c) y[c] += x[c] * k[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t j = 0; j < m; ++j) y[c * m + j] += x[c] * k[c * m + j];
}

// The input index read by output index `out` through tap `t`; -1 outside the input.
inline int64_t input_at(const axis& a, int64_t out, int64_t t) {
  const int64_t i = out * a.stride - a.pad + t * a.dilation;
  return i >= 0 && i < a.in ? i : -1;
}

// The output index that reads input index `in` through tap `t`; -1 when none does.
inline int64_t output_at(const axis& a, int64_t in, int64_t t) {
  const int64_t s = in + a.pad - t * a.dilation;
  return s >= 0 && s % a.stride == 0 && s / a.stride < a.out ? s / a.stride : -1;
}

}  // namespace

// Each output pixel sums its in-bounds taps in (kh, kw) order.
void depthwise_conv(const conv_geometry& g, const float* x, const float* k, float* y, thread_pool* pool) {
  const int64_t m = g.fg(), pixels = g.out_pixels();
  parallel(pool, g.n * pixels, grain_for(g.f * g.h.k * g.w.k), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / pixels, oh = p % pixels / g.w.out, ow = p % g.w.out;
      float* yp = y + p * g.f;
      std::fill(yp, yp + g.f, 0.0f);
      for (int64_t kh = 0; kh < g.h.k; ++kh) {
        const int64_t ih = input_at(g.h, oh, kh);
        for (int64_t kw = 0; ih >= 0 && kw < g.w.k; ++kw) {
          const int64_t iw = input_at(g.w, ow, kw);
          if (iw >= 0) multiply_add(yp, x + ((n * g.h.in + ih) * g.w.in + iw) * g.c, k + (kh * g.w.k + kw) * g.f, g.c, m);
        }
      }
    }
  });
}

// Each input pixel gathers dy * k over the (output pixel, tap) pairs that read it.
void depthwise_backprop_input(const conv_geometry& g, const float* dy, const float* k, float* dx, thread_pool* pool) {
  const int64_t m = g.fg(), pixels = g.in_pixels();
  parallel(pool, g.n * pixels, grain_for(g.f * g.h.k * g.w.k), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t n = q / pixels, ih = q % pixels / g.w.in, iw = q % g.w.in;
      float* dxq = dx + q * g.c;
      std::fill(dxq, dxq + g.c, 0.0f);
      for (int64_t kh = 0; kh < g.h.k; ++kh) {
        const int64_t oh = output_at(g.h, ih, kh);
        for (int64_t kw = 0; oh >= 0 && kw < g.w.k; ++kw) {
          const int64_t ow = output_at(g.w, iw, kw);
          if (ow < 0) continue;
          const float* dyp = dy + ((n * g.h.out + oh) * g.w.out + ow) * g.f;
          const float* kt = k + (kh * g.w.k + kw) * g.f;
          if (m == 1) {
            for (int64_t c = 0; c < g.c; ++c) dxq[c] += dyp[c] * kt[c];
            continue;
          }
          for (int64_t c = 0; c < g.c; ++c) {
            float sum = 0.0f;
            for (int64_t j = 0; j < m; ++j) sum += dyp[c * m + j] * kt[c * m + j];
            dxq[c] += sum;
          }
        }
      }
    }
  });
}

// Each (tap, channel block) task sums x * dy over every output pixel, in pixel order.
void depthwise_backprop_filter(const conv_geometry& g, const float* x, const float* dy, float* dk, thread_pool* pool) {
  const int64_t m = g.fg(), taps = g.h.k * g.w.k;
  const int64_t blocks = (g.c + kiln_depthwise_block - 1) / kiln_depthwise_block;
  parallel(pool, taps * blocks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t tap = t / blocks, kh = tap / g.w.k, kw = tap % g.w.k;
      const int64_t c0 = t % blocks * kiln_depthwise_block, len = std::min(kiln_depthwise_block, g.c - c0);
      float* dkt = dk + tap * g.f + c0 * m;
      std::fill(dkt, dkt + len * m, 0.0f);
      for (int64_t n = 0; n < g.n; ++n)
        for (int64_t oh = 0; oh < g.h.out; ++oh) {
          const int64_t ih = input_at(g.h, oh, kh);
          for (int64_t ow = 0; ih >= 0 && ow < g.w.out; ++ow) {
            const int64_t iw = input_at(g.w, ow, kw);
            if (iw < 0) continue;
            multiply_add(dkt, x + ((n * g.h.in + ih) * g.w.in + iw) * g.c + c0, dy + ((n * g.h.out + oh) * g.w.out + ow) * g.f + c0 * m,
                         len, m);
          }
        }
    }
  });
}

}  // namespace kiln::cpu
