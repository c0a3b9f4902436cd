// Node-API binding for the op IR: build a graph op by op, add gradients, run it on a backend.
// Thin: converts and validates arguments, runs plans on a worker thread. No maths here.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/gradients.h"
#include "exec/plan.h"
#include "exec/thread_pool.h"
#include "js_values.h"
#include "ir/op_table.h"
#include "kiln/ir.h"
#include "reference/reference.h"

namespace {

using kiln::kiln_dtype;
using kiln::js::array_name;
using kiln::js::array_type;
using kiln::js::dtype_from_name;
using kiln::js::read_attrs;
using kiln::js::read_shape;

// A backend run() can use: the reference one single-threaded, cpu on the process's pool.
struct backend_info {
  std::string name = "reference";
  const kiln::kernel_table* kernels = &kiln::reference_kernels();
  kiln::thread_pool* pool = nullptr;
};

struct graph_state {
  kiln::graph g;
  std::map<std::string, std::unique_ptr<kiln::plan>> plans;  // by backend and fetch list
  bool busy = false;
};

struct owned_buffer {
  std::vector<unsigned char> bytes;
  kiln_dtype dtype;
};

class run_worker : public Napi::AsyncWorker {
 public:
  run_worker(Napi::Env env, std::shared_ptr<graph_state> state, kiln::plan* p, kiln::thread_pool* pool, std::vector<owned_buffer> feeds,
             std::vector<int32_t> feed_ids, std::vector<int32_t> fetch)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), state_(std::move(state)), plan_(p), pool_(pool),
        feeds_(std::move(feeds)), feed_ids_(std::move(feed_ids)), fetch_(std::move(fetch)) {}

  // Timing instead of fetching: `repeats` rounds of `runs` runs after one warm-up run; resolves
  // with the best round's seconds per run.
  void time_only(int32_t runs, int32_t repeats) {
    runs_ = runs;
    repeats_ = repeats;
  }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::vector<void*> sources(state_->g.values().size(), nullptr);
    // A device plan reads its feeds from device memory: each is copied there for this run.
    const kiln::device_memory* dev = plan_->device();
    std::vector<kiln::device_block> staged;  // released however the run ends
    for (size_t i = 0; i < feed_ids_.size(); ++i) {
      void* src = feeds_[i].bytes.data();
      if (dev) {
        const auto bytes = static_cast<int64_t>(feeds_[i].bytes.size());
        staged.emplace_back(dev, bytes);
        src = staged.back().data();
        if (!src) return SetError("not enough GPU memory for the feed '" + state_->g.val(feed_ids_[i]).name + "'");
        if (!dev->upload(src, feeds_[i].bytes.data(), bytes)) return SetError(std::string("copying a feed to the GPU failed: ") + dev->last_error());
      }
      sources[static_cast<size_t>(feed_ids_[i])] = src;
    }
    kiln::run_options options;
    options.pool = pool_;
    const std::string error = plan_->run(sources, options);
    if (!error.empty()) return SetError(error);
    for (int32_t r = 0; r < repeats_; ++r) {
      const auto start = std::chrono::steady_clock::now();
      for (int32_t i = 0; i < runs_; ++i) plan_->run(sources, options);
      if (dev && !dev->synchronize()) return SetError(std::string("the GPU failed: ") + dev->last_error());
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / runs_;
      if (r == 0 || seconds < best_) best_ = seconds;
    }
    if (runs_ > 0) return;
    for (int32_t id : fetch_) {
      const kiln::value& v = state_->g.val(id);
      owned_buffer out{std::vector<unsigned char>(static_cast<size_t>(kiln::shape_elements(v.shape) * kiln::dtype_size(v.dtype))), v.dtype};
      const void* src = plan_->data(id) ? plan_->data(id) : sources[static_cast<size_t>(id)];
      if (!src) return SetError("no data for '" + v.name + "'");
      if (!out.bytes.empty() && !dev) std::memcpy(out.bytes.data(), src, out.bytes.size());
      if (!out.bytes.empty() && dev && !dev->download(out.bytes.data(), src, static_cast<int64_t>(out.bytes.size()))) {
        return SetError("reading '" + v.name + "' back from the GPU failed: " + dev->last_error());
      }
      results_.push_back(std::move(out));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    state_->busy = false;
    if (runs_ > 0) {
      deferred_.Resolve(Napi::Number::New(env, best_));
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    for (size_t i = 0; i < fetch_.size(); ++i) {
      owned_buffer& b = results_[i];
      const size_t count = b.bytes.size() / static_cast<size_t>(kiln::dtype_size(b.dtype));
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, b.bytes.size());
      if (!b.bytes.empty()) std::memcpy(ab.Data(), b.bytes.data(), b.bytes.size());
      napi_value arr;
      napi_create_typedarray(env, array_type(b.dtype), count, ab, 0, &arr);
      result.Set(state_->g.val(fetch_[i]).name, Napi::Value(env, arr));
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override {
    state_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<graph_state> state_;
  kiln::plan* plan_;
  kiln::thread_pool* pool_;
  std::vector<owned_buffer> feeds_;
  std::vector<int32_t> feed_ids_;
  std::vector<int32_t> fetch_;
  std::vector<owned_buffer> results_;
  int32_t runs_ = 0, repeats_ = 0;
  double best_ = 0;
};

class graph_wrap : public Napi::ObjectWrap<graph_wrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Graph",
                       {InstanceMethod("input", &graph_wrap::input), InstanceMethod("param", &graph_wrap::param),
                        InstanceMethod("op", &graph_wrap::op), InstanceMethod("gradients", &graph_wrap::gradients),
                        InstanceMethod("shape", &graph_wrap::shape), InstanceMethod("dtype", &graph_wrap::dtype),
                        InstanceMethod("nodes", &graph_wrap::nodes), InstanceMethod("plan", &graph_wrap::plan_info),
                        InstanceMethod("run", &graph_wrap::run), InstanceMethod("time", &graph_wrap::time)});
  }

