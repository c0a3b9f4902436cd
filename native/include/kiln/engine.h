// Kiln native engine, first cut: a dense MLP classifier trained with SGD on the CPU.
//
// The public API is plain C++17 and never throws: callers validate inputs with
// check_spec / check_data (which return a message naming the problem) before use.
// All tensors are float32, row-major.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

enum activation : int32_t {
  kiln_act_linear = 0,
  kiln_act_relu = 1,
};

struct dense_layer {
  int32_t inputs = 0;
  int32_t units = 0;
  activation act = kiln_act_linear;
};

// Layers run in order; the last layer's outputs are the logits of a softmax classifier
// whose classes are 0 .. last.units - 1.
struct mlp_spec {
  std::vector<dense_layer> layers;
};

// Largest accepted inputs/units of one layer, and elements of one kernel (1 GiB of float32).
constexpr int64_t kiln_max_layer_width = int64_t{1} << 24;
constexpr int64_t kiln_max_kernel_elements = int64_t{1} << 28;

// "" when the spec is usable, else a message such as
// "layers[1].inputs is 8 but layers[0].units is 16; ...".
std::string check_spec(const mlp_spec& spec);

// "" when x (x_count values) and y (rows labels) fit the spec, else a message such as
// "label 5 at row 12 is out of range: the last Dense layer has 3 units".
// Requires check_spec(spec) to be "".
std::string check_data(const mlp_spec& spec, const float* x, int64_t x_count, const int32_t* y,
                       int64_t rows);

// Weights are ordered layer0 kernel [inputs x units], layer0 bias [units], layer1 kernel, ...
using weight_list = std::vector<std::vector<float>>;
std::vector<int64_t> weight_sizes(const mlp_spec& spec);

struct eval_result {
  float loss = 0.0f;      // mean softmax cross-entropy
  float accuracy = 0.0f;  // fraction of rows whose argmax logit equals the label
};

struct gradient_result {
  float loss = 0.0f;
  weight_list grads;  // same order and sizes as the weights
};

struct dataset_view {
  const float* x = nullptr;    // rows x inputs
  const int32_t* y = nullptr;  // rows
  int64_t rows = 0;
};

struct fit_options {
  int32_t epochs = 1;
  int32_t batch_size = 32;
  float learning_rate = 0.01f;
  bool shuffle = true;
};

struct fit_result {
  float loss = 0.0f;      // mean loss over the samples of the last epoch run (partial if stopped)
  float accuracy = 0.0f;  // accuracy over the same samples, measured before each step's update
  int64_t steps = 0;
  bool stopped = false;   // true when the stop flag cut training short
};

// step: 1-based global step; epoch: 0-based; loss: that batch's mean loss before the update.
using step_callback = std::function<void(int64_t step, int32_t epoch, float loss)>;

// Owns the weights of one MLP. Methods may be called from any thread; they serialize on an
// internal mutex (fit holds it one step at a time, so get_weights can snapshot a running fit).
class trainer {
 public:
  // Kernels glorot_uniform (limit = sqrt(6 / (fan_in + fan_out))), biases zero, drawn from
  // kiln's own seeded RNG so the same seed gives the same weights on every platform.
  // Requires check_spec(spec) to be "".
  trainer(mlp_spec spec, uint64_t seed);
  ~trainer();
  trainer(const trainer&) = delete;
  trainer& operator=(const trainer&) = delete;

  const mlp_spec& spec() const;
  weight_list get_weights() const;
  // Returns false and changes nothing when the count or a size differs from weight_sizes().
  bool set_weights(const weight_list& weights);

  // Inputs must pass check_data; rows >= 1.
  eval_result evaluate(const float* x, const int32_t* y, int64_t rows);
  gradient_result loss_and_gradients(const float* x, const int32_t* y, int64_t rows);

  // Runs whole epochs: reshuffle (if asked) with the trainer's RNG, mini-batches (the last
  // partial batch included), forward, backward, w -= lr * g, then on_step. Checks `stop`
  // before every step but the first, so at least one step always runs.
  fit_result fit(const dataset_view& data, const fit_options& options, const step_callback& on_step,
                 const std::atomic<bool>& stop);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// e.g. "kiln-native 0.1.0 (cpu)"
const char* version();

}  // namespace kiln
