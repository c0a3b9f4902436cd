// Node-API binding for kiln::model: build from a spec, fit on a worker thread with events
// delivered in batches through a thread-safe function, evaluate / predict on the libuv pool,
// weights in and out as typed arrays. Thin: converts and validates; no maths here.
#include <napi.h>

#include <memory>
#include <mutex>
#include <thread>

#include "data/mapped_file.h"
#include "exec/model.h"
#include "exec/thread_pool.h"
#include "js_errors.h"
#include "js_values.h"
#include "model_spec_reader.h"
#include "reference/reference.h"

namespace {

using kiln::js::throw_range;
using kiln::js::throw_type;
using kiln::js::type_name;

struct model_state {
  std::unique_ptr<kiln::model> core;
  bool busy = false;  // JS thread only
};

Napi::Promise rejected(Napi::Env env, const std::string& message) {
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  d.Reject(Napi::Error::New(env, message).Value());
  return d.Promise();
}

// Samples in JS typed arrays, held by references so the job's worker thread may read them until
// the job ends (copying them instead cost a whole dataset per fit: as long as a GPU epoch), or in
// memory-mapped files. The references are released on the JS thread, where jobs are freed.
struct owned_data {
  std::vector<const void*> x, y;  // per input / target: where its samples start
  std::vector<Napi::Reference<Napi::TypedArray>> arrays;
  std::vector<std::unique_ptr<kiln::mapped_file>> maps;
  kiln::dataset view() const {
    kiln::dataset d;
    d.x = x;
    d.y = y;
    d.count = count;
    return d;
  }
  int64_t count = -1;
};

// A file's samples: { path, offset (bytes), length (elements) } of a .npy whose dtype and header
// the caller checked; mapped, never read whole.
bool read_mapped(Napi::Env env, const Napi::Object& o, const kiln::tensor_spec& s, const std::string& what, int64_t& elements,
                 owned_data& out, std::vector<const void*>& into) {
  const Napi::Value path = o.Get("path"), offset = o.Get("offset"), length = o.Get("length");
  if (!path.IsString() || !offset.IsNumber() || !length.IsNumber()) {
    throw_type(env, what + " for '" + s.name + "' must be a typed array or a file { path, offset, length }");
    return false;
  }
  elements = static_cast<int64_t>(length.As<Napi::Number>().DoubleValue());
  std::string error;
  auto map = kiln::mapped_file::open(path.As<Napi::String>().Utf8Value(), static_cast<int64_t>(offset.As<Napi::Number>().DoubleValue()),
                                     elements * kiln::dtype_size(s.dtype), error);
  if (!map) {
    throw_range(env, what + " for '" + s.name + "': " + error);
    return false;
  }
  into.push_back(map->data());
  out.maps.push_back(std::move(map));
  return true;
}

// Reads one list of tensors ({x: [...]} or {x: TypedArray} for one input) against their specs.
bool read_tensors(Napi::Env env, const Napi::Value& v, const std::vector<kiln::tensor_spec>& specs,
                  const std::string& what, owned_data& out, std::vector<const void*>& into) {
  std::vector<Napi::Value> arrays;
  if (v.IsTypedArray() || (v.IsObject() && !v.IsArray() && v.As<Napi::Object>().Has("path"))) arrays.push_back(v);
  else if (v.IsArray()) for (uint32_t i = 0; i < v.As<Napi::Array>().Length(); ++i) arrays.push_back(v.As<Napi::Array>().Get(i));
  else {
    throw_type(env, what + " must be a typed array or an array of them, got " + type_name(v));
    return false;
  }
  if (arrays.size() != specs.size()) {
    throw_type(env, what + " has " + std::to_string(arrays.size()) + " arrays but the model has " +
                        std::to_string(specs.size()) + (what == "x" ? " inputs" : " targets"));
    return false;
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const kiln::tensor_spec& s = specs[i];
    const bool file = arrays[i].IsObject() && !arrays[i].IsTypedArray() && !arrays[i].IsArray();
    if (!file && (!arrays[i].IsTypedArray() || arrays[i].As<Napi::TypedArray>().TypedArrayType() != kiln::js::array_type(s.dtype))) {
      throw_type(env, what + " for '" + s.name + "' must be a " + kiln::js::array_name(s.dtype) + ", got " + type_name(arrays[i]));
      return false;
    }
    const int64_t per = kiln::shape_elements(s.shape);
    int64_t n = 0;
    if (file) {
      if (!read_mapped(env, arrays[i].As<Napi::Object>(), s, what, n, out, into)) return false;
    } else {
      Napi::TypedArray a = arrays[i].As<Napi::TypedArray>();
      n = static_cast<int64_t>(a.ElementLength());
      into.push_back(static_cast<const unsigned char*>(a.ArrayBuffer().Data()) + a.ByteOffset());
      out.arrays.push_back(Napi::Persistent(a));
    }
    if (per <= 0 || n % per != 0) {
      throw_range(env, what + " for '" + s.name + "' has " + std::to_string(n) + " values, not a whole number of samples of shape " +
                           kiln::shape_string(s.shape));
      return false;
    }
    if (out.count >= 0 && n / per != out.count) {
      throw_range(env, what + " for '" + s.name + "' has " + std::to_string(n / per) + " samples but other arrays have " +
                           std::to_string(out.count));
      return false;
    }
    out.count = n / per;
  }
  return true;
}

bool read_data(Napi::Env env, const Napi::Value& v, const kiln::model_spec& spec, bool targets, const std::string& what,
               owned_data& out) {
  if (!v.IsObject() || v.IsArray()) {
    throw_type(env, what + " must be an object { x, y }, got " + std::string(type_name(v)));
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  if (!read_tensors(env, o.Get("x"), spec.inputs, "x", out, out.x)) return false;
  if (targets && !read_tensors(env, o.Get("y"), spec.targets, "y", out, out.y)) return false;
  if (out.count == 0) {
    throw_range(env, what + " has no samples");
    return false;
  }
  return true;
}

bool read_count(Napi::Env env, const Napi::Object& o, const char* key, int32_t fallback, int32_t max, int32_t& out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    out = fallback;
    return true;
  }
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 1 && d <= max) || d != static_cast<double>(static_cast<int32_t>(d))) {
    throw_range(env, std::string("options.") + key + " must be a whole number from 1 to " + std::to_string(max));
    return false;
  }
  out = static_cast<int32_t>(d);
  return true;
}