  explicit graph_wrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<graph_wrap>(info), state_(std::make_shared<graph_state>()) {}

 private:
  // Throws the graph's error (which names the node) if building failed. The failed node was
  // not added, so the graph stays usable.
  bool check(Napi::Env env) {
    if (!state_->g.failed()) return true;
    Napi::Error::New(env, state_->g.error()).ThrowAsJavaScriptException();
    state_->g.clear_error();
    return false;
  }

  bool mutable_now(Napi::Env env) {
    if (state_->busy) {
      Napi::Error::New(env, "graph is busy: wait for run() to finish").ThrowAsJavaScriptException();
      return false;
    }
    state_->plans.clear();
    return true;
  }

  bool read_dtype(Napi::Env env, const Napi::Value& v, kiln_dtype& t) {
    if (v.IsUndefined()) { t = kiln::kiln_dtype_f32; return true; }
    if (v.IsString() && dtype_from_name(v.As<Napi::String>().Utf8Value(), t)) return true;
    Napi::TypeError::New(env, "dtype must be 'float32', 'float64' or 'int32'").ThrowAsJavaScriptException();
    return false;
  }

  int32_t value_id(Napi::Env env, const Napi::Value& v) {
    if (!v.IsString()) {
      Napi::TypeError::New(env, "values are named by strings").ThrowAsJavaScriptException();
      return kiln::kiln_no_value;
    }
    const std::string name = v.As<Napi::String>().Utf8Value();
    const int32_t id = state_->g.find(name);
    if (id == kiln::kiln_no_value) Napi::Error::New(env, "no value named '" + name + "' in the graph").ThrowAsJavaScriptException();
    return id;
  }

