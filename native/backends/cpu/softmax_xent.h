// Softmax cross-entropy from logits [rows x classes] and integer labels [rows].
#pragma once

#include <cstdint>

namespace kiln::cpu {

// Mean over rows of -log softmax(logits)[label]. If correct is non-null, adds the number of
// rows whose first maximal logit is at the label.
float softmax_xent_forward(const float* logits, const int32_t* labels, int64_t rows,
                           int32_t classes, int64_t* correct);

// Gradient of the mean loss: dlogits = (softmax(logits) - onehot(label)) / rows.
void softmax_xent_backward(const float* logits, const int32_t* labels, int64_t rows,
                           int32_t classes, float* dlogits);

}  // namespace kiln::cpu
