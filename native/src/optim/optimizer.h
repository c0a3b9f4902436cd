// Optimizers as ops in the step graph, with Keras 3's defaults and semantics: gradient clipping
// (clipnorm, global_clipnorm, clipvalue: at most one), decoupled weight decay, and the update
// op per trainable weight (apply_sgd, apply_adam, apply_rmsprop) with its slots. The learning
// rate and the step count are scalar inputs of the graph, set by the fit loop from the schedule.
#pragma once

#include <string>
#include <vector>

#include "kiln/ir.h"

namespace kiln {

// Keras's LearningRateSchedule classes, evaluated at `iterations` (updates done so far).
struct schedule_spec {
  std::string type = "constant";  // constant, exponential, cosine, piecewise, warmup
  double decay_steps = 1000, decay_rate = 0.96;  // exponential (ExponentialDecay)
  bool staircase = false;
  double alpha = 0.0;                             // cosine (CosineDecay): final fraction
  double warmup_steps = 0, warmup_target = -1;    // cosine and warmup: linear ramp to target (-1: none)
  std::vector<double> boundaries, values;         // piecewise (PiecewiseConstantDecay)
};

struct optimizer_spec {
  std::string type = "adam";  // sgd, adam, adamw, rmsprop
  double learning_rate = -1;  // -1: the optimizer's Keras default
  double momentum = 0.0;      // sgd, rmsprop
  bool nesterov = false;      // sgd
  double beta_1 = 0.9, beta_2 = 0.999;
  double epsilon = 1e-7;
  double rho = 0.9;           // rmsprop
  bool centered = false;      // rmsprop
  double weight_decay = -1;   // -1: Keras default (AdamW 0.004, others none)
  double clipnorm = 0, global_clipnorm = 0, clipvalue = 0;
  schedule_spec schedule;
};

// Fills Keras defaults; "" or the problem in the user's terms.
std::string resolve_optimizer(optimizer_spec& spec);

// The learning rate for the update after `iterations` updates.
double learning_rate_at(const optimizer_spec& spec, int64_t iterations);

// What append_updates added: the slot params (shaped like their weight; the model stores and
// zero-initialises them) and the update nodes, to run for effect.
struct update_ops {
  std::vector<int32_t> slots;
  std::vector<int32_t> nodes;
  int32_t lr = kiln_no_value;    // f32 scalar input: the learning rate of this step
  int32_t step = kiln_no_value;  // f32 scalar input: this update's number, from 1
};

// `skip` (optional): a scalar every update op also takes; when it is nonzero at run time the
// updates leave the weights and slots untouched (mixed_float16's loss scaling).
update_ops append_updates(graph& g, const optimizer_spec& spec, const std::vector<int32_t>& weights,
                          const std::vector<int32_t>& grads, int32_t skip = kiln_no_value);

}  // namespace kiln