Napi::Object metrics_object(Napi::Env env, const kiln::model_spec& spec, const std::vector<double>& values) {
  Napi::Object o = Napi::Object::New(env);
  for (size_t k = 0; k < values.size() && k < spec.metrics.size(); ++k) o.Set(spec.metrics[k].name, values[k]);
  return o;
}

// The profiler's figures: per-op rows, the last profiled step per thread, memory.
Napi::Array profile_rows(Napi::Env env, const std::vector<kiln::op_profile>& rows) {
  Napi::Array out = Napi::Array::New(env, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("node", rows[i].node);
    r.Set("op", rows[i].op);
    r.Set("ns", static_cast<double>(rows[i].ns));
    r.Set("calls", static_cast<double>(rows[i].calls));
    out.Set(static_cast<uint32_t>(i), r);
  }
  return out;
}

Napi::Object timeline_object(Napi::Env env, const kiln::step_trace& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("step", static_cast<double>(t.step));
  o.Set("stepNs", static_cast<double>(t.step_ns));
  o.Set("dataWaitNs", static_cast<double>(t.data_wait_ns));
  o.Set("threads", t.threads);
  Napi::Array spans = Napi::Array::New(env, t.spans.size());
  for (size_t i = 0; i < t.spans.size(); ++i) {
    const kiln::timeline_span& s = t.spans[i];
    Napi::Object span = Napi::Object::New(env);
    span.Set("thread", s.thread);
    span.Set("node", s.node);
    span.Set("op", s.op);
    span.Set("startNs", static_cast<double>(s.start_ns));
    span.Set("endNs", static_cast<double>(s.end_ns));
    spans.Set(static_cast<uint32_t>(i), span);
  }
  o.Set("spans", spans);
  return o;
}

Napi::Object memory_object(Napi::Env env, const kiln::memory_use& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("arenaBytes", static_cast<double>(m.arena_bytes));
  o.Set("weightBytes", static_cast<double>(m.weight_bytes));
  o.Set("optimizerBytes", static_cast<double>(m.optimizer_bytes));
  o.Set("scratchBytes", static_cast<double>(m.scratch_bytes));
  o.Set("batchBytes", static_cast<double>(m.batch_bytes));
  o.Set("plansBytes", static_cast<double>(m.plans_bytes));
  o.Set("peakBytes", static_cast<double>(m.peak_bytes));
  return o;
}

