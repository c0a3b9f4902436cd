// A model spec instantiated for one batch size and mode: the forward graph, the losses and
// metrics, and, for training, the gradients and the optimizer's update ops.
#pragma once

#include <string>
#include <vector>

#include "exec/model_spec.h"

namespace kiln {

struct step_graph {
  graph g;
  int64_t batch = 0;
  run_mode mode = run_mode::infer;
  std::vector<int32_t> inputs, targets, outputs;  // value ids, in spec order
  std::vector<int32_t> params;                    // value id per spec param
  std::vector<int32_t> dropout_seeds;             // i32 scalar inputs, one per dropout / noise node
  int32_t loss = kiln_no_value;                   // total loss (with regularization), a scalar
  std::vector<int32_t> loss_outputs;              // per spec loss: the output it reads
  std::vector<int32_t> metrics;                   // per spec metric: its mean over the batch
  update_ops updates;                             // training only
  std::vector<int32_t> gradients;                 // training only: d(loss)/d(param) per trainable param, in spec order
  // mixed_float16 training (Keras's LossScaleOptimizer): the gradients are taken of loss times
  // loss_scale and divided by it before the optimizer; non_finite is 1 when any of them was NaN or
  // Inf, and the updates then leave the weights and slots as they were.
  int32_t loss_scale = kiln_no_value;  // f32 scalar input, set each step by the fit loop
  int32_t non_finite = kiln_no_value;  // f32 scalar
  std::vector<int32_t> effect_nodes;              // updates and moving averages, to run each step
};

// Builds `out` (which must be fresh). Training graphs get gradients and updates. Returns "" or
// the problem, naming the node, layer value or spec entry.
std::string build_step_graph(const model_spec& spec, int64_t batch, run_mode mode, step_graph& out);

// "" when the spec can be built at all (checked with batch size 1 in both modes).
std::string check_model_spec(const model_spec& spec);

}  // namespace kiln
