// A trainable model: a spec, its weights and optimizer state, and compiled plans per (batch
// size, mode). fit / evaluate / predict run whole epochs in C++ over native dataset buffers.
//
// Threading: fit, evaluate and predict block and must not overlap (the binding runs them on a
// worker thread, one at a time); stop, pause, resume, profile_steps and profile_window may be
// called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exec/model_spec.h"
#include "exec/plan.h"
#include "exec/step_graph.h"
#include "exec/step_timeline.h"
#include "kernel.h"

namespace kiln {

// Samples in native memory: per spec input (or target), count * sample-size elements, packed.
struct dataset {
  std::vector<const void*> x;  // one buffer per model input
  std::vector<const void*> y;  // one buffer per target (may be empty for predict)
  int64_t count = 0;
};

struct fit_options {
  int32_t epochs = 1;
  int32_t batch_size = 32;
  bool shuffle = true;               // reshuffled every epoch from the model's seed
  const dataset* validation = nullptr;
  bool check = false;                // check mode: name the first op that makes a NaN or Inf
  int32_t prefetch = -1;             // gather batches on a worker thread: 1 yes, 0 no, -1 when a core is spare
};

// One per training step, and one per epoch end (with validation figures).
struct fit_event {
  bool epoch_end = false;
  int32_t epoch = 0;           // from 0
  int64_t step = 0;            // global step, from 1
  double loss = 0;             // step: this batch; epoch end: the epoch's mean
  std::vector<double> metrics; // per spec metric, like loss
  double learning_rate = 0;
  bool has_validation = false;
  double val_loss = 0;
  std::vector<double> val_metrics;
  double seconds = 0;          // step: its wall time since the previous step ended (the epoch's first: since it
                               // started), data wait included; epoch end: the epoch's wall time
  double data_wait = 0;        // seconds the step (epoch end: all steps) waited for its batch
  bool profile_window_done = false;  // this step completed a window asked for with profile_steps
  // mixed_float16 only (else 0): the loss scale after this step (epoch end: now), and whether the
  // step's updates were skipped because a gradient was not finite (epoch end: how many were).
  double loss_scale = 0;
  int64_t skipped = 0;
};

struct fit_summary {
  int64_t steps = 0;
  int32_t epochs = 0;
  bool stopped = false;
};

struct evaluation {
  double loss = 0;
  std::vector<double> metrics;
};

// Per-op time summed over profiled training steps, in run order.
struct op_profile {
  std::string node, op;
  int64_t ns = 0;
  int64_t calls = 0;
};

// The last profiled training step on a timeline, per thread: thread 0 runs the step (each span
// an op, from its start to its end), threads 1.. are the compute pool's workers (each span their
// share of an op's parallel loops). Times are from the step's start, which its wait for data opens.
struct timeline_span {
  int32_t thread = 0;
  std::string node, op;
  int64_t start_ns = 0, end_ns = 0;
};
struct step_trace {
  int64_t step = 0;  // the global step, from 1; 0 when no step was profiled
  int64_t step_ns = 0, data_wait_ns = 0;
  int32_t threads = 0;
  std::vector<timeline_span> spans;  // thread by thread, each thread's in time order
};

// Bytes the model holds for training, measured at the end of each profiled step.
struct memory_use {
  int64_t arena_bytes = 0;      // the profiled step's planned arena (activations and gradients)
  int64_t weight_bytes = 0;
  int64_t optimizer_bytes = 0;  // optimizer state
  int64_t scratch_bytes = 0;    // kernel scratch held by every thread: its high-water mark
  int64_t batch_bytes = 0;      // the buffers batches are gathered into
  int64_t plans_bytes = 0;      // the arenas of every plan the model holds, the profiled one included
  int64_t peak_bytes = 0;       // all of the above held at once: its high-water mark
};

// A window of consecutive profiled steps asked for with model::profile_steps.
struct window_profile {
  int64_t first_step = 0, steps = 0;
  int64_t wall_ns = 0, data_wait_ns = 0;  // summed over the steps
  double loss = 0;                        // the steps' mean
  std::vector<op_profile> rows;
  step_trace timeline;  // the window's last step
  memory_use memory;
};

class model {
 public:
  // nullptr and `error` when the spec is invalid (the message names the node or entry).
  static std::unique_ptr<model> create(model_spec spec, const kernel_table& kernels, thread_pool* pool,
                                       std::string& error);

  ~model();
  const model_spec& spec() const { return spec_; }
  // Current weights, one float buffer per spec param (trainable or not). On a device backend
  // the device holds the current weights while training: pull_weights() brings them to these
  // buffers, push_weights() sends the buffers' values back after writing them. "" or the problem.
  std::vector<float>& weights(size_t param) { return weights_[param]; }
  std::string pull_weights();
  std::string push_weights();
  int64_t iterations() const { return iterations_; }