// ---------------------------------------------------------------------------------------------
// fit: its own std::thread. The thread holds the only reference to the TSFN and releases it
// last; the TSFN's finalizer (JS thread) then joins, settles the promise and frees the job.
// Events queue in `pending`; a TSFN call is scheduled only when the queue was empty, and takes
// everything queued by then, so a slow JS callback gets batches instead of a flood.
struct fit_job {
  std::shared_ptr<model_state> state;
  owned_data train, validation;
  kiln::fit_options options;
  Napi::ThreadSafeFunction tsfn;
  Napi::Promise::Deferred deferred;
  Napi::ObjectReference owner;
  Napi::Reference<Napi::Value> callback_error;  // what the event callback threw, if it did
  std::thread thread;
  std::string error;
  kiln::fit_summary summary;
  bool env_closing = false;
  napi_env env;
  std::mutex pending_mutex;
  std::vector<kiln::fit_event> pending;
  explicit fit_job(Napi::Env e) : deferred(Napi::Promise::Deferred::New(e)), env(e) {}
};

Napi::Object event_object(Napi::Env env, const kiln::model_spec& spec, const kiln::fit_event& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", e.epoch_end ? "epoch" : "step");
  o.Set("epoch", e.epoch);
  o.Set("step", static_cast<double>(e.step));
  o.Set("loss", e.loss);
  o.Set("metrics", metrics_object(env, spec, e.metrics));
  o.Set("learningRate", e.learning_rate);
  o.Set("dataWait", e.data_wait);
  o.Set("seconds", e.seconds);
  if (e.profile_window_done) o.Set("profileWindowDone", true);
  if (spec.precision == "mixed_float16") {
    o.Set("lossScale", e.loss_scale);
    o.Set("skipped", static_cast<double>(e.skipped));
  }
  if (e.has_validation) {
    o.Set("valLoss", e.val_loss);
    o.Set("valMetrics", metrics_object(env, spec, e.val_metrics));
  }
  return o;
}

void deliver(Napi::Env env, Napi::Function callback, fit_job* job) {
  std::vector<kiln::fit_event> events;
  {
    std::lock_guard<std::mutex> lock(job->pending_mutex);
    events.swap(job->pending);
  }
  if (env == nullptr || callback.IsEmpty() || events.empty() || !job->callback_error.IsEmpty()) return;
  Napi::Array array = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) array.Set(static_cast<uint32_t>(i), event_object(env, job->state->core->spec(), events[i]));
  napi_value argv[1] = {array};
  napi_value ignored = nullptr;
  if (napi_call_function(env, env.Undefined(), callback, 1, argv, &ignored) != napi_ok) {
    // The callback threw (or the environment is closing): stop training, report it.
    job->state->core->stop();
    bool pending = false;
    napi_value error = nullptr;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok && error != nullptr && job->callback_error.IsEmpty()) {
      job->callback_error = Napi::Reference<Napi::Value>::New(Napi::Value(env, error), 1);
    }
  }
}

void run_fit(fit_job* job, bool with_events) {
  const kiln::dataset train = job->train.view();
  const kiln::dataset validation = job->validation.view();
  if (validation.count > 0) job->options.validation = &validation;
  std::function<void(const kiln::fit_event&)> on_event;
  if (with_events) {
    on_event = [job](const kiln::fit_event& e) {
      bool schedule;
      {
        std::lock_guard<std::mutex> lock(job->pending_mutex);
        schedule = job->pending.empty();
        job->pending.push_back(e);
      }
      if (schedule) job->tsfn.NonBlockingCall([job](Napi::Env env, Napi::Function cb) { deliver(env, cb, job); });
    };
  }
  std::string error = job->state->core->fit(train, job->options, on_event, job->summary);
  {
    std::lock_guard<std::mutex> lock(job->pending_mutex);
    if (job->error.empty()) job->error = error;
  }
  job->tsfn.Release();
}

void on_env_cleanup(void* arg) {
  fit_job* job = static_cast<fit_job*>(arg);
  job->env_closing = true;
  job->state->core->stop();
}

void finish_fit(Napi::Env env, void*, fit_job* job) {
  if (job->thread.joinable()) job->thread.join();
  if (!job->env_closing) {
    napi_remove_env_cleanup_hook(job->env, on_env_cleanup, job);
    job->state->busy = false;
    if (!job->callback_error.IsEmpty()) {
      job->deferred.Reject(job->callback_error.Value());
    } else if (!job->error.empty()) {
      job->deferred.Reject(Napi::Error::New(env, job->error).Value());
    } else {
      Napi::Object r = Napi::Object::New(env);
      r.Set("steps", static_cast<double>(job->summary.steps));
      r.Set("epochs", job->summary.epochs);
      r.Set("stopped", job->summary.stopped);
      job->deferred.Resolve(r);
    }
  }
  delete job;
}

