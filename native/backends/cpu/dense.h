// CPU kernels for Dense layers. Row-major: x [rows x in], w [in x out], y [rows x out].
#pragma once

#include <cstdint>

namespace kiln::cpu {

// y = x w + b
void dense_forward(const float* x, const float* w, const float* b, float* y, int64_t rows,
                   int32_t in, int32_t out);

// dw = x^T dy, db = column sums of dy (both overwritten).
void dense_backward_params(const float* x, const float* dy, float* dw, float* db, int64_t rows,
                           int32_t in, int32_t out);

// dx = dy w^T (overwritten).
void dense_backward_input(const float* dy, const float* w, float* dx, int64_t rows, int32_t in,
                          int32_t out);

// In place: v = max(v, 0).
void relu_forward(float* v, int64_t count);

// In place: dy *= (y > 0), where y is the relu output (the subgradient at 0 is 0, as in TF).
void relu_backward(const float* y, float* dy, int64_t count);

}  // namespace kiln::cpu
