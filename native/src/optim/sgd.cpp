#include "optim/sgd.h"

namespace kiln {

void sgd_update(float* w, const float* g, int64_t count, float learning_rate) {
  for (int64_t i = 0; i < count; ++i) w[i] -= learning_rate * g[i];
}

}  // namespace kiln
