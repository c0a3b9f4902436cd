// Node-API binding for the Kiln engine. Thin: converts and validates arguments, runs the
// engine on worker threads, and reports training steps through a thread-safe function.
// No maths here. Built with NAPI_DISABLE_CPP_EXCEPTIONS: errors are thrown into JS and the
// function returns at once.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "js_errors.h"
#include "kiln/engine.h"

void kiln_register_graph_binding(Napi::Env env, Napi::Object exports);
void kiln_register_gemm_binding(Napi::Env env, Napi::Object exports);

namespace {

using kiln::js::throw_range;
using kiln::js::throw_type;
using kiln::js::type_name;

// ---------------------------------------------------------------------------------------------
// State shared between the JS object and any job running for it. A job holds its own
// shared_ptr, so the engine outlives the JS object if that is finalized first (env teardown).
struct engine_state {
  engine_state(kiln::mlp_spec spec, uint64_t seed) : core(std::move(spec), seed) {}
  kiln::trainer core;
  std::atomic<bool> stop{false};
  bool busy = false;      // a fit/evaluate/gradients is running (JS thread only)
  bool training = false;  // a fit is running (JS thread only)
};

Napi::Promise rejected(Napi::Env env, const std::string& message) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(Napi::Error::New(env, message).Value());
  return deferred.Promise();
}

// Reads an integer-valued number in [min, max]. Throws and returns false otherwise.
bool read_int(Napi::Env env, const Napi::Value& v, const std::string& what, double min, double max,
              double* out) {
  if (!v.IsNumber()) {
    throw_type(env, what + " must be a number, got " + type_name(v));
    return false;
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) {
    throw_range(env, what + " must be a whole number, got " + v.ToString().Utf8Value());
    return false;
  }
  if (d < min || d > max) {
    throw_range(env, what + " is " + v.ToString().Utf8Value() + "; it must be between " +
                         Napi::Number::New(env, min).ToString().Utf8Value() + " and " +
                         Napi::Number::New(env, max).ToString().Utf8Value());
    return false;
  }
  *out = d;
  return true;
}

bool read_spec(Napi::Env env, const Napi::Value& v, kiln::mlp_spec* spec) {
  if (!v.IsArray()) {
    throw_type(env, "options.layers must be an array of { inputs, units, activation }, got " +
                        std::string(type_name(v)));
    return false;
  }
  Napi::Array layers = v.As<Napi::Array>();
  for (uint32_t i = 0; i < layers.Length(); ++i) {
    const std::string where = "layers[" + std::to_string(i) + "]";
    Napi::Value item = layers.Get(i);
    if (!item.IsObject() || item.IsArray()) {
      throw_type(env, where + " must be an object { inputs, units, activation }, got " +
                          type_name(item));
      return false;
    }
    Napi::Object layer = item.As<Napi::Object>();
    double inputs = 0, units = 0;
    // Sizes <= 0 are range errors reported by kiln::check_spec; here only the int32 range.
    if (!read_int(env, layer.Get("inputs"), where + ".inputs", -2147483648.0, 2147483647.0, &inputs) ||
        !read_int(env, layer.Get("units"), where + ".units", -2147483648.0, 2147483647.0, &units)) {
      return false;
    }
    kiln::dense_layer l;
    l.inputs = static_cast<int32_t>(inputs);
    l.units = static_cast<int32_t>(units);
    Napi::Value act = layer.Get("activation");
    if (act.IsUndefined()) {
      l.act = kiln::kiln_act_linear;  // Keras Dense: activation=None means linear
    } else if (!act.IsString()) {
      throw_type(env, where + ".activation must be 'relu' or 'linear', got " + type_name(act));
      return false;
    } else {
      const std::string name = act.As<Napi::String>().Utf8Value();
      if (name == "relu") {
        l.act = kiln::kiln_act_relu;
      } else if (name == "linear") {
        l.act = kiln::kiln_act_linear;
      } else {
        throw_range(env, where + ".activation '" + name +
                             "' is not supported yet; use 'relu' or 'linear'");
        return false;
      }
    }
    spec->layers.push_back(l);
  }
  const std::string problem = kiln::check_spec(*spec);
  if (!problem.empty()) {
    throw_range(env, problem);
    return false;
  }
  return true;
}