  std::string fit(const dataset& train, const fit_options& options,
                  const std::function<void(const fit_event&)>& on_event, fit_summary& summary);
  std::string evaluate(const dataset& data, int32_t batch_size, evaluation& out);
  // outputs[k]: model output k for every sample, packed.
  std::string predict(const dataset& data, int32_t batch_size, std::vector<std::vector<float>>& outputs);
  // out[i]: d(loss)/d(weight i) over the first batch of `data` (its first min(batch_size, count)
  // samples, in order), per spec param; empty for frozen ones. The graph is the training step's
  // (dropout and batch statistics as in training, regularization in the loss, gradients before
  // any clipping), but nothing is updated: weights, optimizer state, moving averages and the
  // step count stay as they are. Its plan is kept for the next call (memory like a training
  // step's activations).
  std::string gradients(const dataset& data, int32_t batch_size, std::vector<std::vector<float>>& out);

  // The base learning rate from the next step on (with a schedule, the schedule's initial rate),
  // as Keras's ReduceLROnPlateau sets it; "" or the problem.
  std::string set_learning_rate(double lr);

  void stop();
  void pause();
  void resume();
  // Per-op timers on the training step: off costs nothing. Enabling clears what was gathered.
  // Only whole batches are profiled, so that every profiled step runs the same plan.
  void set_profiling(bool on);
  std::vector<op_profile> profile() const;
  // What profiling gathered besides the timers: the last profiled step per thread, and memory.
  step_trace profile_timeline() const;
  memory_use memory() const;
  // Profiles the next `steps` whole-batch training steps, from the next step of a running fit
  // (or of the next fit) on, then turns profiling off. The step that completes the window has
  // fit_event::profile_window_done set; profile_window then gives the window (false: none yet).
  void profile_steps(int64_t steps);
  bool profile_window(window_profile& out) const;

 private:
  struct compiled;
  model(model_spec spec, const kernel_table& kernels, thread_pool* pool);
  std::string compiled_for(int64_t batch, run_mode mode, compiled*& out);
  // Device backends: points the plan's sources at device memory (weights and optimizer state
  // shared by every plan, batch and scalar buffers per plan, two batches for training); "" or the problem.
  std::string bind_device(compiled& c, bool train);
  // Runs `body` over the data in order, batch by batch, with the batch's samples bound as inputs.
  std::string run_batches(const dataset& data, int32_t batch_size, bool with_targets,
                          const std::function<std::string(compiled&, int64_t first, int64_t n)>& body);
  bool wait_if_paused();  // false when stopped
  // Class labels must index the output they are scored against: "" or the first bad label.
  std::string check_labels(const dataset& data, const compiled& c) const;
  // Profiling between steps: a window asked for from another thread starts; a profiled step's
  // figures are kept (true when it completes the window).
  void start_window();
  bool profiled_step_done(const compiled& c, step_timeline::clock::time_point start, const fit_event& e, int64_t batch_bytes);

  model_spec spec_;
  const kernel_table& kernels_;
  thread_pool* pool_;
  std::vector<std::vector<float>> weights_;
  std::map<std::string, std::vector<float>> slots_;  // optimizer state by slot name
  // A device backend's copies: weights and optimizer state stay in device memory between steps.
  const device_memory* device_ = nullptr;
  std::vector<device_block> device_weights_;
  std::map<std::string, device_block> device_slots_;
  bool device_newer_ = false;  // the device's weights changed since the last pull
  // Page-locked memory for the prefetcher's batch slots, kept across fits (pinning is slow).
  void* pinned_ = nullptr;
  int64_t pinned_bytes_ = 0;
  unsigned char* pinned_batches(int64_t bytes);
  // Queues batch b's copy (from its prefetcher slot) into the plan's buffers for b; "" or the problem.
  std::string upload_ahead(compiled& c, int64_t b, const std::vector<unsigned char*>& slot);
  std::map<std::pair<int64_t, int>, std::unique_ptr<compiled>> compiled_;
  int64_t iterations_ = 0;  // steps done; less skipped_, Keras's optimizer.iterations (updates done)
  // mixed_float16's dynamic loss scale, kept across fits like the optimizer's state.
  double loss_scale_ = 32768;  // Keras's initial_scale, 2^15
  int64_t finite_steps_ = 0;   // steps in a row with finite gradients, up to the next doubling
  int64_t skipped_ = 0;        // steps whose updates were skipped
  int64_t epochs_ = 0;      // epochs done, over every fit: picks each epoch's shuffle
  bool profiling_ = false;
  const compiled* profiled_ = nullptr;  // the plan of the last profiled step
  step_timeline timeline_;
  step_trace last_step_;  // the last profiled step's figures, without its spans (in timeline_)
  memory_use memory_;     // high-water marks over the profiled steps
  std::atomic<int64_t> window_request_{0};
  int64_t window_left_ = 0;
  window_profile window_;  // being gathered
  mutable std::mutex window_mutex_;
  window_profile done_window_;
  bool has_window_ = false;  // guarded by window_mutex_

  std::atomic<bool> stop_{false};
  std::mutex pause_mutex_;
  std::condition_variable pause_cv_;
  bool paused_ = false;
};

}  // namespace kiln
