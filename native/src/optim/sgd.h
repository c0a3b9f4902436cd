#pragma once

#include <cstdint>

namespace kiln {

// Plain SGD: w -= learning_rate * g, element-wise over count values.
void sgd_update(float* w, const float* g, int64_t count, float learning_rate);

}  // namespace kiln
