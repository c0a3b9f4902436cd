#include "model_spec_reader.h"

#include <cmath>

#include "js_errors.h"
#include "js_values.h"

namespace kiln::js {

namespace {

// Typed property access with defaults; the first failure throws and sets ok = false.
struct reader {
  Napi::Env env;
  bool ok = true;

  bool fail(const std::string& message) {
    if (ok) throw_type(env, message);
    ok = false;
    return false;
  }
  Napi::Object object(const Napi::Value& v, const std::string& what) {
    if (!v.IsObject() || v.IsArray()) {
      fail(what + " must be an object, got " + type_name(v));
      return Napi::Object::New(env);
    }
    return v.As<Napi::Object>();
  }
  Napi::Array array(const Napi::Object& o, const char* key, const std::string& what, bool required = false) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() && !required) return Napi::Array::New(env);
    if (!v.IsArray()) {
      fail(what + "." + key + " must be an array, got " + type_name(v));
      return Napi::Array::New(env);
    }
    return v.As<Napi::Array>();
  }
  std::string str(const Napi::Object& o, const char* key, const std::string& what, const char* fallback = nullptr) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() && fallback) return fallback;
    if (!v.IsString()) {
      fail(what + "." + key + " must be a string, got " + type_name(v));
      return "";
    }
    return v.As<Napi::String>().Utf8Value();
  }
  double num(const Napi::Object& o, const char* key, const std::string& what, double fallback) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined()) return fallback;
    if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) {
      fail(what + "." + key + " must be a finite number, got " + type_name(v));
      return fallback;
    }
    return v.As<Napi::Number>().DoubleValue();
  }
  bool flag(const Napi::Object& o, const char* key, const std::string& what, bool fallback) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined()) return fallback;
    if (!v.IsBoolean()) return fail(what + "." + key + " must be a boolean, got " + type_name(v));
    return v.As<Napi::Boolean>().Value();
  }
  std::vector<std::string> strings(const Napi::Object& o, const char* key, const std::string& what) {
    std::vector<std::string> out;
    Napi::Array a = array(o, key, what);
    for (uint32_t i = 0; i < a.Length() && ok; ++i) {
      if (!a.Get(i).IsString()) fail(what + "." + key + "[" + std::to_string(i) + "] must be a string");
      else out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    }
    return out;
  }
  std::vector<double> numbers(const Napi::Object& o, const char* key, const std::string& what) {
    std::vector<double> out;
    Napi::Array a = array(o, key, what);
    for (uint32_t i = 0; i < a.Length() && ok; ++i) {
      if (!a.Get(i).IsNumber()) fail(what + "." + key + "[" + std::to_string(i) + "] must be a number");
      else out.push_back(a.Get(i).As<Napi::Number>().DoubleValue());
    }
    return out;
  }
  shape_t shape(const Napi::Object& o, const std::string& what) {
    shape_t s;
    if (ok && !read_shape(env, o.Get("shape"), what + ".shape", s)) ok = false;
    return s;
  }
  kiln_dtype dtype(const Napi::Object& o, const std::string& what) {
    kiln_dtype t = kiln_dtype_f32;
    const std::string name = str(o, "dtype", what, "float32");
    if (ok && !dtype_from_name(name, t)) fail(what + ".dtype must be 'float32', 'float64' or 'int32'");
    return t;
  }
};

std::vector<tensor_spec> tensors(reader& r, const Napi::Object& spec, const char* key) {
  std::vector<tensor_spec> out;
  Napi::Array a = r.array(spec, key, "spec");
  for (uint32_t i = 0; i < a.Length() && r.ok; ++i) {
    const std::string what = std::string("spec.") + key + "[" + std::to_string(i) + "]";
    Napi::Object o = r.object(a.Get(i), what);
    out.push_back({r.str(o, "name", what), r.shape(o, what), r.dtype(o, what)});
  }
  return out;
}

init_spec read_init(reader& r, const Napi::Value& v, const std::string& what) {
  init_spec init;
  if (v.IsUndefined()) return init;
  if (v.IsString()) {
    init.type = v.As<Napi::String>().Utf8Value();
    return init;
  }
  Napi::Object o = r.object(v, what);
  init.type = r.str(o, "type", what);
  init.value = r.num(o, "value", what, init.value);
  init.minval = r.num(o, "minval", what, init.minval);
  init.maxval = r.num(o, "maxval", what, init.maxval);
  init.mean = r.num(o, "mean", what, init.mean);
  init.stddev = r.num(o, "stddev", what, init.stddev);
  return init;
}