  Napi::Value input(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    kiln::shape_t shape;
    kiln_dtype t;
    if (!info[0].IsString()) { Napi::TypeError::New(env, "input(name, shape, dtype?)").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (!mutable_now(env) || !read_shape(env, info[1], "shape", shape) || !read_dtype(env, info[2], t)) return env.Undefined();
    const int32_t id = state_->g.input(info[0].As<Napi::String>().Utf8Value(), shape, t);
    if (!check(env)) return env.Undefined();
    return Napi::String::New(env, state_->g.val(id).name);
  }

  Napi::Value param(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    kiln::shape_t shape;
    kiln_dtype t = kiln::kiln_dtype_f32;
    bool trainable = true;
    if (!info[0].IsString()) { Napi::TypeError::New(env, "param(name, shape, {dtype, trainable}?)").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (!mutable_now(env) || !read_shape(env, info[1], "shape", shape)) return env.Undefined();
    if (info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      if (!read_dtype(env, o.Get("dtype"), t)) return env.Undefined();
      if (o.Has("trainable")) trainable = o.Get("trainable").ToBoolean().Value();
    }
    const int32_t id = state_->g.param(info[0].As<Napi::String>().Utf8Value(), shape, t, trainable);
    if (!check(env)) return env.Undefined();
    return Napi::String::New(env, state_->g.val(id).name);
  }

  Napi::Value op(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsString() || !info[2].IsArray()) {
      Napi::TypeError::New(env, "op(opName, nodeName, inputs[], attrs?)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!mutable_now(env)) return env.Undefined();
    const std::string op_name = info[0].As<Napi::String>().Utf8Value();
    const std::string name = info[1].As<Napi::String>().Utf8Value();
    const kiln::kiln_op op = kiln::op_by_name(op_name);
    if (op == kiln::kiln_op_count || (kiln::op_row(op).flags & kiln::kiln_opf_source)) {
      Napi::Error::New(env, "node '" + name + "': unknown op '" + op_name + "'").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::vector<int32_t> inputs;
    Napi::Array arr = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const Napi::Value v = arr.Get(i);
      const int32_t id = v.IsString() ? state_->g.find(v.As<Napi::String>().Utf8Value()) : kiln::kiln_no_value;
      if (id == kiln::kiln_no_value) {
        const std::string what = v.IsString() ? "'" + v.As<Napi::String>().Utf8Value() + "'" : "a non-string";
        Napi::Error::New(env, "node '" + name + "' (" + op_name + "): input " + std::to_string(i) + " is " + what +
                                  ", which is not defined before it (a dangling input or a cycle)").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      inputs.push_back(id);
    }
    kiln::attrs at;
    if (!read_attrs(env, info[3], at)) return env.Undefined();
    const std::vector<int32_t> outs = state_->g.add(op, name, inputs, at);
    if (!check(env)) return env.Undefined();
    Napi::Array names = Napi::Array::New(env, outs.size());
    for (size_t i = 0; i < outs.size(); ++i) names.Set(static_cast<uint32_t>(i), state_->g.val(outs[i]).name);
    return names;
  }

  Napi::Value gradients(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[1].IsArray()) { Napi::TypeError::New(env, "gradients(loss, wrt[])").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (!mutable_now(env)) return env.Undefined();
    const int32_t loss = value_id(env, info[0]);
    if (loss == kiln::kiln_no_value) return env.Undefined();
    std::vector<int32_t> wrt;
    Napi::Array arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const int32_t id = value_id(env, arr.Get(i));
      if (id == kiln::kiln_no_value) return env.Undefined();
      wrt.push_back(id);
    }
    const std::vector<int32_t> grads = kiln::add_gradients(state_->g, loss, wrt);
    if (!check(env)) return env.Undefined();
    Napi::Array names = Napi::Array::New(env, grads.size());
    for (size_t i = 0; i < grads.size(); ++i) names.Set(static_cast<uint32_t>(i), state_->g.val(grads[i]).name);
    return names;
  }

  Napi::Value shape(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t id = value_id(env, info[0]);
    if (id == kiln::kiln_no_value) return env.Undefined();
    const kiln::shape_t& s = state_->g.val(id).shape;
    Napi::Array out = Napi::Array::New(env, s.size());
    for (size_t i = 0; i < s.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(s[i])));
    return out;
  }

  Napi::Value dtype(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t id = value_id(env, info[0]);
    if (id == kiln::kiln_no_value) return env.Undefined();
    return Napi::String::New(env, kiln::dtype_name(state_->g.val(id).dtype));
  }

  Napi::Value nodes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& ns = state_->g.nodes();
    Napi::Array out = Napi::Array::New(env, ns.size());
    for (size_t i = 0; i < ns.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", ns[i].name);
      o.Set("op", kiln::op_name(ns[i].op));
      Napi::Array ins = Napi::Array::New(env, ns[i].inputs.size());
      for (size_t k = 0; k < ns[i].inputs.size(); ++k) ins.Set(static_cast<uint32_t>(k), state_->g.val(ns[i].inputs[k]).name);
      o.Set("inputs", ins);
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  kiln::plan* plan_for(Napi::Env env, const Napi::Value& fetch_value, const backend_info& backend, std::vector<int32_t>& fetch) {
    if (!fetch_value.IsArray()) {
      Napi::TypeError::New(env, "fetch must be an array of value names").ThrowAsJavaScriptException();
      return nullptr;
    }
    Napi::Array arr = fetch_value.As<Napi::Array>();
    std::string key = backend.name + ":";
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const int32_t id = value_id(env, arr.Get(i));
      if (id == kiln::kiln_no_value) return nullptr;
      fetch.push_back(id);
      key += std::to_string(id) + ",";
    }
    // The graph's state updates (optimizer steps, moving averages) run with every plan, after what
    // they read: a var or slot fetched then gives its updated value.
    std::vector<int32_t> effects;
    for (size_t i = 0; i < state_->g.nodes().size(); ++i) {
      if (kiln::op_row(state_->g.nodes()[i].op).flags & kiln::kiln_opf_effect) effects.push_back(static_cast<int32_t>(i));
    }
    key += "+" + std::to_string(effects.size());
    auto it = state_->plans.find(key);
    if (it != state_->plans.end()) return it->second.get();
    std::string error;
    std::unique_ptr<kiln::plan> p = kiln::plan::compile(state_->g, fetch, *backend.kernels, error, effects);
    if (!p) {
      Napi::Error::New(env, error).ThrowAsJavaScriptException();
      return nullptr;
    }
    kiln::plan* raw = p.get();
    state_->plans[key] = std::move(p);
    return raw;
  }

  Napi::Value plan_info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<int32_t> fetch;
    kiln::plan* p = plan_for(env, info[0], backend_info{}, fetch);
    if (!p) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("arenaBytes", Napi::Number::New(env, static_cast<double>(p->arena_bytes())));
    o.Set("naiveBytes", Napi::Number::New(env, static_cast<double>(p->naive_bytes())));
    o.Set("steps", Napi::Number::New(env, static_cast<double>(p->size())));
    return o;
  }

  // options: undefined or {backend?: 'reference' | 'cpu' | 'cuda'}; false after throwing.
  bool read_backend(Napi::Env env, const Napi::Value& options, backend_info& out) {
    if (options.IsUndefined() || options.IsNull()) return true;
    if (!options.IsObject()) {
      Napi::TypeError::New(env, "run options must be an object such as {backend: 'cpu'}").ThrowAsJavaScriptException();
      return false;
    }
    const Napi::Value name = options.As<Napi::Object>().Get("backend");
    if (name.IsUndefined()) return true;
    out.name = name.IsString() ? name.As<Napi::String>().Utf8Value() : "";
    std::string why;
    bool unknown = false;
    if (kiln::js::backend_by_name(out.name, out.kernels, out.pool, why, unknown)) return true;
    if (!name.IsString()) why = "backend must be 'reference', 'cpu' or 'cuda', got a non-string";
    if (unknown || !name.IsString()) Napi::TypeError::New(env, why).ThrowAsJavaScriptException();
    else Napi::Error::New(env, why).ThrowAsJavaScriptException();
    return false;
  }

  // run(feeds: {name: TypedArray}, fetch: string[], options?: {backend}) -> Promise<{name: TypedArray}>
  Napi::Value run(const Napi::CallbackInfo& info) { return start(info, false, 0, 0); }

  Napi::Value start(const Napi::CallbackInfo& info, bool timing, int32_t runs, int32_t repeats) {
    Napi::Env env = info.Env();
    if (state_->busy) {
      Napi::Error::New(env, "graph is busy: wait for run() to finish").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!info[0].IsObject()) { Napi::TypeError::New(env, "run(feeds, fetch, options?)").ThrowAsJavaScriptException(); return env.Undefined(); }
    backend_info backend;
    if (!read_backend(env, info[2], backend)) return env.Undefined();
    std::vector<int32_t> fetch;
    kiln::plan* p = plan_for(env, info[1], backend, fetch);
    if (!p) return env.Undefined();
    Napi::Object feeds = info[0].As<Napi::Object>();
    Napi::Array keys = feeds.GetPropertyNames();
    std::vector<owned_buffer> buffers;
    std::vector<int32_t> ids;
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      const std::string name = keys.Get(i).As<Napi::String>().Utf8Value();
      const int32_t id = state_->g.find(name);
      if (id == kiln::kiln_no_value || !(kiln::op_row(state_->g.nodes()[static_cast<size_t>(state_->g.val(id).producer)].op).flags & kiln::kiln_opf_source)) {
        Napi::Error::New(env, "feed '" + name + "' is not an input or param of the graph").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      const kiln::value& v = state_->g.val(id);
      Napi::Value data = feeds.Get(name);
      if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != array_type(v.dtype)) {
        Napi::TypeError::New(env, "feed '" + name + "' must be a " + array_name(v.dtype)).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      Napi::TypedArray arr = data.As<Napi::TypedArray>();
      const int64_t expected = kiln::shape_elements(v.shape);
      if (static_cast<int64_t>(arr.ElementLength()) != expected) {
        Napi::RangeError::New(env, "feed '" + name + "' has " + std::to_string(arr.ElementLength()) + " elements but shape " +
                                       kiln::shape_string(v.shape) + " needs " + std::to_string(expected)).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      // At least one byte, so an empty tensor still has an address to bind.
      owned_buffer b{std::vector<unsigned char>(std::max<size_t>(1, arr.ByteLength())), v.dtype};
      if (!b.bytes.empty()) std::memcpy(b.bytes.data(), static_cast<unsigned char*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(), arr.ByteLength());
      buffers.push_back(std::move(b));
      ids.push_back(id);
    }
    state_->busy = true;
    auto* worker = new run_worker(env, state_, p, backend.pool, std::move(buffers), std::move(ids), std::move(fetch));
    if (timing) worker->time_only(runs, repeats);
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  // time(feeds, fetch, {backend, runs, repeats}) -> Promise<seconds per run>: the plan run
  // `repeats` rounds of `runs` times with the feeds bound once and nothing copied out.
  Napi::Value time(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
    const double runs = o.Get("runs").IsNumber() ? o.Get("runs").As<Napi::Number>().DoubleValue() : 3;
    const double repeats = o.Get("repeats").IsNumber() ? o.Get("repeats").As<Napi::Number>().DoubleValue() : 3;
    if (!(runs >= 1 && runs <= 1e6) || !(repeats >= 1 && repeats <= 1000)) {
      Napi::RangeError::New(env, "time options: runs must be 1 to 1e6 and repeats 1 to 1000").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return start(info, true, static_cast<int32_t>(runs), static_cast<int32_t>(repeats));
  }

  std::shared_ptr<graph_state> state_;
};

Napi::Value op_names(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (int32_t i = 0; i < kiln::kiln_op_count; ++i) {
    const kiln::op_info& row = kiln::op_row(static_cast<kiln::kiln_op>(i));
    if (row.infer && !(row.flags & kiln::kiln_opf_source)) out.Set(n++, row.name);
  }
  return out;
}

Napi::Value backend_names(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (const std::string& name : kiln::js::backend_names()) out.Set(n++, name);
  return out;
}

}  // namespace

void kiln_register_graph_binding(Napi::Env env, Napi::Object exports) {
  exports.Set("Graph", graph_wrap::define(env));
  exports.Set("ops", Napi::Function::New(env, op_names, "ops"));
  exports.Set("backends", Napi::Function::New(env, backend_names, "backends"));
}
