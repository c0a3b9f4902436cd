// The CUDA plugin's entry points (plugin_abi.h): checks the driver, the device and cuBLAS, then
// hands the engine its kernels and its device memory. Everything CUDA lives in this library;
// the addon only dlopens it, so machines without CUDA still start (on the cpu backend).
#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cublas_loader.h"
#include "cuda_common.cuh"
#include "plugin_abi.h"

namespace kiln::cuda {

namespace {

cudaStream_t the_stream = nullptr;
std::mutex error_mutex;
std::string first_error;
std::string last_memory_error;

growing_area kernel_scratch;

// What Kiln holds on the device, against the user's limit (0: grow as needed, up to the card).
std::mutex budget_mutex;
std::map<void*, int64_t> held;
int64_t held_bytes = 0;
int64_t limit_bytes = 0;

std::string mib(int64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

void* alloc(int64_t bytes) {
  const int64_t size = bytes > 0 ? bytes : 1;
  std::lock_guard<std::mutex> lock(budget_mutex);
  if (limit_bytes > 0 && held_bytes + size > limit_bytes) {
    last_memory_error = "the GPU memory limit of " + mib(limit_bytes) + " is reached (" + mib(held_bytes) + " in use, " + mib(size) +
                        " more asked for)";
    return nullptr;
  }
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, static_cast<size_t>(size));
  if (e != cudaSuccess) {
    last_memory_error = cudaGetErrorString(e);
    cudaGetLastError();  // out of memory is not sticky: later work may still run
    return nullptr;
  }
  held[p] = size;
  held_bytes += size;
  return p;
}

void release(void* p) {
  if (!p) return;
  {
    std::lock_guard<std::mutex> lock(budget_mutex);
    auto it = held.find(p);
    if (it != held.end()) {
      held_bytes -= it->second;
      held.erase(it);
    }
  }
  cudaFree(p);
}

bool upload(void* dst, const void* src, int64_t bytes) {
  const cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, stream());
  if (e != cudaSuccess) last_memory_error = cudaGetErrorString(e);
  return e == cudaSuccess;
}

cudaStream_t copy_stream = nullptr;  // batches going up while kernels run
cudaEvent_t copied = nullptr;        // recorded after each copy queued there

bool upload_ahead(void* dst, const void* src, int64_t bytes) {
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, copy_stream);
  if (e == cudaSuccess) e = cudaEventRecord(copied, copy_stream);
  if (e != cudaSuccess) last_memory_error = cudaGetErrorString(e);
  return e == cudaSuccess;
}

void wait_uploads() {
  if (cudaStreamWaitEvent(stream(), copied, 0) != cudaSuccess) record_error("waiting for a batch's copy failed");
}

// Waits for the stream: kernel failures recorded since the last download surface here.
bool download(void* dst, const void* src, int64_t bytes) {
  cudaError_t e = bytes > 0 ? cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, stream()) : cudaSuccess;
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) {
    last_memory_error = cudaGetErrorString(e);
    return false;
  }
  const std::string kernel_error = take_error();
  if (kernel_error.empty()) return true;
  last_memory_error = kernel_error;
  return false;
}

bool synchronize() {
  char none = 0;
  if (cudaStreamSynchronize(copy_stream) != cudaSuccess) {
    last_memory_error = cudaGetErrorString(cudaGetLastError());
    return false;
  }
  return download(&none, nullptr, 0);
}

const char* last_error() { return last_memory_error.c_str(); }