optimizer_spec read_optimizer(reader& r, const Napi::Value& v) {
  optimizer_spec s;
  if (v.IsUndefined()) return s;
  const std::string what = "spec.optimizer";
  Napi::Object o = r.object(v, what);
  s.type = r.str(o, "type", what, "adam");
  s.learning_rate = r.num(o, "learningRate", what, s.learning_rate);
  s.momentum = r.num(o, "momentum", what, s.momentum);
  s.nesterov = r.flag(o, "nesterov", what, s.nesterov);
  s.beta_1 = r.num(o, "beta1", what, s.beta_1);
  s.beta_2 = r.num(o, "beta2", what, s.beta_2);
  s.epsilon = r.num(o, "epsilon", what, s.epsilon);
  s.rho = r.num(o, "rho", what, s.rho);
  s.centered = r.flag(o, "centered", what, s.centered);
  s.weight_decay = r.num(o, "weightDecay", what, s.weight_decay);
  s.clipnorm = r.num(o, "clipnorm", what, 0);
  s.global_clipnorm = r.num(o, "globalClipnorm", what, 0);
  s.clipvalue = r.num(o, "clipvalue", what, 0);
  Napi::Value sv = o.Get("schedule");
  if (!sv.IsUndefined()) {
    const std::string sw = what + ".schedule";
    Napi::Object so = r.object(sv, sw);
    schedule_spec& sc = s.schedule;
    sc.type = r.str(so, "type", sw);
    sc.decay_steps = r.num(so, "decaySteps", sw, sc.decay_steps);
    sc.decay_rate = r.num(so, "decayRate", sw, sc.decay_rate);
    sc.staircase = r.flag(so, "staircase", sw, sc.staircase);
    sc.alpha = r.num(so, "alpha", sw, sc.alpha);
    sc.warmup_steps = r.num(so, "warmupSteps", sw, sc.warmup_steps);
    sc.warmup_target = r.num(so, "warmupTarget", sw, sc.warmup_target);
    sc.boundaries = r.numbers(so, "boundaries", sw);
    sc.values = r.numbers(so, "values", sw);
  }
  return s;
}

}  // namespace

bool read_model_spec(Napi::Env env, const Napi::Value& v, model_spec& m) {
  reader r{env};
  Napi::Object spec = r.object(v, "spec");
  m.inputs = tensors(r, spec, "inputs");
  m.targets = tensors(r, spec, "targets");
  Napi::Array params = r.array(spec, "params", "spec", true);
  for (uint32_t i = 0; i < params.Length() && r.ok; ++i) {
    const std::string what = "spec.params[" + std::to_string(i) + "]";
    Napi::Object o = r.object(params.Get(i), what);
    param_spec p;
    p.name = r.str(o, "name", what);
    p.shape = r.shape(o, what);
    p.trainable = r.flag(o, "trainable", what, true);
    p.init = read_init(r, o.Get("init"), what + ".init");
    p.l1 = r.num(o, "l1", what, 0);
    p.l2 = r.num(o, "l2", what, 0);
    m.params.push_back(std::move(p));
  }
  Napi::Array nodes = r.array(spec, "nodes", "spec", true);
  for (uint32_t i = 0; i < nodes.Length() && r.ok; ++i) {
    const std::string what = "spec.nodes[" + std::to_string(i) + "]";
    Napi::Object o = r.object(nodes.Get(i), what);
    node_spec n;
    n.op = r.str(o, "op", what);
    n.name = r.str(o, "name", what);
    n.inputs = r.strings(o, "inputs", what);
    n.outputs = r.strings(o, "outputs", what);
    n.mode = r.str(o, "mode", what, "");
    if (r.ok && !read_attrs(env, o.Get("attrs"), n.at)) r.ok = false;
    if (r.ok && !n.mode.empty() && n.mode != "train" && n.mode != "infer") r.fail(what + ".mode must be 'train' or 'infer'");
    m.nodes.push_back(std::move(n));
  }
  Napi::Array moving = r.array(spec, "movingAverages", "spec");
  for (uint32_t i = 0; i < moving.Length() && r.ok; ++i) {
    const std::string what = "spec.movingAverages[" + std::to_string(i) + "]";
    Napi::Object o = r.object(moving.Get(i), what);
    m.moving_averages.push_back({r.str(o, "var", what), r.str(o, "value", what), r.num(o, "momentum", what, 0.99)});
  }
  m.outputs = r.strings(spec, "outputs", "spec");
  Napi::Array losses = r.array(spec, "losses", "spec");
  for (uint32_t i = 0; i < losses.Length() && r.ok; ++i) {
    const std::string what = "spec.losses[" + std::to_string(i) + "]";
    Napi::Object o = r.object(losses.Get(i), what);
    loss_spec l;
    l.type = r.str(o, "type", what);
    l.output = r.str(o, "output", what);
    l.target = r.str(o, "target", what);
    l.from_logits = r.flag(o, "fromLogits", what, false);
    l.delta = r.num(o, "delta", what, 1.0);
    l.weight = r.num(o, "weight", what, 1.0);
    m.losses.push_back(std::move(l));
  }
  Napi::Array metrics = r.array(spec, "metrics", "spec");
  for (uint32_t i = 0; i < metrics.Length() && r.ok; ++i) {
    const std::string what = "spec.metrics[" + std::to_string(i) + "]";
    Napi::Object o = r.object(metrics.Get(i), what);
    metric_spec ms;
    ms.type = r.str(o, "type", what);
    ms.name = r.str(o, "name", what, ms.type.c_str());
    ms.output = r.str(o, "output", what);
    ms.target = r.str(o, "target", what);
    ms.threshold = r.num(o, "threshold", what, 0.5);
    m.metrics.push_back(std::move(ms));
  }
  if (r.ok) m.optimizer = read_optimizer(r, spec.Get("optimizer"));
  const double seed = r.num(spec, "seed", "spec", 0);
  if (r.ok && (seed < 0 || seed > 9007199254740991.0 || std::floor(seed) != seed)) r.fail("spec.seed must be a whole number >= 0");
  m.seed = static_cast<uint64_t>(seed);
  m.precision = r.str(spec, "precision", "spec", "float32");
  if (r.ok && m.precision != "float32" && m.precision != "mixed_bfloat16" && m.precision != "mixed_float16") {
    r.fail("spec.precision must be 'float32', 'mixed_bfloat16' or 'mixed_float16' (got '" + m.precision + "')");
  }
  return r.ok;
}

}  // namespace kiln::js
