// MLP executor: forward, backward and SGD steps over the CPU kernels.
#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>

#include "cpu/dense.h"
#include "cpu/softmax_xent.h"
#include "kiln/engine.h"
#include "optim/sgd.h"
#include "rng.h"

namespace kiln {

namespace {

// Rows evaluated per forward pass in evaluate(), to bound scratch memory on large data sets.
constexpr int64_t kiln_eval_chunk_rows = 4096;

// Scratch buffers for one batch. resize() is a no-op once sized, so a fit allocates only on
// its first step.
struct workspace {
  std::vector<std::vector<float>> act;  // per layer: outputs after activation [rows x units]
  std::vector<float> grad_a;            // gradient w.r.t. the current layer's output
  std::vector<float> grad_b;            // ping-pong partner of grad_a
  std::vector<float> batch_x;
  std::vector<int32_t> batch_y;

  void reserve(const mlp_spec& spec, int64_t rows) {
    act.resize(spec.layers.size());
    int64_t widest = 0;
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      act[i].resize(static_cast<size_t>(rows * spec.layers[i].units));
      widest = std::max<int64_t>({widest, spec.layers[i].units, spec.layers[i].inputs});
    }
    grad_a.resize(static_cast<size_t>(rows * widest));
    grad_b.resize(static_cast<size_t>(rows * widest));
  }
};

}  // namespace

struct trainer::impl {
  mlp_spec spec;
  weight_list params;  // kernel0, bias0, kernel1, bias1, ...
  weight_list grads;   // same layout
  rng shuffle_rng;
  workspace ws;
  mutable std::mutex mutex;  // guards everything above

  impl(mlp_spec s, uint64_t seed) : spec(std::move(s)), shuffle_rng(0) {
    rng init_rng(seed);
    // The shuffle stream is seeded from the first draw so it does not depend on layer sizes.
    shuffle_rng = rng(init_rng.next_u64());
    for (const dense_layer& l : spec.layers) {
      std::vector<float> kernel(static_cast<size_t>(l.inputs) * l.units);
      const double limit = std::sqrt(6.0 / (static_cast<double>(l.inputs) + l.units));
      for (float& w : kernel) w = static_cast<float>((2.0 * init_rng.next_double() - 1.0) * limit);
      params.push_back(std::move(kernel));
      params.emplace_back(static_cast<size_t>(l.units), 0.0f);
    }
    grads = params;
  }

  int32_t classes() const { return spec.layers.back().units; }

  // Runs the layers over x [rows x inputs]; returns the logits (inside ws.act.back()).
  const float* forward(const float* x, int64_t rows) {
    ws.reserve(spec, rows);
    const float* in = x;
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      const dense_layer& l = spec.layers[i];
      float* out = ws.act[i].data();
      cpu::dense_forward(in, params[2 * i].data(), params[2 * i + 1].data(), out, rows, l.inputs,
                         l.units);
      if (l.act == kiln_act_relu) cpu::relu_forward(out, rows * l.units);
      in = out;
    }
    return in;
  }

  // After forward(x, rows): fills grads with d(mean loss)/d(params); returns the mean loss.
  float backward(const float* x, const int32_t* y, int64_t rows, int64_t* correct) {
    const float* logits = ws.act.back().data();
    const float loss = cpu::softmax_xent_forward(logits, y, rows, classes(), correct);
    float* d = ws.grad_a.data();
    float* d_prev = ws.grad_b.data();
    cpu::softmax_xent_backward(logits, y, rows, classes(), d);
    for (size_t i = spec.layers.size(); i-- > 0;) {
      const dense_layer& l = spec.layers[i];
      if (l.act == kiln_act_relu) cpu::relu_backward(ws.act[i].data(), d, rows * l.units);
      const float* in = i == 0 ? x : ws.act[i - 1].data();
      cpu::dense_backward_params(in, d, grads[2 * i].data(), grads[2 * i + 1].data(), rows,
                                 l.inputs, l.units);
      if (i > 0) {
        cpu::dense_backward_input(d, params[2 * i].data(), d_prev, rows, l.inputs, l.units);
        std::swap(d, d_prev);
      }
    }
    return loss;
  }
};

