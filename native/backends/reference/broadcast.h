// Index arithmetic for numpy broadcasting, shared by the reference kernels.
#pragma once

#include <vector>

#include "kiln/ir.h"

namespace kiln::ref {

// Strides of `in` seen from `out`'s index space: 0 along broadcast axes.
inline std::vector<int64_t> broadcast_strides(const shape_t& in, const shape_t& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t i = in.size() - 1 - k;
    const size_t o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

// The offset in `in` of output element `linear`.
inline int64_t broadcast_offset(int64_t linear, const shape_t& out, const std::vector<int64_t>& strides) {
  int64_t offset = 0;
  for (size_t d = out.size(); d-- > 0;) {
    const int64_t idx = linear % out[d];
    linear /= out[d];
    offset += idx * strides[d];
  }
  return offset;
}

}  // namespace kiln::ref
