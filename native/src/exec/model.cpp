#include "exec/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "data/prefetch.h"
#include "exec/thread_pool.h"
#include "ir/op_table.h"
#include "rng.h"
#include "scratch.h"

namespace kiln {

struct model::compiled {
  step_graph sg;
  std::unique_ptr<plan> step;     // train: loss, metrics and updates; infer: loss and metrics
  std::unique_ptr<plan> forward;  // infer only: the model outputs (predict)
  std::unique_ptr<plan> gradients;  // train only, compiled on first use: the gradients, no updates
  std::vector<void*> sources;
  std::vector<int64_t> x_bytes, y_bytes;  // per sample
  float learning_rate = 0, iteration = 0;
  float loss_scale = 1;  // mixed_float16 training
  std::vector<int32_t> seeds;
  std::vector<int64_t> op_ns;  // per step of `step` when profiling
  int64_t profiled_steps = 0;
  // Device backends: the plan's batch and scalar sources in device memory.
  std::vector<device_block> device;
  std::vector<void*> device_x, device_y;
  // Training: a second set, so the next batch's copy can run while this step computes.
  std::vector<void*> device_x_next, device_y_next;
  void* device_lr = nullptr;
  void* device_iteration = nullptr;
  void* device_loss_scale = nullptr;
  void* device_seeds = nullptr;
};

namespace {

int64_t sample_bytes(const tensor_spec& t) { return shape_elements(t.shape) * dtype_size(t.dtype); }

// A float32 scalar result of the last run (from the device, if the plan runs on one).
std::string read_scalar(const plan& p, int32_t id, double& out) {
  float v = 0;
  if (std::string e = p.read(id, &v); !e.empty()) return e;
  out = static_cast<double>(v);
  return "";
}

std::string upload(const device_memory* dev, void* dst, const void* src, int64_t bytes, const std::string& what) {
  if (bytes == 0 || dev->upload(dst, src, bytes)) return "";
  return "copying " + what + " to the GPU failed: " + dev->last_error();
}

std::string mode_name(run_mode m) { return m == run_mode::train ? "training" : "inference"; }

// What a policy's products take as inputs on backends with such kernels; null: float32.
const char* product_precision(const std::string& policy) {
  if (policy == "mixed_bfloat16") return "bfloat16";
  if (policy == "mixed_float16") return "float16";
  return nullptr;
}

// Keras's LossScaleOptimizer (dynamic_growth_steps 2000), kept on the host: a step whose gradients
// were not finite halves the scale (never below 1, as TensorFlow's did), 2000 finite steps in a row
// double it.
constexpr int64_t kiln_loss_scale_growth_steps = 2000;
void adjust_loss_scale(bool skipped, double& scale, int64_t& finite_steps) {
  if (skipped) {
    scale = std::max(1.0, scale / 2);
    finite_steps = 0;
  } else if (++finite_steps == kiln_loss_scale_growth_steps) {
    scale *= 2;
    finite_steps = 0;
  }
}

// The addon is built without C++ exceptions, so a std::vector that cannot get its memory would
// abort the process. Large buffers are probed with malloc first, turning that into an error.
bool can_allocate(int64_t bytes) {
  if (bytes < 0) return false;
  void* p = std::malloc(static_cast<size_t>(bytes) + 1);
  std::free(p);
  return p != nullptr;
}

std::string memory_error(const std::string& what, int64_t bytes) {
  return "not enough memory for " + what + ": it needs " + std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

}  // namespace

model::model(model_spec spec, const kernel_table& kernels, thread_pool* pool)
    : spec_(std::move(spec)), kernels_(kernels), pool_(pool), device_(kernels.device()) {}

model::~model() {
  if (pinned_) device_->release_host(pinned_);
}

std::unique_ptr<model> model::create(model_spec spec, const kernel_table& kernels, thread_pool* pool,
                                     std::string& error) {
  error = resolve_optimizer(spec.optimizer);
  for (const param_spec& p : spec.params) {
    if (!error.empty()) break;
    if (std::string e = check_init(p.init); !e.empty()) error = "weight '" + p.name + "': " + e;
    if (p.l1 < 0 || p.l2 < 0) error = "weight '" + p.name + "': regularization factors must not be negative";
  }
  if (error.empty()) error = check_model_spec(spec);
  if (!error.empty()) return nullptr;
  int64_t weight_bytes = 0;
  for (const param_spec& p : spec.params) weight_bytes += shape_elements(p.shape) * 4;
  if (!can_allocate(weight_bytes)) {
    error = memory_error("the model's weights", weight_bytes);
    return nullptr;
  }
  std::unique_ptr<model> m(new model(std::move(spec), kernels, pool));
  for (const param_spec& p : m->spec_.params) {
    std::vector<float> w(static_cast<size_t>(shape_elements(p.shape)));
    initialize(p.init, p.shape, p.name, m->spec_.seed, w.data());
    m->weights_.push_back(std::move(w));
  }
  return m;
}

std::string model::compiled_for(int64_t batch, run_mode mode, compiled*& out) {
  auto key = std::make_pair(batch, static_cast<int>(mode));
  auto it = compiled_.find(key);
  if (it != compiled_.end()) {
    out = it->second.get();
    return "";
  }
  auto c = std::make_unique<compiled>();
  if (std::string e = build_step_graph(spec_, batch, mode, c->sg); !e.empty()) return e;
  step_graph& sg = c->sg;
  if (const char* products = product_precision(spec_.precision)) {
    // Forward and gradient products alike; a backend without such kernels ignores the attribute.
    for (size_t i = 0; i < sg.g.nodes().size(); ++i) {
      switch (sg.g.nodes()[i].op) {
        case kiln_op_matmul: case kiln_op_conv2d: case kiln_op_conv1d:
        case kiln_op_conv2d_backprop_input: case kiln_op_conv2d_backprop_filter:
          sg.g.set_attr(static_cast<int32_t>(i), "precision", products);
          break;
        default:
          break;
      }
    }
  }
  std::vector<int32_t> fetch;
  if (sg.loss != kiln_no_value) fetch.push_back(sg.loss);
  for (int32_t m : sg.metrics) fetch.push_back(m);
  if (sg.non_finite != kiln_no_value) fetch.push_back(sg.non_finite);
  std::string error;
  if (!fetch.empty()) {
    c->step = plan::compile(sg.g, fetch, kernels_, error, sg.effect_nodes);
    if (!c->step) return "compiling the " + mode_name(mode) + " step for batch size " + std::to_string(batch) + ": " + error;
  }
  if (mode == run_mode::infer) {
    c->forward = plan::compile(sg.g, sg.outputs, kernels_, error);
    if (!c->forward) return "compiling prediction for batch size " + std::to_string(batch) + ": " + error;
  }

  int64_t state_bytes = 0;
  for (int32_t id : sg.updates.slots) state_bytes += shape_elements(sg.g.val(id).shape) * 4;
  const int64_t batches = mode == run_mode::train ? 2 : 0;  // the prefetcher's two slots
  for (const tensor_spec& t : spec_.inputs) c->x_bytes.push_back(sample_bytes(t));
  for (const tensor_spec& t : spec_.targets) c->y_bytes.push_back(sample_bytes(t));
  for (int64_t b : c->x_bytes) state_bytes += b * batch * batches;
  for (int64_t b : c->y_bytes) state_bytes += b * batch * batches;
  if (!can_allocate(state_bytes)) return memory_error("the optimizer state and a batch of " + std::to_string(batch), state_bytes);
  c->sources.assign(sg.g.values().size(), nullptr);
  for (size_t i = 0; i < sg.params.size(); ++i) c->sources[static_cast<size_t>(sg.params[i])] = weights_[i].data();
  for (int32_t id : sg.updates.slots) {
    const value& v = sg.g.val(id);
    std::vector<float>& slot = slots_[v.name];
    if (slot.empty()) slot.assign(static_cast<size_t>(shape_elements(v.shape)), 0.0f);
    c->sources[static_cast<size_t>(id)] = slot.data();
  }
  if (sg.updates.lr != kiln_no_value) c->sources[static_cast<size_t>(sg.updates.lr)] = &c->learning_rate;
  if (sg.updates.step != kiln_no_value) c->sources[static_cast<size_t>(sg.updates.step)] = &c->iteration;
  if (sg.loss_scale != kiln_no_value) c->sources[static_cast<size_t>(sg.loss_scale)] = &c->loss_scale;
  c->seeds.assign(sg.dropout_seeds.size(), 0);
  for (size_t i = 0; i < sg.dropout_seeds.size(); ++i) c->sources[static_cast<size_t>(sg.dropout_seeds[i])] = &c->seeds[i];
  if (c->step) c->op_ns.assign(c->step->size(), 0);
  if (device_) {
    if (std::string e = bind_device(*c, mode == run_mode::train); !e.empty()) return e;
  }
  out = c.get();
  compiled_[key] = std::move(c);
  return "";
}

std::string model::bind_device(compiled& c, bool train) {
  const step_graph& sg = c.sg;
  auto gpu_memory_error = [this](const std::string& what, int64_t bytes) {
    return memory_error(what + " on the GPU", bytes) + " (" + device_->last_error() + ")";
  };
  if (device_weights_.empty()) {
    for (const std::vector<float>& w : weights_) {
      const auto bytes = static_cast<int64_t>(w.size() * sizeof(float));
      device_weights_.emplace_back(device_, bytes);
      if (!device_weights_.back().data()) return gpu_memory_error("the model's weights", bytes);
    }
    if (std::string e = push_weights(); !e.empty()) return e;
  }
  for (size_t i = 0; i < sg.params.size(); ++i) c.sources[static_cast<size_t>(sg.params[i])] = device_weights_[i].data();
  for (int32_t id : sg.updates.slots) {
    const value& v = sg.g.val(id);
    auto it = device_slots_.find(v.name);
    if (it == device_slots_.end()) {
      const std::vector<float>& host = slots_[v.name];
      const auto bytes = static_cast<int64_t>(host.size() * sizeof(float));
      it = device_slots_.emplace(v.name, device_block(device_, bytes)).first;
      if (!it->second.data()) return gpu_memory_error("the optimizer state", bytes);
      if (std::string e = upload(device_, it->second.data(), host.data(), bytes, "the optimizer state"); !e.empty()) return e;
    }
    c.sources[static_cast<size_t>(id)] = it->second.data();
  }
  auto block = [&](int64_t bytes) {
    c.device.emplace_back(device_, bytes);
    return c.device.back().data();
  };
  for (size_t i = 0; i < sg.inputs.size(); ++i) {
    void* d = block(c.x_bytes[i] * sg.batch);
    if (!d) return gpu_memory_error("a batch of inputs", c.x_bytes[i] * sg.batch);
    c.device_x.push_back(d);
    c.sources[static_cast<size_t>(sg.inputs[i])] = d;
  }
  for (size_t i = 0; i < sg.targets.size(); ++i) {
    void* d = block(c.y_bytes[i] * sg.batch);
    if (!d) return gpu_memory_error("a batch of targets", c.y_bytes[i] * sg.batch);
    c.device_y.push_back(d);
    c.sources[static_cast<size_t>(sg.targets[i])] = d;
  }
  if (train) {
    for (size_t i = 0; i < sg.inputs.size(); ++i) {
      c.device_x_next.push_back(block(c.x_bytes[i] * sg.batch));
      if (!c.device_x_next.back()) return gpu_memory_error("a second batch of inputs", c.x_bytes[i] * sg.batch);
    }
    for (size_t i = 0; i < sg.targets.size(); ++i) {
      c.device_y_next.push_back(block(c.y_bytes[i] * sg.batch));
      if (!c.device_y_next.back()) return gpu_memory_error("a second batch of targets", c.y_bytes[i] * sg.batch);
    }
  }
  // The learning rate, step, loss scale and dropout seeds: sent before every training step, zero until then.
  const auto seed_bytes = static_cast<int64_t>(c.seeds.size() * sizeof(int32_t));
  auto* scalars = static_cast<unsigned char*>(block(3 * sizeof(float) + seed_bytes));
  if (!scalars) return gpu_memory_error("the step's scalars", 3 * sizeof(float) + seed_bytes);
  c.device_lr = scalars;
  c.device_iteration = scalars + sizeof(float);
  c.device_loss_scale = scalars + 2 * sizeof(float);
  c.device_seeds = scalars + 3 * sizeof(float);
  if (sg.updates.lr != kiln_no_value) c.sources[static_cast<size_t>(sg.updates.lr)] = c.device_lr;
  if (sg.updates.step != kiln_no_value) c.sources[static_cast<size_t>(sg.updates.step)] = c.device_iteration;
  if (sg.loss_scale != kiln_no_value) c.sources[static_cast<size_t>(sg.loss_scale)] = c.device_loss_scale;
  for (size_t i = 0; i < sg.dropout_seeds.size(); ++i) {
    c.sources[static_cast<size_t>(sg.dropout_seeds[i])] = static_cast<unsigned char*>(c.device_seeds) + i * sizeof(int32_t);
  }
  const std::vector<unsigned char> zeros(static_cast<size_t>(3 * sizeof(float) + seed_bytes), 0);
  return upload(device_, scalars, zeros.data(), static_cast<int64_t>(zeros.size()), "the step's scalars");
}

std::string model::pull_weights() {
  if (!device_ || !device_newer_) return "";
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (!device_->download(weights_[i].data(), device_weights_[i].data(), static_cast<int64_t>(weights_[i].size() * sizeof(float)))) {
      return "reading the weights back from the GPU failed: " + std::string(device_->last_error());
    }
  }
  device_newer_ = false;
  return "";
}

std::string model::push_weights() {
  if (!device_) return "";
  for (size_t i = 0; i < weights_.size() && i < device_weights_.size(); ++i) {
    const auto bytes = static_cast<int64_t>(weights_[i].size() * sizeof(float));
    if (std::string e = upload(device_, device_weights_[i].data(), weights_[i].data(), bytes, "the weights"); !e.empty()) return e;
  }
  return "";
}

std::string model::upload_ahead(compiled& c, int64_t b, const std::vector<unsigned char*>& slot) {
  const bool odd = b % 2 == 1;
  for (size_t i = 0; i < c.sg.inputs.size(); ++i) {
    if (!device_->upload_ahead(odd ? c.device_x_next[i] : c.device_x[i], slot[i], c.x_bytes[i] * c.sg.batch)) {
      return "copying a batch to the GPU failed: " + std::string(device_->last_error());
    }
  }
  for (size_t i = 0; i < c.sg.targets.size(); ++i) {
    if (!device_->upload_ahead(odd ? c.device_y_next[i] : c.device_y[i], slot[c.sg.inputs.size() + i], c.y_bytes[i] * c.sg.batch)) {
      return "copying a batch to the GPU failed: " + std::string(device_->last_error());
    }
  }
  return "";
}

unsigned char* model::pinned_batches(int64_t bytes) {
  if (bytes > pinned_bytes_ && device_->alloc_host) {
    if (pinned_) device_->release_host(pinned_);
    pinned_ = device_->alloc_host(bytes);
    pinned_bytes_ = pinned_ ? bytes : 0;
  }
  return static_cast<unsigned char*>(pinned_);  // null: the prefetcher uses plain memory
}

std::string model::check_labels(const dataset& data, const compiled& c) const {
  for (size_t l = 0; l < spec_.losses.size(); ++l) {
    const loss_spec& loss = spec_.losses[l];
    if (loss.type != "sparse_categorical_crossentropy") continue;
    size_t t = 0;
    while (t < spec_.targets.size() && spec_.targets[t].name != loss.target) ++t;
    if (t == spec_.targets.size() || t >= data.y.size() || spec_.targets[t].dtype != kiln_dtype_i32) continue;
    const int64_t classes = c.sg.g.val(c.sg.loss_outputs[l]).shape.back();
    const auto* labels = static_cast<const int32_t*>(data.y[t]);
    const int64_t n = data.count * shape_elements(spec_.targets[t].shape);
    for (int64_t i = 0; i < n; ++i) {
      if (labels[i] < 0 || labels[i] >= classes) {
        return "label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) + " in '" + loss.target +
               "' is not a class of '" + loss.output + "', which has " + std::to_string(classes) + " (labels 0 to " +
               std::to_string(classes - 1) + ")";
      }
    }
  }
  return "";
}

bool model::wait_if_paused() {
  std::unique_lock<std::mutex> lock(pause_mutex_);
  pause_cv_.wait(lock, [&] { return !paused_ || stop_.load(); });
  return !stop_.load();
}

std::string model::fit(const dataset& train, const fit_options& o,
                       const std::function<void(const fit_event&)>& on_event, fit_summary& summary) {
  using clock = std::chrono::steady_clock;
  stop_.store(false);
  if (train.count <= 0) return "the training data has no samples";
  if (o.batch_size <= 0 || o.epochs < 0) return "batch size and epochs must be positive";
  const int64_t batch = std::min<int64_t>(o.batch_size, train.count);
  const int64_t full = train.count / batch, rest = train.count % batch;
  compiled* main = nullptr;
  compiled* tail = nullptr;
  if (std::string e = compiled_for(batch, run_mode::train, main); !e.empty()) return e;
  if (rest > 0) {
    if (std::string e = compiled_for(rest, run_mode::train, tail); !e.empty()) return e;
  }
  if (std::string e = check_labels(train, *main); !e.empty()) return "training data: " + e;
  std::vector<int64_t> order(static_cast<size_t>(train.count));
  const size_t n_metrics = spec_.metrics.size();
  fit_event e;  // reused every step: nothing is allocated in the steady state
  e.metrics.assign(n_metrics, 0.0);
  // A device's kernels leave the host's cores free: the training thread only enqueues them.
  const int32_t compute_threads = device_ ? 1 : pool_ ? pool_->size() : 1;
  const bool spare_core = static_cast<int32_t>(std::thread::hardware_concurrency()) > compute_threads;
  // Nothing may still be copying out of the page-locked slots when fit returns (stopped or failed included).
  struct device_quiet {
    const device_memory* d;
    ~device_quiet() {
      if (d) d->synchronize();
    }
  } quiet_on_return{device_};
  const int64_t slot_bytes = batch_prefetcher::memory_bytes(batch, main->x_bytes, main->y_bytes);
  batch_prefetcher prefetch(train, batch, main->x_bytes, main->y_bytes, o.prefetch < 0 ? spare_core : o.prefetch == 1,
                            device_ ? pinned_batches(slot_bytes) : nullptr);

  for (int32_t epoch = 0; epoch < o.epochs; ++epoch) {
    const auto started = clock::now();
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    if (o.shuffle) {  // Fisher-Yates from a stream that depends only on (seed, epoch)
      rng r(spec_.seed ^ (0x5eed5eed00000000ULL + static_cast<uint64_t>(epochs_)));
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[r.next_below(i)]);
    }
    fit_event epoch_event;
    epoch_event.epoch_end = true;
    epoch_event.epoch = epoch;
    epoch_event.metrics.assign(n_metrics, 0.0);
    prefetch.start_epoch(&order);
    clock::time_point step_end = started;
    const int64_t batches = full + (rest > 0 ? 1 : 0);
    // On a device, batch b's copy is queued while step b - 1 computes (on the device's copy queue,
    // into the plan's other batch buffers); batch 0's here.
    double next_wait = 0;
    if (device_) {
      if (std::string up = upload_ahead(full > 0 ? *main : *tail, 0, prefetch.acquire(0, next_wait)); !up.empty()) return up;
    }
    for (int64_t b = 0; b < batches; ++b) {
      if (!wait_if_paused()) {
        summary.stopped = true;
        return "";
      }
      compiled& c = b < full ? *main : *tail;
      if (window_request_.load(std::memory_order_relaxed) != 0) start_window();
      const bool profiled = profiling_ && &c == main;
      const clock::time_point step_start = profiled ? clock::now() : clock::time_point{};
      e.data_wait = 0;
      const std::vector<unsigned char*>* slot = nullptr;
      if (device_) {
        e.data_wait = next_wait;
      } else {
        slot = &prefetch.acquire(b, e.data_wait);
      }
      epoch_event.data_wait += e.data_wait;
      // Skipped steps (mixed_float16) are not updates: the schedule and Adam count only those applied.
      c.learning_rate = static_cast<float>(learning_rate_at(spec_.optimizer, iterations_ - skipped_));
      c.iteration = static_cast<float>(iterations_ - skipped_ + 1);
      c.loss_scale = static_cast<float>(loss_scale_);
      rng seeds(spec_.seed ^ (0xd50d50d5ULL * static_cast<uint64_t>(iterations_ + 1)));
      for (int32_t& s : c.seeds) s = static_cast<int32_t>(seeds.next_u64() >> 33);
      if (device_) {
        // The step's kernels wait for its batch's copy; the scalars go up on the device's queue.
        device_->wait_uploads();
        const bool odd = b % 2 == 1;
        for (size_t i = 0; i < c.sg.inputs.size(); ++i) c.sources[static_cast<size_t>(c.sg.inputs[i])] = odd ? c.device_x_next[i] : c.device_x[i];
        for (size_t i = 0; i < c.sg.targets.size(); ++i) c.sources[static_cast<size_t>(c.sg.targets[i])] = odd ? c.device_y_next[i] : c.device_y[i];
        std::string up = upload(device_, c.device_lr, &c.learning_rate, sizeof(float), "the learning rate");
        if (up.empty()) up = upload(device_, c.device_iteration, &c.iteration, sizeof(float), "the step");
        if (up.empty() && c.sg.loss_scale != kiln_no_value) up = upload(device_, c.device_loss_scale, &c.loss_scale, sizeof(float), "the loss scale");
        if (up.empty()) up = upload(device_, c.device_seeds, c.seeds.data(), static_cast<int64_t>(c.seeds.size() * sizeof(int32_t)), "the seeds");
        if (!up.empty()) return up;
      } else {
        for (size_t i = 0; i < c.sg.inputs.size(); ++i) c.sources[static_cast<size_t>(c.sg.inputs[i])] = (*slot)[i];
        for (size_t i = 0; i < c.sg.targets.size(); ++i) c.sources[static_cast<size_t>(c.sg.targets[i])] = (*slot)[c.sg.inputs.size() + i];
      }
      run_options ro;
      ro.pool = pool_;
      if (profiled) {
        ro.op_ns = &c.op_ns;
        ro.timeline = &timeline_;
        timeline_.begin(step_start, pool_ ? pool_->size() : 1);
        ++c.profiled_steps;
      }
      ro.check_finite = o.check;
      std::string error = c.step->run(c.sources, ro);
      if (!device_) prefetch.release(b);
      if (device_) {
        device_newer_ = true;
        // The next batch goes into the buffers step b - 1 read (that step is done: its loss was read).
        next_wait = 0;
        if (error.empty() && b + 1 < batches) error = upload_ahead(b + 1 < full ? *main : *tail, b + 1, prefetch.acquire(b + 1, next_wait));
      }
      // The loss and metrics are the step's only reads: on a device, the first waits for the step,
      // and with it for the copy out of batch b's slot (the step waited for it), which may then be refilled.
      if (error.empty()) error = read_scalar(*c.step, c.sg.loss, e.loss);
      for (size_t k = 0; k < n_metrics && error.empty(); ++k) error = read_scalar(*c.step, c.sg.metrics[k], e.metrics[k]);
      double non_finite = 0;  // mixed_float16: whether the updates were skipped
      if (error.empty() && c.sg.non_finite != kiln_no_value) error = read_scalar(*c.step, c.sg.non_finite, non_finite);
      if (device_) prefetch.release(b);
      auto where = [&] { return "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(iterations_ + 1); };
      if (!error.empty()) return "training stopped at " + where() + ": " + error;
      e.epoch = epoch;
      e.step = iterations_ + 1;
      e.learning_rate = c.learning_rate;
      if (!std::isfinite(e.loss)) {
        // The loss is float32 under every policy; on the GPU, mixed_float16 rounds products' inputs to float16.
        const char* f16 = spec_.precision == "mixed_float16" && device_ ? " (on the GPU, float16 overflows past 65504: mixed_bfloat16 does not)" : "";
        return "the loss became " + std::string(std::isnan(e.loss) ? "NaN" : "infinite") + " at " + where() +
               ": lower the learning rate, or train in check mode to find the op that produced it" + f16;
      }
      if (c.sg.non_finite != kiln_no_value) {
        e.skipped = non_finite != 0 ? 1 : 0;
        skipped_ += e.skipped;
        epoch_event.skipped += e.skipped;
        adjust_loss_scale(e.skipped != 0, loss_scale_, finite_steps_);
        e.loss_scale = loss_scale_;
      }
      ++iterations_;
      ++summary.steps;
      const double n = static_cast<double>(c.sg.batch);
      epoch_event.loss += e.loss * n;
      for (size_t k = 0; k < n_metrics; ++k) epoch_event.metrics[k] += e.metrics[k] * n;
      e.profile_window_done = profiled && profiled_step_done(c, step_start, e, prefetch.bytes());
      const clock::time_point now = clock::now();
      e.seconds = std::chrono::duration<double>(now - step_end).count();
      step_end = now;
      if (on_event) on_event(e);
    }
    prefetch.finish_epoch();
    epoch_event.step = iterations_;
    epoch_event.loss /= static_cast<double>(train.count);
    for (double& m : epoch_event.metrics) m /= static_cast<double>(train.count);
    epoch_event.learning_rate = learning_rate_at(spec_.optimizer, iterations_ - skipped_);
    if (main->sg.non_finite != kiln_no_value) epoch_event.loss_scale = loss_scale_;
    if (o.validation && o.validation->count > 0) {
      evaluation v;
      if (std::string e = evaluate(*o.validation, o.batch_size, v); !e.empty()) return "validation: " + e;
      if (stop_.load()) {
        summary.stopped = true;
        return "";
      }
      epoch_event.has_validation = true;
      epoch_event.val_loss = v.loss;
      epoch_event.val_metrics = v.metrics;
    }
    epoch_event.seconds = std::chrono::duration<double>(clock::now() - started).count();
    ++summary.epochs;
    ++epochs_;
    if (on_event) on_event(epoch_event);
  }
  return "";
}

std::string model::run_batches(const dataset& data, int32_t batch_size, bool with_targets,
                               const std::function<std::string(compiled&, int64_t, int64_t)>& body) {
  if (data.count <= 0) return "the data has no samples";
  if (batch_size <= 0) return "batch size must be positive";
  const int64_t batch = std::min<int64_t>(batch_size, data.count);
  for (int64_t first = 0; first < data.count; first += batch) {
    const int64_t n = std::min(batch, data.count - first);
    compiled* c = nullptr;
    if (std::string e = compiled_for(n, run_mode::infer, c); !e.empty()) return e;
    // In order, a batch's samples are contiguous: the plan reads them where they are (a device
    // plan: from its batch buffers, where they are copied).
    auto bind = [&](const std::vector<const void*>& src, const std::vector<int32_t>& ids, const std::vector<int64_t>& bytes,
                    const std::vector<void*>& device_buffers) -> std::string {
      for (size_t i = 0; i < ids.size() && i < src.size(); ++i) {
        const unsigned char* at = static_cast<const unsigned char*>(src[i]) + first * bytes[i];
        if (!device_) {
          c->sources[static_cast<size_t>(ids[i])] = const_cast<unsigned char*>(at);
        } else if (std::string e = upload(device_, device_buffers[i], at, bytes[i] * n, "a batch"); !e.empty()) {
          return e;
        }
      }
      return "";
    };
    if (std::string e = bind(data.x, c->sg.inputs, c->x_bytes, c->device_x); !e.empty()) return e;
    if (with_targets) {
      if (std::string e = bind(data.y, c->sg.targets, c->y_bytes, c->device_y); !e.empty()) return e;
    }
    if (std::string e = body(*c, first, n); !e.empty()) return e;
  }
  return "";
}

std::string model::evaluate(const dataset& data, int32_t batch_size, evaluation& out) {
  out = evaluation{};
  out.metrics.assign(spec_.metrics.size(), 0.0);
  if (spec_.losses.empty()) return "evaluation needs a loss";
  compiled* first = nullptr;
  if (std::string e = compiled_for(std::min<int64_t>(std::max(batch_size, 1), std::max<int64_t>(data.count, 1)), run_mode::infer, first); !e.empty()) return e;
  if (std::string e = check_labels(data, *first); !e.empty()) return e;
  std::string error = run_batches(data, batch_size, true, [&](compiled& c, int64_t, int64_t n) -> std::string {
    run_options ro;
    ro.pool = pool_;
    if (std::string e = c.step->run(c.sources, ro); !e.empty()) return e;
    double v = 0;
    if (std::string e = read_scalar(*c.step, c.sg.loss, v); !e.empty()) return e;
    out.loss += v * static_cast<double>(n);
    for (size_t k = 0; k < c.sg.metrics.size(); ++k) {
      if (std::string e = read_scalar(*c.step, c.sg.metrics[k], v); !e.empty()) return e;
      out.metrics[k] += v * static_cast<double>(n);
    }
    return "";
  });
  if (!error.empty()) return error;
  out.loss /= static_cast<double>(data.count);
  for (double& m : out.metrics) m /= static_cast<double>(data.count);
  return "";
}

std::string model::predict(const dataset& data, int32_t batch_size, std::vector<std::vector<float>>& outputs) {
  outputs.assign(spec_.outputs.size(), {});
  return run_batches(data, batch_size, false, [&](compiled& c, int64_t first, int64_t n) -> std::string {
    run_options ro;
    ro.pool = pool_;
    if (std::string e = c.forward->run(c.sources, ro); !e.empty()) return e;
    for (size_t k = 0; k < c.sg.outputs.size(); ++k) {
      const value& v = c.sg.g.val(c.sg.outputs[k]);
      if (v.dtype != kiln_dtype_f32) return "model output '" + spec_.outputs[k] + "' is not float32";
      const int64_t per = shape_elements(v.shape) / std::max<int64_t>(1, n);
      if (outputs[k].empty()) outputs[k].resize(static_cast<size_t>(per * data.count));
      if (std::string e = c.forward->read(c.sg.outputs[k], outputs[k].data() + first * per); !e.empty()) return e;
    }
    return "";
  });
}

std::string model::set_learning_rate(double lr) {
  if (!(lr > 0) || !std::isfinite(lr)) return "the learning rate must be a positive number";
  spec_.optimizer.learning_rate = lr;
  return "";
}

void model::stop() {
  stop_.store(true);
  std::lock_guard<std::mutex> lock(pause_mutex_);
  pause_cv_.notify_all();
}

void model::pause() {
  std::lock_guard<std::mutex> lock(pause_mutex_);
  paused_ = true;
}

void model::resume() {
  std::lock_guard<std::mutex> lock(pause_mutex_);
  paused_ = false;
  pause_cv_.notify_all();
}

void model::set_profiling(bool on) {
  profiling_ = on;
  for (auto& [key, c] : compiled_) {
    std::fill(c->op_ns.begin(), c->op_ns.end(), 0);
    c->profiled_steps = 0;
  }
  profiled_ = nullptr;
  last_step_ = {};
  memory_ = {};
  window_left_ = 0;
  window_ = {};
}

std::vector<op_profile> model::profile() const {
  std::vector<op_profile> out;
  std::map<std::string, size_t> index;
  for (const auto& [key, c] : compiled_) {
    if (c->sg.mode != run_mode::train || !c->step) continue;
    for (size_t s = 0; s < c->step->size(); ++s) {
      const node& n = c->sg.g.nodes()[static_cast<size_t>(c->step->step_node(s))];
      const std::string name = c->step->step_name(s);
      auto it = index.find(name);
      if (it == index.end()) {
        it = index.emplace(name, out.size()).first;
        out.push_back({name, op_name(n.op), 0, 0});
      }
      out[it->second].ns += c->op_ns[s];
      out[it->second].calls += c->profiled_steps;
    }
  }
  return out;
}

void model::profile_steps(int64_t steps) { window_request_.store(steps, std::memory_order_relaxed); }

bool model::profile_window(window_profile& out) const {
  std::lock_guard<std::mutex> lock(window_mutex_);
  if (has_window_) out = done_window_;
  return has_window_;
}

void model::start_window() {
  const int64_t steps = window_request_.exchange(0);
  if (steps <= 0) return;
  set_profiling(true);
  window_left_ = steps;
}

bool model::profiled_step_done(const compiled& c, step_timeline::clock::time_point start, const fit_event& e, int64_t batch_bytes) {
  const int64_t step_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(step_timeline::clock::now() - start).count();
  const auto wait_ns = static_cast<int64_t>(e.data_wait * 1e9);
  profiled_ = &c;
  last_step_ = {e.step, step_ns, wait_ns, timeline_.threads(), {}};
  // What is held now: the step's arena and every other plan's, the state, the batch buffers and
  // the scratch the kernels grew, which only grows while a thread lives.
  int64_t plans = 0;
  for (const auto& [key, p] : compiled_) {
    if (p->step) plans += p->step->arena_bytes();
    if (p->forward) plans += p->forward->arena_bytes();
  }
  const memory_use now = memory();
  const int64_t scratch = scratch_bytes();
  memory_.scratch_bytes = std::max(memory_.scratch_bytes, scratch);
  memory_.batch_bytes = batch_bytes;
  memory_.plans_bytes = plans;
  memory_.peak_bytes = std::max(memory_.peak_bytes, now.weight_bytes + now.optimizer_bytes + plans + batch_bytes + scratch);
  if (window_left_ <= 0) return false;
  if (window_.steps++ == 0) window_.first_step = e.step;
  window_.wall_ns += step_ns;
  window_.data_wait_ns += wait_ns;
  window_.loss += e.loss;
  if (--window_left_ > 0) return false;
  window_.loss /= static_cast<double>(window_.steps);
  window_.rows = profile();
  window_.timeline = profile_timeline();
  window_.memory = memory();
  {
    std::lock_guard<std::mutex> lock(window_mutex_);
    done_window_ = std::move(window_);
    has_window_ = true;
  }
  window_ = {};
  profiling_ = false;
  return true;
}

step_trace model::profile_timeline() const {
  step_trace out = last_step_;
  if (!profiled_) return out;
  const plan& p = *profiled_->step;
  for (int32_t t = 0; t < timeline_.threads(); ++t) {
    for (const step_timeline::span& s : timeline_.spans(t)) {
      if (s.step < 0 || static_cast<size_t>(s.step) >= p.size()) continue;
      const node& n = profiled_->sg.g.nodes()[static_cast<size_t>(p.step_node(static_cast<size_t>(s.step)))];
      out.spans.push_back({t, p.step_name(static_cast<size_t>(s.step)), op_name(n.op), s.start_ns, s.end_ns});
    }
  }
  return out;
}

memory_use model::memory() const {
  memory_use out = memory_;
  for (const std::vector<float>& w : weights_) out.weight_bytes += static_cast<int64_t>(w.size() * sizeof(float));
  for (const auto& [name, slot] : slots_) out.optimizer_bytes += static_cast<int64_t>(slot.size() * sizeof(float));
  if (profiled_) out.arena_bytes = profiled_->step->arena_bytes();
  return out;
}

std::string model::gradients(const dataset& data, int32_t batch_size, std::vector<std::vector<float>>& out) {
  out.assign(spec_.params.size(), {});
  if (data.count <= 0) return "the data has no samples";
  if (batch_size <= 0) return "batch size must be positive";
  dataset first = data;
  first.count = std::min<int64_t>(batch_size, data.count);
  compiled* c = nullptr;
  if (std::string e = compiled_for(first.count, run_mode::train, c); !e.empty()) return e;
  if (std::string e = check_labels(first, *c); !e.empty()) return e;
  const step_graph& sg = c->sg;
  if (!c->gradients) {
    std::string error;
    c->gradients = plan::compile(sg.g, sg.gradients, kernels_, error);
    if (!c->gradients) return "compiling the gradients for batch size " + std::to_string(first.count) + ": " + error;
  }
  // Dropout draws what the next training step would.
  rng seeds(spec_.seed ^ (0xd50d50d5ULL * static_cast<uint64_t>(iterations_ + 1)));
  for (int32_t& s : c->seeds) s = static_cast<int32_t>(seeds.next_u64() >> 33);
  std::string error;
  for (size_t i = 0; i < sg.inputs.size() + sg.targets.size() && error.empty(); ++i) {
    const bool input = i < sg.inputs.size();
    const size_t k = input ? i : i - sg.inputs.size();
    const void* src = input ? data.x[k] : data.y[k];
    const int32_t id = input ? sg.inputs[k] : sg.targets[k];
    const int64_t bytes = (input ? c->x_bytes[k] : c->y_bytes[k]) * first.count;
    if (!device_) {
      c->sources[static_cast<size_t>(id)] = const_cast<void*>(src);
    } else {
      void* dst = input ? c->device_x[k] : c->device_y[k];  // training may have left the other set bound
      c->sources[static_cast<size_t>(id)] = dst;
      error = upload(device_, dst, src, bytes, "a batch");
    }
  }
  if (error.empty() && device_) {
    error = upload(device_, c->device_seeds, c->seeds.data(), static_cast<int64_t>(c->seeds.size() * sizeof(int32_t)), "the seeds");
  }
  // mixed_float16: the gradients are of the loss times the scale, divided by it, as in training.
  c->loss_scale = static_cast<float>(loss_scale_);
  if (error.empty() && device_ && sg.loss_scale != kiln_no_value) error = upload(device_, c->device_loss_scale, &c->loss_scale, sizeof(float), "the loss scale");
  run_options ro;
  ro.pool = pool_;
  if (error.empty()) error = c->gradients->run(c->sources, ro);
  for (size_t i = 0, g = 0; i < spec_.params.size() && error.empty(); ++i) {
    if (!spec_.params[i].trainable) continue;
    out[i].resize(weights_[i].size());
    error = c->gradients->read(sg.gradients[g++], out[i].data());
  }
  return error;
}

}  // namespace kiln