trainer::trainer(mlp_spec spec, uint64_t seed) : impl_(new impl(std::move(spec), seed)) {}
trainer::~trainer() = default;

const mlp_spec& trainer::spec() const { return impl_->spec; }

weight_list trainer::get_weights() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->params;
}

bool trainer::set_weights(const weight_list& weights) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (weights.size() != impl_->params.size()) return false;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i].size() != impl_->params[i].size()) return false;
  }
  impl_->params = weights;
  return true;
}

eval_result trainer::evaluate(const float* x, const int32_t* y, int64_t rows) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const int64_t inputs = impl_->spec.layers.front().inputs;
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < rows; start += kiln_eval_chunk_rows) {
    const int64_t n = std::min(kiln_eval_chunk_rows, rows - start);
    const float* logits = impl_->forward(x + start * inputs, n);
    loss_sum +=
        static_cast<double>(cpu::softmax_xent_forward(logits, y + start, n, impl_->classes(), &correct)) * n;
  }
  eval_result r;
  r.loss = static_cast<float>(loss_sum / rows);
  r.accuracy = static_cast<float>(static_cast<double>(correct) / rows);
  return r;
}

gradient_result trainer::loss_and_gradients(const float* x, const int32_t* y, int64_t rows) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->forward(x, rows);
  gradient_result r;
  r.loss = impl_->backward(x, y, rows, nullptr);
  r.grads = impl_->grads;
  return r;
}

fit_result trainer::fit(const dataset_view& data, const fit_options& options,
                        const step_callback& on_step, const std::atomic<bool>& stop) {
  const int64_t n = data.rows;
  const int64_t inputs = impl_->spec.layers.front().inputs;
  const int64_t batch_size = std::min<int64_t>(options.batch_size, n);
  std::vector<int64_t> order(static_cast<size_t>(n));

  fit_result result;
  result.loss = std::numeric_limits<float>::quiet_NaN();
  result.accuracy = std::numeric_limits<float>::quiet_NaN();

  for (int32_t epoch = 0; epoch < options.epochs; ++epoch) {
    std::iota(order.begin(), order.end(), int64_t{0});
    double loss_sum = 0.0;  // sum over the epoch's samples so far
    int64_t seen = 0;
    int64_t correct = 0;
    for (int64_t start = 0; start < n; start += batch_size) {
      if (result.steps > 0 && stop.load(std::memory_order_relaxed)) {
        result.stopped = true;
        return result;
      }
      const int64_t rows = std::min(batch_size, n - start);
      float loss;
      {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (start == 0 && options.shuffle) {
          // Fisher-Yates, drawing from the trainer's own stream (under the lock).
          for (int64_t i = n - 1; i > 0; --i) {
            std::swap(order[i], order[impl_->shuffle_rng.next_below(static_cast<uint64_t>(i) + 1)]);
          }
        }
        workspace& ws = impl_->ws;
        ws.batch_x.resize(static_cast<size_t>(rows * inputs));
        ws.batch_y.resize(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t src = order[start + r];
          std::copy(data.x + src * inputs, data.x + (src + 1) * inputs, ws.batch_x.data() + r * inputs);
          ws.batch_y[r] = data.y[src];
        }
        impl_->forward(ws.batch_x.data(), rows);
        loss = impl_->backward(ws.batch_x.data(), ws.batch_y.data(), rows, &correct);
        for (size_t i = 0; i < impl_->params.size(); ++i) {
          sgd_update(impl_->params[i].data(), impl_->grads[i].data(),
                     static_cast<int64_t>(impl_->params[i].size()), options.learning_rate);
        }
      }
      ++result.steps;
      seen += rows;
      loss_sum += static_cast<double>(loss) * rows;
      result.loss = static_cast<float>(loss_sum / seen);
      result.accuracy = static_cast<float>(static_cast<double>(correct) / seen);
      if (on_step) on_step(result.steps, epoch, loss);
    }
  }
  return result;
}

}  // namespace kiln