// Seed: a non-negative safe integer or a bigint below 2^64.
bool read_seed(Napi::Env env, const Napi::Value& v, uint64_t* seed) {
  if (v.IsUndefined()) {
    *seed = 0;
    return true;
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    *seed = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      throw_range(env, "options.seed must be a bigint between 0 and 2^64 - 1");
      return false;
    }
    return true;
  }
  double d = 0;
  if (!read_int(env, v, "options.seed", 0.0, 9007199254740991.0, &d)) return false;
  *seed = static_cast<uint64_t>(d);
  return true;
}

// x must be a Float32Array and y an Int32Array that fit the model; copies both so the job
// does not depend on JS memory (which could be detached or mutated while it runs).
bool read_data(Napi::Env env, const kiln::mlp_spec& spec, const Napi::Value& xv,
               const Napi::Value& yv, std::vector<float>* x, std::vector<int32_t>* y) {
  if (!xv.IsTypedArray() || xv.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw_type(env, "x must be a Float32Array (rows x inputs, row-major), got " +
                        std::string(type_name(xv)));
    return false;
  }
  if (!yv.IsTypedArray() || yv.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw_type(env, "y must be an Int32Array of class labels, got " + std::string(type_name(yv)));
    return false;
  }
  Napi::Float32Array xa = xv.As<Napi::Float32Array>();
  Napi::Int32Array ya = yv.As<Napi::Int32Array>();
  const std::string problem = kiln::check_data(spec, xa.Data(), static_cast<int64_t>(xa.ElementLength()),
                                               ya.Data(), static_cast<int64_t>(ya.ElementLength()));
  if (!problem.empty()) {
    throw_range(env, problem);
    return false;
  }
  x->assign(xa.Data(), xa.Data() + xa.ElementLength());
  y->assign(ya.Data(), ya.Data() + ya.ElementLength());
  return true;
}

