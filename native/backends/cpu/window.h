// Sliding-window geometry shared by the cpu convolution and pooling kernels, as the reference
// backend defines it: NHWC, 1-D ops as 2-D ones with a height of 1, TensorFlow's "same" padding.
#pragma once

#include <cstdint>

#include "kiln/ir.h"

namespace kiln::cpu {

// One spatial axis: tap t of output o reads input o * stride - pad + t * dilation.
struct axis {
  int64_t in = 1, out = 1, k = 1, stride = 1, dilation = 1, pad = 0;  // pad: before the input
};

// The padding before the input for "same": half the total needed, the odd unit after.
inline void set_pad(axis& a, bool same) {
  const int64_t total = (a.out - 1) * a.stride + (a.k - 1) * a.dilation + 1 - a.in;
  a.pad = same && total > 0 ? total / 2 : 0;
}

inline bool is_same(const attrs& at) {
  auto it = at.strings.find("padding");
  return it != at.strings.end() && it->second == "same";
}

// A per-spatial-axis attribute (a list of `rank` ints, or one int for all) into out[0..rank),
// fallback[0..rank) when absent.
inline void per_axis(const attrs& at, const char* key, size_t rank, const int64_t* fallback, int64_t* out) {
  const std::vector<int64_t>* list = at.list(key);
  const bool one = at.ints.count(key) != 0;
  for (size_t i = 0; i < rank; ++i) out[i] = list ? (*list)[i] : one ? at.i(key, 1) : fallback[i];
}

// A 4-D view of an NHWC / HWIO shape; 3-D shapes get a unit axis at `unit_axis`.
struct dims4 {
  int64_t d[4];
};

inline dims4 as_4d(const shape_t& s, size_t unit_axis) {
  dims4 r{{1, 1, 1, 1}};
  for (size_t i = 0, j = 0; i < 4; ++i) {
    if (s.size() == 3 && i == unit_axis) continue;
    r.d[i] = s[j++];
  }
  return r;
}

}  // namespace kiln::cpu
