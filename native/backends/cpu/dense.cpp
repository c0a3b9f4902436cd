#include "cpu/dense.h"

#include <algorithm>

namespace kiln::cpu {

// Loops are ordered so the innermost one walks contiguous memory (an axpy over a row of w or
// dw) and vectorizes; the summation order is fixed, so results are deterministic.

void dense_forward(const float* x, const float* w, const float* b, float* y, int64_t rows,
                   int32_t in, int32_t out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * in;
    float* yr = y + r * out;
    std::copy(b, b + out, yr);
    for (int32_t k = 0; k < in; ++k) {
      const float xv = xr[k];
      const float* wk = w + static_cast<int64_t>(k) * out;
      for (int32_t j = 0; j < out; ++j) yr[j] += xv * wk[j];
    }
  }
}

void dense_backward_params(const float* x, const float* dy, float* dw, float* db, int64_t rows,
                           int32_t in, int32_t out) {
  std::fill(dw, dw + static_cast<int64_t>(in) * out, 0.0f);
  std::fill(db, db + out, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * in;
    const float* dyr = dy + r * out;
    for (int32_t j = 0; j < out; ++j) db[j] += dyr[j];
    for (int32_t k = 0; k < in; ++k) {
      const float xv = xr[k];
      if (xv == 0.0f) continue;  // common after relu; skipping changes no result
      float* dwk = dw + static_cast<int64_t>(k) * out;
      for (int32_t j = 0; j < out; ++j) dwk[j] += xv * dyr[j];
    }
  }
}

void dense_backward_input(const float* dy, const float* w, float* dx, int64_t rows, int32_t in,
                          int32_t out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * out;
    float* dxr = dx + r * in;
    for (int32_t k = 0; k < in; ++k) {
      const float* wk = w + static_cast<int64_t>(k) * out;
      float sum = 0.0f;
      for (int32_t j = 0; j < out; ++j) sum += dyr[j] * wk[j];
      dxr[k] = sum;
    }
  }
}

void relu_forward(float* v, int64_t count) {
  for (int64_t i = 0; i < count; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

void relu_backward(const float* y, float* dy, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace kiln::cpu
