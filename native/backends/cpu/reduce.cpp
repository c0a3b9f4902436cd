// float32 reduce_sum, reduce_mean and sum_to when the reduced axes form one block: the input is
// then [outer, mid, inner] and mid is summed away. That covers reducing leading axes (bias and
// batch gradients), the last axes (per-row sums) and everything. Other patterns use the reference.
#include <algorithm>
#include <vector>

#include "cpu/cpu_kernels.h"
#include "scratch.h"

namespace kiln {

namespace {

constexpr int64_t kiln_column_block = 1024;  // inner elements summed by one task
constexpr int64_t kiln_slice_rows = 2048;     // rows summed apart, at least, when rows are split
constexpr int64_t kiln_max_slices = 16;

struct blocks {
  int64_t outer = 1, mid = 1, inner = 1;
};

// reduced(d) says whether input axis d is summed away. False when the summed axes (ignoring
// axes of length 1) are not one contiguous block.
template <typename Reduced>
bool as_blocks(const shape_t& in, Reduced reduced, blocks& b) {
  int part = 0;  // 0: before the block, 1: inside it, 2: after it
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 1) continue;
    const bool r = reduced(d);
    if (r && part == 2) return false;
    if (r) part = 1;
    else if (part == 1) part = 2;
    (part == 0 ? b.outer : part == 1 ? b.mid : b.inner) *= in[d];
  }
  return true;
}

// y[o, i] = sum over m of x[o, m, i], divided by `divisor`.
void sum_blocks(const kernel_args& a, const blocks& b, float divisor) {
  const float* x = a.in[0].as<float>();
  float* y = a.out[0].as<float>();
  if (b.inner == 1) {
    // Per-row sums: eight partial sums vectorise and lose less precision than one.
    cpu::parallel(a.pool, b.outer, cpu::grain_for(b.mid), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const float* row = x + o * b.mid;
        float part[8] = {};
        int64_t m = 0;
        for (; m + 8 <= b.mid; m += 8)
          for (int k = 0; k < 8; ++k) part[k] += row[m + k];
        float sum = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
        for (; m < b.mid; ++m) sum += row[m];
        y[o] = sum / divisor;
      }
    });
    return;
  }
  if (b.outer == 1 && b.inner <= kiln_column_block && b.mid >= 2 * kiln_slice_rows) {
    // One short row of sums over many rows (a bias gradient): slices of rows are summed apart,
    // then the slices in order, so the result does not depend on the number of threads.
    const int64_t slices = std::min(kiln_max_slices, b.mid / kiln_slice_rows);
    thread_local scratch_buffer<float> parts;
    float* part = parts.get(slices * b.inner);
    cpu::parallel(a.pool, slices, 1, [&](int64_t s0, int64_t s1) {
      for (int64_t s = s0; s < s1; ++s) {
        float* dst = part + s * b.inner;
        std::fill(dst, dst + b.inner, 0.0f);
        for (int64_t m = s * b.mid / slices; m < (s + 1) * b.mid / slices; ++m)
          for (int64_t i = 0; i < b.inner; ++i) dst[i] += x[m * b.inner + i];
      }
    });
    for (int64_t i = 0; i < b.inner; ++i) {
      float sum = 0.0f;
      for (int64_t s = 0; s < slices; ++s) sum += part[s * b.inner + i];
      y[i] = sum / divisor;
    }
    return;
  }
  // Column sums: rows of inner elements added one after another, split into column blocks.
  const int64_t per_outer = (b.inner + kiln_column_block - 1) / kiln_column_block;
  cpu::parallel(a.pool, b.outer * per_outer, cpu::grain_for(b.mid * kiln_column_block), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / per_outer, i0 = (t % per_outer) * kiln_column_block;
      const int64_t i1 = std::min(b.inner, i0 + kiln_column_block);
      float* dst = y + o * b.inner;
      const float* src = x + o * b.mid * b.inner;
      std::fill(dst + i0, dst + i1, 0.0f);
      for (int64_t m = 0; m < b.mid; ++m)
        for (int64_t i = i0; i < i1; ++i) dst[i] += src[m * b.inner + i];
      if (divisor != 1.0f)
        for (int64_t i = i0; i < i1; ++i) dst[i] /= divisor;
    }
  });
}

void reduce(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  const std::vector<int64_t>* axes = a.n.at.list("axes");
  const auto rank = static_cast<int64_t>(in.size());
  blocks b;
  const bool fits = as_blocks(in, [&](size_t d) {
    if (!axes || axes->empty()) return true;
    return std::any_of(axes->begin(), axes->end(), [&](int64_t ax) { return (ax < 0 ? ax + rank : ax) == static_cast<int64_t>(d); });
  }, b);
  if (!fits || a.out[0].size == 0) return cpu::run_reference(a);
  sum_blocks(a, b, a.n.op == kiln_op_reduce_mean ? static_cast<float>(b.mid) : 1.0f);
}

// The output shape, aligned right, is 1 on the summed axes.
void sum_to(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  const shape_t& out = *a.out[0].shape;
  const size_t lead = in.size() - out.size();
  blocks b;
  if (!as_blocks(in, [&](size_t d) { return d < lead || out[d - lead] == 1; }, b)) return cpu::run_reference(a);
  sum_blocks(a, b, 1.0f);
}

}  // namespace

void register_cpu_reduce(kernel_table& t) {
  t.set(kiln_op_reduce_sum, kiln_dtype_f32, reduce);
  t.set(kiln_op_reduce_mean, kiln_dtype_f32, reduce);
  t.set(kiln_op_sum_to, kiln_dtype_f32, sum_to);
}

}  // namespace kiln
