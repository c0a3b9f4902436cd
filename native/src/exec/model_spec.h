// What the engine is asked to train: a forward graph written in IR ops with a symbolic batch
// dimension, its weights, losses, metrics and optimizer. common/model lowers the editor's
// layers to this; the engine instantiates it per (batch size, mode) as a step graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/ir.h"
#include "optim/initializers.h"
#include "optim/optimizer.h"

namespace kiln {

enum class run_mode { train, infer };

struct tensor_spec {
  std::string name;
  shape_t shape;  // per sample: the batch dimension is added in front
  kiln_dtype dtype = kiln_dtype_f32;
};

struct param_spec {
  std::string name;
  shape_t shape;
  bool trainable = true;
  init_spec init;
  double l1 = 0, l2 = 0;  // kernel regularizers: l1 * sum|w| + l2 * sum w^2 join the loss
};

// One IR node. Inputs and outputs are names in the spec's own namespace, so nodes that exist
// only in training (batch_norm_train, dropout) and their inference twins can define the same
// output name. A reshape's shape uses -1 for the batch dimension.
struct node_spec {
  std::string op;
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;  // empty: the node's name (one output) or name:i
  kiln::attrs at;
  std::string mode;  // "", "train" or "infer"
};

// Moving averages updated after each training step (BatchNormalization's statistics).
struct moving_average_spec {
  std::string var;    // a non-trainable param
  std::string value;  // a value of the training graph
  double momentum = 0.99;
};

struct loss_spec {
  // sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy,
  // mean_squared_error, mean_absolute_error, huber
  std::string type;
  std::string output, target;  // a model output and a target tensor
  bool from_logits = false;
  double delta = 1.0;  // huber
  double weight = 1.0;
};

struct metric_spec {
  std::string name;  // as reported: "accuracy", "mae", ...
  // accuracy (resolved from the loss as Keras does), sparse_categorical_accuracy,
  // categorical_accuracy, binary_accuracy, mean_absolute_error, mean_squared_error
  std::string type;
  std::string output, target;
  double threshold = 0.5;  // binary_accuracy
};

struct model_spec {
  std::vector<tensor_spec> inputs, targets;
  std::vector<param_spec> params;
  std::vector<node_spec> nodes;
  std::vector<moving_average_spec> moving_averages;
  std::vector<std::string> outputs;
  std::vector<loss_spec> losses;
  std::vector<metric_spec> metrics;
  optimizer_spec optimizer;
  uint64_t seed = 0;
  // Keras's dtype policy: "float32", "mixed_bfloat16" or "mixed_float16" (matrix products and
  // convolutions take bfloat16 or float16 inputs with float32 accumulation on backends that have
  // such kernels; weights, optimizer state and every other op stay float32). mixed_float16 trains
  // with dynamic loss scaling on every backend, as Keras's LossScaleOptimizer.
  std::string precision = "float32";
};

}  // namespace kiln
