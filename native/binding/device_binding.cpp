// Node-API binding for the compute devices: which backends can run here and, for the GPU, why
// not when it cannot (shown by `kiln version` and the studio's status bar), and a GEMM timer on
// the GPU for benchmarks. Listing the devices loads the CUDA plugin once (exec/cuda_plugin.cpp).
#include <napi.h>

#include <cmath>
#include <string>

#include "exec/cuda_plugin.h"
#include "exec/thread_pool.h"
#include "ir/op_table.h"

namespace {

// devices() -> [{backend: 'cpu', available: true, threads}, {backend: 'cuda', available, reason?, name?, ...}]
Napi::Value devices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("backend", "cpu");
  cpu.Set("available", true);
  cpu.Set("threads", Napi::Number::New(env, kiln::default_thread_pool().size()));
  out.Set(0u, cpu);
  const kiln::cuda_status& s = kiln::cuda_backend_status();
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("backend", "cuda");
  cuda.Set("available", s.available);
  cuda.Set("plugin", s.plugin);
  if (!s.available) cuda.Set("reason", s.reason);
  if (s.available) {
    cuda.Set("name", s.device);
    cuda.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(s.memory_bytes)));
    cuda.Set("computeCapability", std::to_string(s.compute_major) + "." + std::to_string(s.compute_minor));
    cuda.Set("driverVersion", Napi::Number::New(env, s.driver_version));
    cuda.Set("runtimeVersion", Napi::Number::New(env, s.runtime_version));
    // The ops with a GPU kernel (float32, or int32 where that is the key): a plan using any
    // other op fails to compile on this backend, naming the node.
    Napi::Array ops = Napi::Array::New(env);
    uint32_t n = 0;
    for (int32_t op = 0; op < kiln::kiln_op_count; ++op) {
      const auto o = static_cast<kiln::kiln_op>(op);
      if (kiln::cuda_kernels()->get(o, kiln::kiln_dtype_f32) || kiln::cuda_kernels()->get(o, kiln::kiln_dtype_i32)) ops.Set(n++, kiln::op_name(o));
    }
    cuda.Set("ops", ops);
  }
  out.Set(1u, cuda);
  return out;
}

class time_gemm_worker : public Napi::AsyncWorker {
 public:
  time_gemm_worker(Napi::Env env, std::string dtype, int32_t m, int32_t n, int32_t k, int32_t repeats)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), dtype_(std::move(dtype)), m_(m), n_(n), k_(k), repeats_(repeats) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    if (std::string e = kiln::cuda_time_gemm(dtype_, m_, n_, k_, repeats_, seconds_); !e.empty()) SetError(e);
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), seconds_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string dtype_;
  int32_t m_, n_, k_, repeats_;
  double seconds_ = 0;
};

int32_t read_size(const Napi::Object& o, const char* key, int32_t fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}

// cudaTimeGemm({dtype: 'float32' | 'bfloat16', m, n, k, repeats}) -> Promise<seconds per product>
Napi::Value cuda_time_gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "cudaTimeGemm({dtype, m, n, k, repeats})").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  const std::string dtype = o.Get("dtype").IsString() ? o.Get("dtype").As<Napi::String>().Utf8Value() : "float32";
  const int32_t m = read_size(o, "m", 0), n = read_size(o, "n", 0), k = read_size(o, "k", 0), repeats = read_size(o, "repeats", 10);
  if (m < 1 || n < 1 || k < 1 || repeats < 1 || repeats > 100000) {
    Napi::RangeError::New(env, "cudaTimeGemm: m, n and k must be positive and repeats 1 to 100000").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* worker = new time_gemm_worker(env, dtype, m, n, k, repeats);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// setGpuMemoryLimit(mib): caps what Kiln allocates on the GPU; 0 or null lets it grow as needed.
Napi::Value set_gpu_memory_limit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool none = info[0].IsNull() || info[0].IsUndefined();
  const double mib = none ? 0 : info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(mib >= 0 && mib <= 1 << 30) || std::floor(mib) != mib) {
    Napi::RangeError::New(env, "setGpuMemoryLimit: the limit must be a whole number of MiB (0 or null: grow as needed)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (std::string e = kiln::cuda_set_memory_limit(static_cast<int64_t>(mib) << 20); !e.empty()) {
    Napi::Error::New(env, e).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// gpuUsage() -> {kilnBytes, limitBytes, freeBytes, totalBytes, utilization (percent, -1 unknown)} or null without a GPU.
Napi::Value gpu_usage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  kiln::cuda_usage u;
  if (!kiln::cuda_device_usage(u).empty()) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("kilnBytes", Napi::Number::New(env, static_cast<double>(u.kiln_bytes)));
  o.Set("limitBytes", Napi::Number::New(env, static_cast<double>(u.limit_bytes)));
  o.Set("freeBytes", Napi::Number::New(env, static_cast<double>(u.free_bytes)));
  o.Set("totalBytes", Napi::Number::New(env, static_cast<double>(u.total_bytes)));
  o.Set("utilization", Napi::Number::New(env, u.utilization));
  return o;
}

}  // namespace

void kiln_register_device_binding(Napi::Env env, Napi::Object exports) {
  exports.Set("devices", Napi::Function::New(env, devices, "devices"));
  exports.Set("cudaTimeGemm", Napi::Function::New(env, cuda_time_gemm, "cudaTimeGemm"));
  exports.Set("setGpuMemoryLimit", Napi::Function::New(env, set_gpu_memory_limit, "setGpuMemoryLimit"));
  exports.Set("gpuUsage", Napi::Function::New(env, gpu_usage, "gpuUsage"));
}