void* alloc_host(int64_t bytes) {
  void* p = nullptr;
  if (cudaHostAlloc(&p, static_cast<size_t>(bytes > 0 ? bytes : 1), cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return p;
}

void release_host(void* p) { cudaFreeHost(p); }

std::vector<cudaEvent_t> marks;  // grown by mark(), used by one plan run at a time

void mark(int32_t index) {
  while (static_cast<int32_t>(marks.size()) <= index) {
    cudaEvent_t e = nullptr;
    if (cudaEventCreate(&e) != cudaSuccess) return record_error("creating a timing event failed");
    marks.push_back(e);
  }
  cudaEventRecord(marks[static_cast<size_t>(index)], stream());
}

bool elapsed_ns(int32_t count, int64_t* ns) {
  if (count < 1 || count > static_cast<int32_t>(marks.size())) return false;
  if (cudaEventSynchronize(marks[static_cast<size_t>(count - 1)]) != cudaSuccess) return false;
  for (int32_t i = 0; i + 1 < count; ++i) {
    float ms = 0;
    if (cudaEventElapsedTime(&ms, marks[static_cast<size_t>(i)], marks[static_cast<size_t>(i + 1)]) != cudaSuccess) return false;
    ns[i] = static_cast<int64_t>(static_cast<double>(ms) * 1e6);
  }
  return true;
}

const device_memory memory{alloc,      release,      upload, download,   synchronize,  last_error,
                           alloc_host, release_host, mark,   elapsed_ns, upload_ahead, wait_uploads};

// NVML (the driver's management library) for the device's utilisation, loaded when present.
struct nvml_api {
  using init_fn = int32_t (*)();
  using handle_fn = int32_t (*)(uint32_t, void**);
  struct utilization { uint32_t gpu, memory; };
  using utilization_fn = int32_t (*)(void*, utilization*);
  void* device = nullptr;
  utilization_fn utilization_rates = nullptr;
};
nvml_api nvml;

void load_nvml() {
  void* library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) return;
  auto init = reinterpret_cast<nvml_api::init_fn>(dlsym(library, "nvmlInit_v2"));
  auto handle = reinterpret_cast<nvml_api::handle_fn>(dlsym(library, "nvmlDeviceGetHandleByIndex_v2"));
  auto rates = reinterpret_cast<nvml_api::utilization_fn>(dlsym(library, "nvmlDeviceGetUtilizationRates"));
  if (!init || !handle || !rates || init() != 0 || handle(0, &nvml.device) != 0) return;
  nvml.utilization_rates = rates;
}

void write_reason(char* out, int32_t size, const std::string& text) {
  if (size <= 0) return;
  std::snprintf(out, static_cast<size_t>(size), "%s", text.c_str());
}

std::string plugin_dir() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&write_reason), &info) || !info.dli_fname) return ".";
  std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string version_text(int32_t v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// "" when a usable device is set up, or why not.
std::string open_device(cuda_device_info& info) {
  // The driver first, so its absence reads as what it is rather than as a runtime error code.
  if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) return "no NVIDIA driver (libcuda.so.1 not found)";
  cudaDriverGetVersion(&info.driver_version);
  cudaRuntimeGetVersion(&info.runtime_version);
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e == cudaErrorInsufficientDriver) {
    return "the NVIDIA driver supports CUDA " + version_text(info.driver_version) + ", older than the plugin's CUDA " +
           version_text(info.runtime_version) + ": update the driver";
  }
  if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) return "no CUDA device found (the driver is present; check CUDA_VISIBLE_DEVICES)";
  if (e != cudaSuccess) return std::string("the CUDA driver reports: ") + cudaGetErrorString(e);
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "the CUDA device could not be queried";
  std::snprintf(info.name, sizeof info.name, "%s", prop.name);
  info.memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  if (prop.major < 8) {
    return std::string(prop.name) + " has compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) +
           "; the CUDA plugin needs 8.0 or newer (Ampere and later)";
  }
  if (cudaSetDevice(0) != cudaSuccess || cudaStreamCreateWithFlags(&the_stream, cudaStreamNonBlocking) != cudaSuccess ||
      cudaStreamCreateWithFlags(&copy_stream, cudaStreamNonBlocking) != cudaSuccess ||
      cudaEventCreateWithFlags(&copied, cudaEventDisableTiming) != cudaSuccess) {
    return std::string("the CUDA device could not be opened: ") + cudaGetErrorString(cudaGetLastError());
  }
  load_nvml();
  return load_cublas(plugin_dir());
}

}  // namespace

cudaStream_t stream() { return the_stream; }

void record_error(const std::string& what) {
  std::lock_guard<std::mutex> lock(error_mutex);
  if (first_error.empty()) first_error = what;
}

