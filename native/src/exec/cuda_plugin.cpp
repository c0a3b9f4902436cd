#include "exec/cuda_plugin.h"

#include <cstdlib>
#include <mutex>

#include "cuda/plugin_abi.h"

#if defined(__linux__)
#include <dlfcn.h>
#include <sys/stat.h>
#endif

namespace kiln {

namespace {

struct loaded {
  cuda_status status;
  kernel_table table;
  kiln_cuda_time_gemm_fn time_gemm = nullptr;
  kiln_cuda_set_memory_limit_fn set_memory_limit = nullptr;
  kiln_cuda_usage_fn usage = nullptr;
};

#if defined(__linux__)
// native/build/cuda/libkiln_cuda.so, seen from the addon at native/build/Release/kiln_native.node.
std::string default_plugin_path() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&default_plugin_path), &info) || !info.dli_fname) return "libkiln_cuda.so";
  std::string dir = info.dli_fname;
  for (int up = 0; up < 2; ++up) {
    const size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "." : dir.substr(0, slash);
  }
  return dir + "/cuda/libkiln_cuda.so";
}

void load(loaded& l) {
  const char* env = std::getenv("KILN_CUDA_PLUGIN");
  cuda_status& s = l.status;
  s.plugin = env && *env ? env : default_plugin_path();
  struct stat st{};
  if (stat(s.plugin.c_str(), &st) != 0) {
    s.reason = "the CUDA plugin is not built (no " + s.plugin + "); build it with `npm run build:native` where nvcc is installed";
    return;
  }
  void* library = dlopen(s.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = dlerror();
    s.reason = std::string("the CUDA plugin could not be loaded: ") + (why ? why : s.plugin);
    return;
  }
  auto open = reinterpret_cast<kiln_cuda_open_fn>(dlsym(library, "kiln_cuda_open"));
  l.time_gemm = reinterpret_cast<kiln_cuda_time_gemm_fn>(dlsym(library, "kiln_cuda_time_gemm"));
  l.set_memory_limit = reinterpret_cast<kiln_cuda_set_memory_limit_fn>(dlsym(library, "kiln_cuda_set_memory_limit"));
  l.usage = reinterpret_cast<kiln_cuda_usage_fn>(dlsym(library, "kiln_cuda_usage"));
  if (!open) {
    s.reason = "the CUDA plugin " + s.plugin + " has no kiln_cuda_open entry point: rebuild it with `npm run build:native`";
    return;
  }
  cuda_device_info device{};
  char reason[512] = {};
  if (!open(kiln_cuda_abi, &l.table, &device, reason, sizeof reason)) {
    s.reason = reason;  // the library stays loaded: it may hold the driver, which must not be unloaded under it
    return;
  }
  s.available = true;
  s.device = device.name;
  s.memory_bytes = device.memory_bytes;
  s.compute_major = device.compute_major;
  s.compute_minor = device.compute_minor;
  s.driver_version = device.driver_version;
  s.runtime_version = device.runtime_version;
}
#else
void load(loaded& l) { l.status.reason = "the CUDA plugin is only built for Linux"; }
#endif

loaded& instance() {
  static loaded l;
  static std::once_flag once;
  std::call_once(once, [] { load(l); });
  return l;
}

}  // namespace

const cuda_status& cuda_backend_status() { return instance().status; }

const kernel_table* cuda_kernels() {
  loaded& l = instance();
  return l.status.available ? &l.table : nullptr;
}

std::string cuda_time_gemm(const std::string& dtype, int32_t m, int32_t n, int32_t k, int32_t repeats, double& seconds) {
  loaded& l = instance();
  if (!l.status.available) return "the cuda backend is not available: " + l.status.reason;
  if (!l.time_gemm) return "the CUDA plugin has no GEMM timing entry point: rebuild it with `npm run build:native`";
  char reason[512] = {};
  if (!l.time_gemm(dtype.c_str(), m, n, k, repeats, &seconds, reason, sizeof reason)) return reason;
  return "";
}

std::string cuda_set_memory_limit(int64_t bytes) {
  loaded& l = instance();
  if (!l.status.available) return "the cuda backend is not available: " + l.status.reason;
  if (!l.set_memory_limit) return "the CUDA plugin has no memory limit entry point: rebuild it with `npm run build:native`";
  l.set_memory_limit(bytes);
  return "";
}

std::string cuda_device_usage(cuda_usage& out) {
  loaded& l = instance();
  if (!l.status.available) return "the cuda backend is not available: " + l.status.reason;
  kiln_cuda_usage_info info{};
  if (!l.usage || !l.usage(&info)) return "the GPU's usage could not be read";
  out = {info.kiln_bytes, info.limit_bytes, info.free_bytes, info.total_bytes, info.utilization};
  return "";
}

}  // namespace kiln