// ---------------------------------------------------------------------------------------------
// evaluate / predict / gradients: the libuv pool.
enum class infer_kind { evaluate, predict, gradients };

class infer_worker : public Napi::AsyncWorker {
 public:
  infer_worker(Napi::Env env, std::shared_ptr<model_state> state, Napi::Object owner, owned_data data, int32_t batch, infer_kind kind)
      : Napi::AsyncWorker(env, kind == infer_kind::predict ? "kiln.predict" : kind == infer_kind::gradients ? "kiln.gradients" : "kiln.evaluate"), deferred_(Napi::Promise::Deferred::New(env)), state_(std::move(state)),
        owner_(Napi::Persistent(owner)), data_(std::move(data)), batch_(batch), kind_(kind) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    const kiln::dataset d = data_.view();
    kiln::model& m = *state_->core;
    const std::string e = kind_ == infer_kind::predict     ? m.predict(d, batch_, outputs_)
                          : kind_ == infer_kind::gradients ? m.gradients(d, batch_, outputs_)
                                                           : m.evaluate(d, batch_, eval_);
    if (!e.empty()) SetError(e);
  }

  void OnOK() override {
    state_->busy = false;
    Napi::Env env = Env();
    auto array = [&](const std::vector<float>& v) {
      Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
      std::copy(v.begin(), v.end(), a.Data());
      return a;
    };
    if (kind_ == infer_kind::predict) {  // [output k: Float32Array]
      Napi::Array out = Napi::Array::New(env, outputs_.size());
      for (size_t k = 0; k < outputs_.size(); ++k) out.Set(static_cast<uint32_t>(k), array(outputs_[k]));
      deferred_.Resolve(out);
    } else if (kind_ == infer_kind::gradients) {  // { weightName: Float32Array } for trainable weights
      Napi::Object out = Napi::Object::New(env);
      const auto& params = state_->core->spec().params;
      for (size_t i = 0; i < params.size(); ++i) {
        if (params[i].trainable) out.Set(params[i].name, array(outputs_[i]));
      }
      deferred_.Resolve(out);
    } else {
      Napi::Object r = Napi::Object::New(env);
      r.Set("loss", eval_.loss);
      r.Set("metrics", metrics_object(env, state_->core->spec(), eval_.metrics));
      deferred_.Resolve(r);
    }
  }

  void OnError(const Napi::Error& e) override {
    state_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<model_state> state_;
  Napi::ObjectReference owner_;
  owned_data data_;
  int32_t batch_;
  infer_kind kind_;
  std::vector<std::vector<float>> outputs_;  // predict: per output; gradients: per param
  kiln::evaluation eval_;
};