Napi::Array to_js(Napi::Env env, const kiln::weight_list& arrays) {
  Napi::Array out = Napi::Array::New(env, arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    Napi::Float32Array a = Napi::Float32Array::New(env, arrays[i].size());
    std::copy(arrays[i].begin(), arrays[i].end(), a.Data());
    out.Set(static_cast<uint32_t>(i), a);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// evaluate / gradients: short jobs on the libuv thread pool.
class eval_worker : public Napi::AsyncWorker {
 public:
  eval_worker(Napi::Env env, std::shared_ptr<engine_state> state, Napi::Object owner,
              std::vector<float> x, std::vector<int32_t> y, bool want_grads)
      : Napi::AsyncWorker(env, want_grads ? "kiln.gradients" : "kiln.evaluate"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        owner_(Napi::Persistent(owner)),  // keeps the Trainer alive while we run
        x_(std::move(x)),
        y_(std::move(y)),
        want_grads_(want_grads) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    const int64_t rows = static_cast<int64_t>(y_.size());
    if (want_grads_) {
      grads_ = state_->core.loss_and_gradients(x_.data(), y_.data(), rows);
    } else {
      eval_ = state_->core.evaluate(x_.data(), y_.data(), rows);
    }
  }

  void OnOK() override {
    state_->busy = false;
    Napi::Env env = Env();
    Napi::Object result = Napi::Object::New(env);
    if (want_grads_) {
      result.Set("loss", Napi::Number::New(env, grads_.loss));
      result.Set("grads", to_js(env, grads_.grads));
    } else {
      result.Set("loss", Napi::Number::New(env, eval_.loss));
      result.Set("accuracy", Napi::Number::New(env, eval_.accuracy));
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    state_->busy = false;
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<engine_state> state_;
  Napi::ObjectReference owner_;
  std::vector<float> x_;
  std::vector<int32_t> y_;
  bool want_grads_;
  kiln::eval_result eval_;
  kiln::gradient_result grads_;
};

// ---------------------------------------------------------------------------------------------
// fit: a long job on its own std::thread, so it never ties up the libuv pool.
//
// Lifetime: the thread holds one reference to the thread-safe function (TSFN) and releases it
// as its very last action. Node then delivers every queued step callback and only after that
// runs the TSFN finalizer on the JS thread, which joins the thread, settles the promise and
// deletes the job. If the environment shuts down mid-fit (process.exit, worker termination),
// our cleanup hook sets the stop flag; the finalizer then joins (the current step finishes)
// and skips touching JS.
struct step_record {
  int64_t step;
  int32_t epoch;
  float loss;
};

struct fit_job {
  std::shared_ptr<engine_state> state;
  std::vector<float> x;
  std::vector<int32_t> y;
  kiln::fit_options options;
  Napi::ThreadSafeFunction tsfn;
  Napi::Promise::Deferred deferred;
  Napi::ObjectReference owner;           // keeps the Trainer alive during the fit
  Napi::Reference<Napi::Value> callback_error;  // first exception thrown by the step callback
  std::thread thread;
  kiln::fit_result result;
  napi_env env = nullptr;
  bool env_closing = false;

  // Steps not yet handed to JS. The thread schedules a TSFN call only when it adds to an
  // empty list; that call takes everything queued by then, so each step is delivered once,
  // in order, and a slow JS callback receives steps in batches instead of a flooded queue.
  std::mutex pending_mutex;
  std::vector<step_record> pending;

  explicit fit_job(Napi::Env e) : deferred(Napi::Promise::Deferred::New(e)), env(e) {}
};

void deliver_steps(Napi::Env env, Napi::Function callback, fit_job* job) {
  std::vector<step_record> steps;
  {
    std::lock_guard<std::mutex> lock(job->pending_mutex);
    steps.swap(job->pending);
  }
  if (env == nullptr || callback.IsEmpty() || steps.empty() || !job->callback_error.IsEmpty()) return;
  Napi::Array array = Napi::Array::New(env, steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("step", Napi::Number::New(env, static_cast<double>(steps[i].step)));
    o.Set("epoch", Napi::Number::New(env, steps[i].epoch));
    o.Set("loss", Napi::Number::New(env, steps[i].loss));
    array.Set(static_cast<uint32_t>(i), o);
  }
  // The raw call, so a failure is seen here rather than turned into a new Error object.
  napi_value argv[1] = {array};
  napi_value ignored = nullptr;
  if (napi_call_function(env, env.Undefined(), callback, 1, argv, &ignored) != napi_ok) {
    // The callback threw, or the environment is shutting down (worker terminated) and can
    // no longer run JS. Either way stop training; a thrown value rejects the promise.
    job->state->stop.store(true);
    bool pending = false;
    napi_value error = nullptr;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok && error != nullptr) {
      job->callback_error = Napi::Reference<Napi::Value>::New(Napi::Value(env, error), 1);
    }
  }
}

void run_fit(fit_job* job) {
  auto on_step = [job](int64_t step, int32_t epoch, float loss) {
    bool schedule;
    {
      std::lock_guard<std::mutex> lock(job->pending_mutex);
      schedule = job->pending.empty();
      job->pending.push_back({step, epoch, loss});
    }
    if (schedule) {
      // Fails only while the environment is closing; the stop flag is set then anyway.
      job->tsfn.NonBlockingCall(
          [job](Napi::Env env, Napi::Function callback) { deliver_steps(env, callback, job); });
    }
  };
  kiln::dataset_view data;
  data.x = job->x.data();
  data.y = job->y.data();
  data.rows = static_cast<int64_t>(job->y.size());
  job->result = job->state->core.fit(data, job->options, on_step, job->state->stop);
  job->tsfn.Release();
}

void on_env_cleanup(void* arg) {
  fit_job* job = static_cast<fit_job*>(arg);
  job->env_closing = true;
  job->state->stop.store(true);
}

void finish_fit(Napi::Env env, void*, fit_job* job) {
  job->state->stop.store(true);  // no-op normally (the thread is done); ends it at teardown
  if (job->thread.joinable()) job->thread.join();
  if (!job->env_closing) {
    napi_remove_env_cleanup_hook(job->env, on_env_cleanup, job);
    job->state->busy = false;
    job->state->training = false;
    if (!job->callback_error.IsEmpty()) {
      job->deferred.Reject(job->callback_error.Value());
    } else {
      Napi::Object result = Napi::Object::New(env);
      result.Set("loss", Napi::Number::New(env, job->result.loss));
      result.Set("accuracy", Napi::Number::New(env, job->result.accuracy));
      result.Set("steps", Napi::Number::New(env, static_cast<double>(job->result.steps)));
      result.Set("stopped", Napi::Boolean::New(env, job->result.stopped));
      job->deferred.Resolve(result);
    }
  }
  delete job;
}

// ---------------------------------------------------------------------------------------------
class trainer_wrap : public Napi::ObjectWrap<trainer_wrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Trainer",
                       {
                           InstanceMethod("getWeights", &trainer_wrap::get_weights),
                           InstanceMethod("setWeights", &trainer_wrap::set_weights),
                           InstanceMethod("evaluate", &trainer_wrap::evaluate),
                           InstanceMethod("gradients", &trainer_wrap::gradients),
                           InstanceMethod("fit", &trainer_wrap::fit),
                           InstanceMethod("stop", &trainer_wrap::stop),
                           InstanceMethod("isTraining", &trainer_wrap::is_training),
                       });
  }

  explicit trainer_wrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<trainer_wrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
      throw_type(env, "new Trainer(options) needs an options object { layers, seed }");
      return;
    }
    Napi::Object options = info[0].As<Napi::Object>();
    kiln::mlp_spec spec;
    uint64_t seed = 0;
    if (!read_spec(env, options.Get("layers"), &spec)) return;
    if (!read_seed(env, options.Get("seed"), &seed)) return;
    state_ = std::make_shared<engine_state>(std::move(spec), seed);
  }

  ~trainer_wrap() override {
    // Only reachable with no job running (jobs hold a reference to this object), except at
    // environment teardown, where the job's own shared_ptr keeps the engine alive.
    if (state_) state_->stop.store(true);
  }

 private:
  Napi::Value get_weights(const Napi::CallbackInfo& info) {
    return to_js(info.Env(), state_->core.get_weights());
  }

  Napi::Value set_weights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<int64_t> sizes = kiln::weight_sizes(state_->core.spec());
    if (info.Length() < 1 || !info[0].IsArray()) {
      throw_type(env, "setWeights(arrays) needs an array of Float32Array");
      return env.Undefined();
    }
    Napi::Array arrays = info[0].As<Napi::Array>();
    if (arrays.Length() != sizes.size()) {
      throw_range(env, "setWeights: expected " + std::to_string(sizes.size()) +
                           " arrays (a kernel and a bias for each of " +
                           std::to_string(sizes.size() / 2) + " Dense layers), got " +
                           std::to_string(arrays.Length()));
      return env.Undefined();
    }
    kiln::weight_list weights(sizes.size());
    for (uint32_t i = 0; i < arrays.Length(); ++i) {
      const kiln::dense_layer& l = state_->core.spec().layers[i / 2];
      const std::string what = "layers[" + std::to_string(i / 2) + "] " +
                                (i % 2 == 0 ? "kernel (" + std::to_string(l.inputs) + " x " +
                                                  std::to_string(l.units) + ")"
                                            : "bias (" + std::to_string(l.units) + ")");
      Napi::Value v = arrays.Get(i);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
        throw_type(env, "setWeights: array " + std::to_string(i) + ", the " + what +
                            ", must be a Float32Array, got " + type_name(v));
        return env.Undefined();
      }
      Napi::Float32Array a = v.As<Napi::Float32Array>();
      if (static_cast<int64_t>(a.ElementLength()) != sizes[i]) {
        throw_range(env, "setWeights: array " + std::to_string(i) + ", the " + what + ", has " +
                             std::to_string(a.ElementLength()) + " values; expected " +
                             std::to_string(sizes[i]));
        return env.Undefined();
      }
      weights[i].assign(a.Data(), a.Data() + a.ElementLength());
    }
    if (state_->busy) {
      Napi::Error::New(env, "trainer is busy").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    state_->core.set_weights(weights);
    return env.Undefined();
  }

  Napi::Value start_eval(const Napi::CallbackInfo& info, bool want_grads) {
    Napi::Env env = info.Env();
    std::vector<float> x;
    std::vector<int32_t> y;
    if (!read_data(env, state_->core.spec(), info[0], info[1], &x, &y)) return env.Undefined();
    if (state_->busy) return rejected(env, "trainer is busy");
    auto* worker = new eval_worker(env, state_, Value(), std::move(x), std::move(y), want_grads);
    Napi::Promise promise = worker->promise();
    state_->busy = true;
    worker->Queue();
    return promise;
  }

  Napi::Value evaluate(const Napi::CallbackInfo& info) { return start_eval(info, false); }
  Napi::Value gradients(const Napi::CallbackInfo& info) { return start_eval(info, true); }

  Napi::Value fit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
      throw_type(env, "fit(options, onSteps) needs an options object { x, y, epochs, batchSize, "
                      "learningRate, shuffle }");
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value callback = info.Length() > 1 ? info[1] : env.Undefined();
    if (!callback.IsUndefined() && !callback.IsFunction()) {
      throw_type(env, "fit: onSteps must be a function, got " + std::string(type_name(callback)));
      return env.Undefined();
    }
    double epochs = 0, batch_size = 0;
    if (!read_int(env, o.Get("epochs"), "options.epochs", 1, 2147483647.0, &epochs) ||
        !read_int(env, o.Get("batchSize"), "options.batchSize", 1, 2147483647.0, &batch_size)) {
      return env.Undefined();
    }
    Napi::Value lr = o.Get("learningRate");
    if (!lr.IsNumber()) {
      throw_type(env, "options.learningRate must be a number, got " + std::string(type_name(lr)));
      return env.Undefined();
    }
    const double lr_value = lr.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(lr_value) || lr_value < 0 || lr_value > 3.0e38) {
      throw_range(env, "options.learningRate is " + lr.ToString().Utf8Value() +
                           "; it must be a finite number >= 0");
      return env.Undefined();
    }
    Napi::Value shuffle = o.Get("shuffle");
    if (!shuffle.IsUndefined() && !shuffle.IsBoolean()) {
      throw_type(env, "options.shuffle must be a boolean, got " + std::string(type_name(shuffle)));
      return env.Undefined();
    }
    std::vector<float> x;
    std::vector<int32_t> y;
    if (!read_data(env, state_->core.spec(), o.Get("x"), o.Get("y"), &x, &y)) return env.Undefined();
    if (state_->busy) return rejected(env, "trainer is busy");

    auto* job = new fit_job(env);
    job->state = state_;
    job->x = std::move(x);
    job->y = std::move(y);
    job->options.epochs = static_cast<int32_t>(epochs);
    job->options.batch_size = static_cast<int32_t>(batch_size);
    job->options.learning_rate = static_cast<float>(lr_value);
    job->options.shuffle = shuffle.IsUndefined() ? true : shuffle.As<Napi::Boolean>().Value();
    job->owner = Napi::Persistent(Value());
    job->tsfn = Napi::ThreadSafeFunction::New(
        env, callback.IsFunction() ? callback.As<Napi::Function>() : Napi::Function(), "kiln.fit",
        0 /* unbounded queue: the thread never blocks */, 1 /* the training thread */, job,
        finish_fit, static_cast<void*>(nullptr));
    napi_add_env_cleanup_hook(env, on_env_cleanup, job);
    Napi::Promise promise = job->deferred.Promise();
    state_->stop.store(false);
    state_->busy = true;
    state_->training = true;
    job->thread = std::thread(run_fit, job);
    return promise;
  }

  Napi::Value stop(const Napi::CallbackInfo& info) {
    if (state_->training) state_->stop.store(true);
    return info.Env().Undefined();
  }

  Napi::Value is_training(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), state_->training);
  }

  std::shared_ptr<engine_state> state_;
};

Napi::Value version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kiln::version());
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, version, "version"));
  exports.Set("Trainer", trainer_wrap::define(env));
  kiln_register_graph_binding(env, exports);
  kiln_register_gemm_binding(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(kiln_native, init)
