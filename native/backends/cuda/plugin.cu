// The CUDA plugin's entry points (plugin_abi.h): checks the driver, the device and cuBLAS, then
// hands the engine its kernels and its device memory. Everything CUDA lives in this library;
// the addon only dlopens it, so machines without CUDA still start (on the cpu backend).
#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "cublas_loader.h"
#include "cuda_common.cuh"
#include "plugin_abi.h"

namespace kiln::cuda {

namespace {

cudaStream_t the_stream = nullptr;
std::mutex error_mutex;
std::string first_error;
std::string last_memory_error;

std::mutex scratch_mutex;
void* scratch_data = nullptr;
int64_t scratch_bytes = 0;

void* alloc(int64_t bytes) {
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, static_cast<size_t>(bytes > 0 ? bytes : 1));
  if (e != cudaSuccess) {
    last_memory_error = cudaGetErrorString(e);
    cudaGetLastError();  // out of memory is not sticky: later work may still run
    return nullptr;
  }
  return p;
}

void release(void* p) { cudaFree(p); }

bool upload(void* dst, const void* src, int64_t bytes) {
  const cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, stream());
  if (e != cudaSuccess) last_memory_error = cudaGetErrorString(e);
  return e == cudaSuccess;
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
  return download(&none, nullptr, 0);
}

const char* last_error() { return last_memory_error.c_str(); }

const device_memory memory{alloc, release, upload, download, synchronize, last_error};

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
  if (cudaSetDevice(0) != cudaSuccess || cudaStreamCreateWithFlags(&the_stream, cudaStreamNonBlocking) != cudaSuccess) {
    return std::string("the CUDA device could not be opened: ") + cudaGetErrorString(cudaGetLastError());
  }
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

void* scratch(int64_t bytes) {
  std::lock_guard<std::mutex> lock(scratch_mutex);
  if (bytes <= scratch_bytes) return scratch_data;
  // Earlier kernels may still read the old area: free it only once they are done.
  cudaStreamSynchronize(stream());
  cudaFree(scratch_data);
  scratch_data = nullptr;
  scratch_bytes = 0;
  if (cudaMalloc(&scratch_data, static_cast<size_t>(bytes)) != cudaSuccess) {
    cudaGetLastError();
    scratch_data = nullptr;
    return nullptr;
  }
  scratch_bytes = bytes;
  return scratch_data;
}

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