bool launched(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return true;
  record_error(std::string(kernel) + " kernel: " + cudaGetErrorString(e));
  return false;
}

std::string take_error() {
  std::lock_guard<std::mutex> lock(error_mutex);
  std::string e;
  e.swap(first_error);
  return e;
}

void* growing_area::at_least(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes <= bytes_) return data_;
  // Earlier kernels may still read the old area: free it only once they are done.
  cudaStreamSynchronize(stream());
  cudaFree(data_);
  data_ = nullptr;
  bytes_ = 0;
  if (cudaMalloc(&data_, static_cast<size_t>(bytes)) != cudaSuccess) {
    cudaGetLastError();
    data_ = nullptr;
    return nullptr;
  }
  bytes_ = bytes;
  return data_;
}

void* scratch(int64_t bytes) { return kernel_scratch.at_least(bytes); }

}  // namespace kiln::cuda

extern "C" __attribute__((visibility("default"))) int32_t kiln_cuda_open(int32_t abi, kiln::kernel_table* table,
                                                                         kiln::cuda_device_info* device, char* reason, int32_t reason_size) {
  using namespace kiln;
  if (abi != kiln_cuda_abi) {
    cuda::write_reason(reason, reason_size, "the CUDA plugin was built for another version of the engine: rebuild it (npm run build:native)");
    return 0;
  }
  std::memset(device, 0, sizeof *device);
  if (const std::string why = cuda::open_device(*device); !why.empty()) {
    cuda::write_reason(reason, reason_size, why);
    return 0;
  }
  cuda::register_linear(*table);
  cuda::register_elementwise(*table);
  cuda::register_reduce(*table);
  cuda::register_softmax(*table);
  cuda::register_optim(*table);
  cuda::register_pool(*table);
  cuda::register_conv(*table);
  cuda::register_shape(*table);
  cuda::register_norm(*table);
  cuda::register_augment(*table);
  table->set_device(&cuda::memory);
  return 1;
}

extern "C" __attribute__((visibility("default"))) int32_t kiln_cuda_time_gemm(const char* dtype, int32_t m, int32_t n, int32_t k,
                                                                              int32_t repeats, double* seconds, char* reason,
                                                                              int32_t reason_size) {
  const bool bf16 = std::strcmp(dtype, "bfloat16") == 0;
  if (!bf16 && std::strcmp(dtype, "float32") != 0) {
    kiln::cuda::write_reason(reason, reason_size, std::string("GEMM timing: dtype must be 'float32' or 'bfloat16', got '") + dtype + "'");
    return 0;
  }
  if (!kiln::cuda::stream()) {
    kiln::cuda::write_reason(reason, reason_size, "GEMM timing: the CUDA device is not open");
    return 0;
  }
  const std::string error = kiln::cuda::time_gemm(bf16, m, n, k, repeats < 1 ? 1 : repeats, *seconds);
  kiln::cuda::write_reason(reason, reason_size, error);
  return error.empty() ? 1 : 0;
}

extern "C" __attribute__((visibility("default"))) void kiln_cuda_set_memory_limit(int64_t bytes) {
  std::lock_guard<std::mutex> lock(kiln::cuda::budget_mutex);
  kiln::cuda::limit_bytes = bytes > 0 ? bytes : 0;
}

extern "C" __attribute__((visibility("default"))) int32_t kiln_cuda_usage(kiln::kiln_cuda_usage_info* out) {
  using namespace kiln::cuda;
  if (!stream()) return 0;
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  {
    std::lock_guard<std::mutex> lock(budget_mutex);
    out->kiln_bytes = held_bytes;
    out->limit_bytes = limit_bytes;
  }
  out->free_bytes = static_cast<int64_t>(free_bytes);
  out->total_bytes = static_cast<int64_t>(total_bytes);
  nvml_api::utilization u{};
  out->utilization = nvml.utilization_rates && nvml.utilization_rates(nvml.device, &u) == 0 ? static_cast<int32_t>(u.gpu) : -1;
  return 1;
}