class model_wrap : public Napi::ObjectWrap<model_wrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Model",
                       {InstanceMethod("fit", &model_wrap::fit), InstanceMethod("evaluate", &model_wrap::evaluate),
                        InstanceMethod("predict", &model_wrap::predict), InstanceMethod("getWeights", &model_wrap::get_weights),
                        InstanceMethod("setWeights", &model_wrap::set_weights), InstanceMethod("stop", &model_wrap::stop),
                        InstanceMethod("pause", &model_wrap::pause), InstanceMethod("resume", &model_wrap::resume),
                        InstanceMethod("setProfiling", &model_wrap::set_profiling), InstanceMethod("profile", &model_wrap::profile),
                        InstanceMethod("profileTimeline", &model_wrap::profile_timeline), InstanceMethod("memory", &model_wrap::memory),
                        InstanceMethod("profileSteps", &model_wrap::profile_steps), InstanceMethod("profileWindow", &model_wrap::profile_window),
                        InstanceMethod("iterations", &model_wrap::iterations),
                        InstanceMethod("setLearningRate", &model_wrap::set_learning_rate),
                        InstanceMethod("gradients", &model_wrap::gradients)});
  }

  // new Model(spec, { backend: 'cpu' | 'reference' | 'cuda', threads?: 1.. (cpu: all cores when absent) })
  explicit model_wrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<model_wrap>(info), state_(std::make_shared<model_state>()) {
    Napi::Env env = info.Env();
    kiln::model_spec spec;
    if (!kiln::js::read_model_spec(env, info[0], spec)) return;
    const Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    std::string backend = "cpu";
    if (options.Get("backend").IsString()) backend = options.Get("backend").As<Napi::String>().Utf8Value();
    const kiln::kernel_table* kernels = nullptr;
    kiln::thread_pool* pool = nullptr;
    std::string why;
    bool unknown = false;
    if (!kiln::js::backend_by_name(backend, kernels, pool, why, unknown)) {
      if (unknown) throw_type(env, "unknown backend '" + backend + "' (use 'cpu', 'reference' or 'cuda')");
      else Napi::Error::New(env, why).ThrowAsJavaScriptException();
      return;
    }
    const Napi::Value threads = options.Get("threads");
    if (!threads.IsUndefined()) {
      if (backend != "cpu") {
        throw_range(env, "options.threads applies to the cpu backend only (this model is on '" + backend + "')");
        return;
      }
      if (!kiln::js::read_thread_pool(env, threads, "options.threads", pool)) return;
    }
    std::string error;
    state_->core = kiln::model::create(std::move(spec), *kernels, pool, error);
    if (!state_->core) Napi::Error::New(env, error).ThrowAsJavaScriptException();
  }

 private:
  bool idle(Napi::Env env) {
    if (!state_->busy) return true;
    Napi::Error::New(env, "the model is busy: wait for fit, evaluate or predict to finish").ThrowAsJavaScriptException();
    return false;
  }

  // fit({x, y}, {epochs, batchSize, shuffle, validation: {x, y}, check}, onEvents?)
  Napi::Value fit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    const kiln::model_spec& spec = state_->core->spec();
    auto job = std::make_unique<fit_job>(env);
    if (!read_data(env, info[0], spec, true, "training data", job->train)) return env.Undefined();
    Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    if (!read_count(env, o, "epochs", 1, 1000000, job->options.epochs) ||
        !read_count(env, o, "batchSize", 32, 1 << 20, job->options.batch_size)) return env.Undefined();
    job->options.shuffle = !o.Get("shuffle").IsBoolean() || o.Get("shuffle").As<Napi::Boolean>().Value();
    job->options.check = o.Get("check").IsBoolean() && o.Get("check").As<Napi::Boolean>().Value();
    if (o.Get("prefetch").IsBoolean()) job->options.prefetch = o.Get("prefetch").As<Napi::Boolean>().Value() ? 1 : 0;
    if (!o.Get("validation").IsUndefined() && !read_data(env, o.Get("validation"), spec, true, "validation data", job->validation)) {
      return env.Undefined();
    }
    const bool with_events = info[2].IsFunction();
    fit_job* raw = job.release();
    raw->state = state_;
    raw->owner = Napi::Persistent(Value());
    raw->tsfn = Napi::ThreadSafeFunction::New(env, with_events ? info[2].As<Napi::Function>() : Napi::Function(), "kiln.fit", 0, 1,
                                              raw, finish_fit, static_cast<void*>(nullptr));
    napi_add_env_cleanup_hook(env, on_env_cleanup, raw);
    Napi::Promise promise = raw->deferred.Promise();
    state_->busy = true;
    raw->thread = std::thread(run_fit, raw, with_events);
    return promise;
  }

  Napi::Value infer(const Napi::CallbackInfo& info, infer_kind kind) {
    Napi::Env env = info.Env();
    if (state_->busy) return rejected(env, "the model is busy: wait for fit, evaluate or predict to finish");
    owned_data data;
    const char* what = kind == infer_kind::predict ? "prediction data" : kind == infer_kind::gradients ? "gradient data" : "evaluation data";
    if (!read_data(env, info[0], state_->core->spec(), kind != infer_kind::predict, what, data)) return env.Undefined();
    Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    int32_t batch;
    if (!read_count(env, o, "batchSize", 32, 1 << 20, batch)) return env.Undefined();
    state_->busy = true;
    auto* worker = new infer_worker(env, state_, Value(), std::move(data), batch, kind);
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  }

  Napi::Value evaluate(const Napi::CallbackInfo& info) { return infer(info, infer_kind::evaluate); }
  Napi::Value predict(const Napi::CallbackInfo& info) { return infer(info, infer_kind::predict); }
  // gradients({x, y}, {batchSize}): d(loss)/d(weight) over the first batch, nothing updated.
  Napi::Value gradients(const Napi::CallbackInfo& info) { return infer(info, infer_kind::gradients); }

  Napi::Value get_weights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    if (std::string e = state_->core->pull_weights(); !e.empty()) {
      Napi::Error::New(env, e).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object out = Napi::Object::New(env);
    const auto& params = state_->core->spec().params;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::vector<float>& w = state_->core->weights(i);
      Napi::Float32Array a = Napi::Float32Array::New(env, w.size());
      std::copy(w.begin(), w.end(), a.Data());
      out.Set(params[i].name, a);
    }
    return out;
  }

  // setWeights({name: Float32Array}): any subset; all are checked before any is written.
  Napi::Value set_weights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    if (!info[0].IsObject() || info[0].IsArray()) {
      throw_type(env, "setWeights takes an object { weightName: Float32Array }");
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    const auto& params = state_->core->spec().params;
    std::vector<std::pair<size_t, Napi::Float32Array>> writes;
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t k = 0; k < keys.Length(); ++k) {
      const std::string name = keys.Get(k).As<Napi::String>().Utf8Value();
      size_t i = 0;
      while (i < params.size() && params[i].name != name) ++i;
      if (i == params.size()) {
        throw_range(env, "the model has no weight named '" + name + "'");
        return env.Undefined();
      }
      Napi::Value v = o.Get(name);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
        throw_type(env, "weight '" + name + "' must be a Float32Array, got " + type_name(v));
        return env.Undefined();
      }
      Napi::Float32Array a = v.As<Napi::Float32Array>();
      if (a.ElementLength() != state_->core->weights(i).size()) {
        throw_range(env, "weight '" + name + "' has " + std::to_string(a.ElementLength()) + " values but its shape " +
                             kiln::shape_string(params[i].shape) + " needs " + std::to_string(state_->core->weights(i).size()));
        return env.Undefined();
      }
      writes.emplace_back(i, a);
    }
    // A subset is written over the current weights, which may be newer on the GPU.
    std::string error = state_->core->pull_weights();
    if (error.empty()) {
      for (auto& [i, a] : writes) std::copy(a.Data(), a.Data() + a.ElementLength(), state_->core->weights(i).begin());
      error = state_->core->push_weights();
    }
    if (!error.empty()) Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value stop(const Napi::CallbackInfo& info) {
    state_->core->stop();
    return info.Env().Undefined();
  }
  Napi::Value pause(const Napi::CallbackInfo& info) {
    state_->core->pause();
    return info.Env().Undefined();
  }
  Napi::Value resume(const Napi::CallbackInfo& info) {
    state_->core->resume();
    return info.Env().Undefined();
  }
  Napi::Value set_profiling(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    state_->core->set_profiling(info[0].ToBoolean().Value());
    return env.Undefined();
  }
  Napi::Value profile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    return profile_rows(env, state_->core->profile());
  }
  Napi::Value profile_timeline(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    return timeline_object(env, state_->core->profile_timeline());
  }
  Napi::Value memory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    return memory_object(env, state_->core->memory());
  }
  // profileSteps(n): allowed during fit (the engine starts the window between two steps).
  Napi::Value profile_steps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const double n = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    if (!(n >= 1 && n <= 1e9) || n != static_cast<double>(static_cast<int64_t>(n))) {
      throw_range(env, "the number of steps to profile must be a whole number of at least 1");
      return env.Undefined();
    }
    state_->core->profile_steps(static_cast<int64_t>(n));
    return env.Undefined();
  }
  // profileWindow(): the last window profileSteps asked for, once done (allowed during fit), or null.
  Napi::Value profile_window(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    kiln::window_profile w;
    if (!state_->core->profile_window(w)) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("firstStep", static_cast<double>(w.first_step));
    o.Set("steps", static_cast<double>(w.steps));
    o.Set("wallSeconds", static_cast<double>(w.wall_ns) / 1e9);
    o.Set("dataWaitSeconds", static_cast<double>(w.data_wait_ns) / 1e9);
    o.Set("loss", w.loss);
    o.Set("rows", profile_rows(env, w.rows));
    o.Set("timeline", timeline_object(env, w.timeline));
    o.Set("memory", memory_object(env, w.memory));
    return o;
  }
  Napi::Value set_learning_rate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!idle(env)) return env.Undefined();
    const std::string e = state_->core->set_learning_rate(info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1);
    if (!e.empty()) throw_range(env, e);
    return env.Undefined();
  }

  Napi::Value iterations(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(state_->core->iterations()));
  }

  std::shared_ptr<model_state> state_;
};

}  // namespace

void kiln_register_model_binding(Napi::Env env, Napi::Object exports) { exports.Set("Model", model_wrap::define(env)); }
