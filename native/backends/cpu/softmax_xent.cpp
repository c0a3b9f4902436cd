#include "cpu/softmax_xent.h"

#include <cmath>

namespace kiln::cpu {

namespace {

// Subtracting the row maximum keeps exp() from overflowing; the row's log-sum-exp is then
// max + log(sum exp(l - max)). Sums run in double: they are cheap and keep small loss
// differences (finite-difference checks, late training) above float rounding noise.
struct row_stats {
  float max;
  int32_t argmax;
  double sum_exp;  // sum of exp(l - max)
};

row_stats scan_row(const float* l, int32_t classes) {
  row_stats s{l[0], 0, 0.0};
  for (int32_t j = 1; j < classes; ++j) {
    if (l[j] > s.max) {
      s.max = l[j];
      s.argmax = j;
    }
  }
  for (int32_t j = 0; j < classes; ++j) s.sum_exp += std::exp(static_cast<double>(l[j]) - s.max);
  return s;
}

}  // namespace

float softmax_xent_forward(const float* logits, const int32_t* labels, int64_t rows,
                           int32_t classes, int64_t* correct) {
  double total = 0.0;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* l = logits + r * classes;
    const row_stats s = scan_row(l, classes);
    total += std::log(s.sum_exp) - (static_cast<double>(l[labels[r]]) - s.max);
    if (s.argmax == labels[r]) ++hits;
  }
  if (correct != nullptr) *correct += hits;
  return static_cast<float>(total / static_cast<double>(rows));
}

void softmax_xent_backward(const float* logits, const int32_t* labels, int64_t rows,
                           int32_t classes, float* dlogits) {
  const double scale = 1.0 / static_cast<double>(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float* l = logits + r * classes;
    float* d = dlogits + r * classes;
    const row_stats s = scan_row(l, classes);
    for (int32_t j = 0; j < classes; ++j) {
      const double p = std::exp(static_cast<double>(l[j]) - s.max) / s.sum_exp;
      d[j] = static_cast<float>((p - (j == labels[r] ? 1.0 : 0.0)) * scale);
    }
  }
}

}  // namespace kiln::cpu
