// The cpu backend: threaded, vectorisable float32 kernels for the hot ops on top of a copy of
// the reference table, so every other op and dtype still runs (on the reference kernel).
#pragma once

#include <cstdint>
#include <cstring>

#include "exec/thread_pool.h"
#include "kernel.h"

namespace kiln {

const kernel_table& cpu_kernels();

// Each op family overrides its float32 kernels (backends/cpu/<family>.cpp).
void register_cpu_linear(kernel_table& t);
void register_cpu_elementwise(kernel_table& t);
void register_cpu_reduce(kernel_table& t);
void register_cpu_conv(kernel_table& t);
void register_cpu_pool(kernel_table& t);
void register_cpu_softmax(kernel_table& t);
void register_cpu_optim(kernel_table& t);

namespace cpu {

// Runs the reference kernel of the node: the fallback for cases without a fast path.
void run_reference(const kernel_args& a);

// out[i] = f(in[i]) for i < count, where f is unary op n (relu ... huber) with its attrs, by the
// reference's formula in float32. in may equal out.
void unary_span(const node& n, const float* in, float* out, int64_t count);

// The second half of a fused "producer -> bias_add [-> activation]" epilogue: z[r, :] += bias
// over rows of `channels` values and, when act is set, y = act(z); on the pool.
void bias_activation(float* z, const float* bias, int64_t rows, int64_t channels, const node* act, float* y, thread_pool* pool);

// c ? a : b through the bits. GCC turns "dy * (c ? 1 : alpha)" into a branch around the multiply
// and, under trapping math, cannot vectorise that; data-dependent selects in hot loops go here.
inline float pick(bool c, float a, float b) {
  uint32_t ua, ub;
  std::memcpy(&ua, &a, sizeof ua);
  std::memcpy(&ub, &b, sizeof ub);
  const uint32_t m = 0u - static_cast<uint32_t>(c), r = (ua & m) | (ub & ~m);
  float out;
  std::memcpy(&out, &r, sizeof out);
  return out;
}

// fn(begin, end) over [0, n) in chunks of `grain` on the pool, or inline when there is no pool
// or too little work to share.
template <typename F>
void parallel(thread_pool* pool, int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (pool == nullptr || n <= grain || pool->size() <= 1) {
    fn(int64_t{0}, n);
  } else {
    pool->parallel_for(n, fn, grain);
  }
}

// Items per chunk so that a chunk holds about `work` units when each item costs `per_item`.
inline int64_t grain_for(int64_t per_item, int64_t work = int64_t{1} << 15) {
  return per_item >= work ? 1 : work / (per_item > 0 ? per_item : 1);
}

}  // namespace cpu

}  // namespace kiln
