// JS entry points for the CPU GEMM, for tests and benchmarks:
//
//   gemm(transA, transB, m, n, k, alpha, a, b, beta, c, options?) -> Promise<void>
//   gemmBatched(transA, transB, batch, m, n, k, alpha, a, b, beta, c, options?) -> Promise<void>
//   cpuFeatures() -> { avx2, fma, avx512f, selected, supported, threads }
//
// Matrices are dense row-major Float32Arrays (batches back to back); c is updated in place:
// c = alpha * op(a) op(b) + beta * c. options: { threads?: number, isa?: 'scalar'|'avx2'|'avx512' }.
// The product runs on a libuv worker thread (and the GEMM's own thread pool); the arrays are
// held, not copied, so they must not be transferred or resized until the promise settles.
// Thin, as the binding should be: validation here, maths in backends/cpu/gemm.cpp.
#include <napi.h>

#include <cmath>
#include <string>

#include "js_errors.h"
#include "js_values.h"
#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "exec/thread_pool.h"

namespace {

using kiln::js::throw_range;
using kiln::js::throw_type;
using kiln::js::type_name;

constexpr double kiln_max_dim = 2147483647.0;

std::string format_number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  return std::to_string(d);
}

bool read_bool(Napi::Env env, const Napi::Value& v, const char* what, bool* out) {
  if (!v.IsBoolean()) {
    throw_type(env, std::string(what) + " must be a boolean, got " + type_name(v));
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

// A whole number in [min, max].
bool read_int(Napi::Env env, const Napi::Value& v, const char* what, double min, double max,
              int64_t* out) {
  if (!v.IsNumber()) {
    throw_type(env, std::string(what) + " must be a number, got " + type_name(v));
    return false;
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < min || d > max) {
    throw_range(env, std::string(what) + " is " + v.ToString().Utf8Value() +
                         "; it must be a whole number between " + format_number(min) + " and " +
                         format_number(max));
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool read_float(Napi::Env env, const Napi::Value& v, const char* what, float* out) {
  if (!v.IsNumber()) {
    throw_type(env, std::string(what) + " must be a number, got " + type_name(v));
    return false;
  }
  *out = static_cast<float>(v.As<Napi::Number>().DoubleValue());
  return true;
}

// A Float32Array of exactly `expected` values; `shape` explains the expected count. (A double:
// the product of the dimensions may exceed int64 when it cannot match any array anyway.)
bool read_matrix(Napi::Env env, const Napi::Value& v, const char* what, double expected,
                 const std::string& shape, Napi::Float32Array* out) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw_type(env, std::string(what) + " must be a Float32Array, got " + type_name(v));
    return false;
  }
  *out = v.As<Napi::Float32Array>();
  const double length = static_cast<double>(out->ElementLength());
  if (length != expected) {
    throw_range(env, std::string(what) + " has " + format_number(length) + " values; expected " +
                         format_number(expected) + " (" + shape + ")");
    return false;
  }
  return true;
}

double dims(int64_t x, int64_t y, int64_t z) {
  return static_cast<double>(x) * static_cast<double>(y) * static_cast<double>(z);
}

bool overlaps(const Napi::Float32Array& x, const Napi::Float32Array& y) {
  if (x.ElementLength() == 0 || y.ElementLength() == 0) return false;
  const float* x0 = x.Data();
  const float* y0 = y.Data();
  return x0 < y0 + y.ElementLength() && y0 < x0 + x.ElementLength();
}

struct run_options {
  kiln::cpu::cpu_isa isa = kiln::cpu::selected_isa();
  kiln::thread_pool* pool = nullptr;
};

bool read_options(Napi::Env env, const Napi::Value& v, run_options* out) {
  out->pool = kiln::shared_thread_pool(kiln::default_thread_pool().size());  // null on a one-core machine
  if (v.IsUndefined()) return true;
  if (!v.IsObject() || v.IsArray()) {
    throw_type(env, std::string("options must be an object { threads, isa }, got ") + type_name(v));
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value threads = o.Get("threads");
  if (!threads.IsUndefined() && !kiln::js::read_thread_pool(env, threads, "options.threads", out->pool)) return false;
  Napi::Value isa = o.Get("isa");
  if (!isa.IsUndefined()) {
    if (!isa.IsString()) {
      throw_type(env, std::string("options.isa must be 'scalar', 'avx2' or 'avx512', got ") +
                          type_name(isa));
      return false;
    }
    const std::string name = isa.As<Napi::String>().Utf8Value();
    if (!kiln::cpu::parse_isa(name.c_str(), &out->isa)) {
      throw_range(env, "options.isa '" + name + "' is unknown; use 'scalar', 'avx2' or 'avx512'");
      return false;
    }
    if (!kiln::cpu::isa_supported(out->isa)) {
      throw_range(env, "options.isa '" + name + "' is not supported by this CPU; the best it has is '" +
                           kiln::cpu::isa_name(kiln::cpu::best_supported_isa()) + "'");
      return false;
    }
  }
  return true;
}

struct gemm_call {
  bool trans_a = false, trans_b = false;
  int64_t batch = 1, m = 0, n = 0, k = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* a = nullptr;
  const float* b = nullptr;
  float* c = nullptr;
  run_options options;
};

class gemm_worker : public Napi::AsyncWorker {
 public:
  gemm_worker(Napi::Env env, const gemm_call& call, Napi::Float32Array a, Napi::Float32Array b,
              Napi::Float32Array c)
      : Napi::AsyncWorker(env, "kiln.gemm"),
        deferred_(Napi::Promise::Deferred::New(env)),
        call_(call),
        // Held so the arrays (and their memory) stay alive while the product runs.
        a_(Napi::Persistent(static_cast<Napi::Object>(a))),
        b_(Napi::Persistent(static_cast<Napi::Object>(b))),
        c_(Napi::Persistent(static_cast<Napi::Object>(c))) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    const gemm_call& g = call_;
    const int64_t lda = g.trans_a ? g.m : g.k;
    const int64_t ldb = g.trans_b ? g.k : g.n;
    kiln::cpu::gemm_batched(g.options.isa, g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, g.a, lda,
                            g.m * g.k, g.b, ldb, g.k * g.n, g.beta, g.c, g.n, g.m * g.n, g.batch,
                            g.options.pool);
  }

  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  gemm_call call_;
  Napi::ObjectReference a_, b_, c_;
};

// Shared by gemm and gemmBatched; `batched` shifts the arguments after transB by one.
Napi::Value start_gemm(const Napi::CallbackInfo& info, bool batched) {
  Napi::Env env = info.Env();
  const size_t o = batched ? 1 : 0;
  gemm_call g;
  if (!read_bool(env, info[0], "transA", &g.trans_a) ||
      !read_bool(env, info[1], "transB", &g.trans_b)) {
    return env.Undefined();
  }
  if (batched && !read_int(env, info[2], "batch", 0, kiln_max_dim, &g.batch)) return env.Undefined();
  if (!read_int(env, info[2 + o], "m", 0, kiln_max_dim, &g.m) ||
      !read_int(env, info[3 + o], "n", 0, kiln_max_dim, &g.n) ||
      !read_int(env, info[4 + o], "k", 0, kiln_max_dim, &g.k) ||
      !read_float(env, info[5 + o], "alpha", &g.alpha)) {
    return env.Undefined();
  }
  const std::string times = batched ? std::to_string(g.batch) + " x " : "";
  const std::string per = batched ? "batch * " : "";
  const std::string a_shape = per + "m * k: " + times + "op(A) is " + std::to_string(g.m) + " x " +
                              std::to_string(g.k) + (g.trans_a ? ", stored transposed" : "");
  const std::string b_shape = per + "k * n: " + times + "op(B) is " + std::to_string(g.k) + " x " +
                              std::to_string(g.n) + (g.trans_b ? ", stored transposed" : "");
  const std::string c_shape = per + "m * n: " + times + "C is " + std::to_string(g.m) + " x " +
                              std::to_string(g.n);
  Napi::Float32Array a, b, c;
  if (!read_matrix(env, info[6 + o], "a", dims(g.batch, g.m, g.k), a_shape, &a) ||
      !read_matrix(env, info[7 + o], "b", dims(g.batch, g.k, g.n), b_shape, &b) ||
      !read_float(env, info[8 + o], "beta", &g.beta) ||
      !read_matrix(env, info[9 + o], "c", dims(g.batch, g.m, g.n), c_shape, &c)) {
    return env.Undefined();
  }
  if (overlaps(c, a) || overlaps(c, b)) {
    throw_range(env, std::string("c must not share memory with ") + (overlaps(c, a) ? "a" : "b") +
                         ": the result is written while the inputs are read");
    return env.Undefined();
  }
  if (!read_options(env, info[10 + o], &g.options)) return env.Undefined();
  g.a = a.Data();
  g.b = b.Data();
  g.c = c.Data();
  auto* worker = new gemm_worker(env, g, a, b, c);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value gemm(const Napi::CallbackInfo& info) { return start_gemm(info, false); }
Napi::Value gemm_batched(const Napi::CallbackInfo& info) { return start_gemm(info, true); }

Napi::Value get_cpu_features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  using namespace kiln::cpu;
  const cpu_features& f = detected_cpu_features();
  Napi::Object out = Napi::Object::New(env);
  out.Set("avx2", Napi::Boolean::New(env, f.avx2));
  out.Set("fma", Napi::Boolean::New(env, f.fma));
  out.Set("avx512f", Napi::Boolean::New(env, f.avx512f));
  out.Set("selected", Napi::String::New(env, isa_name(selected_isa())));
  Napi::Array supported = Napi::Array::New(env);
  for (int32_t i = cpu_isa_scalar; i <= best_supported_isa(); ++i) {
    supported.Set(static_cast<uint32_t>(i), Napi::String::New(env, isa_name(static_cast<cpu_isa>(i))));
  }
  out.Set("supported", supported);
  out.Set("threads", Napi::Number::New(env, kiln::default_thread_pool().size()));
  return out;
}

}  // namespace

void kiln_register_gemm_binding(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, gemm, "gemm"));
  exports.Set("gemmBatched", Napi::Function::New(env, gemm_batched, "gemmBatched"));
  exports.Set("cpuFeatures", Napi::Function::New(env, get_cpu_features, "cpuFeatures"));
}
