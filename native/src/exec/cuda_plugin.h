// The CUDA backend, found at run time: the engine dlopens the plugin library built from
// backends/cuda (native/build/cuda/libkiln_cuda.so beside the addon's build folder, or the path in
// KILN_CUDA_PLUGIN) the first time a backend is chosen or the devices are listed. Without the
// plugin, a driver or a device, the cuda backend is unavailable and its status says why.
#pragma once

#include <cstdint>
#include <string>

#include "kernel.h"

namespace kiln {

struct cuda_status {
  bool available = false;
  std::string reason;   // why not, for the user: "no NVIDIA driver (libcuda.so.1 not found)"
  std::string plugin;   // the library looked for
  std::string device;   // e.g. "NVIDIA H100 80GB HBM3"
  int64_t memory_bytes = 0;
  int32_t compute_major = 0, compute_minor = 0;
  int32_t driver_version = 0, runtime_version = 0;  // 13000 = CUDA 13.0
};

// Loads the plugin once (thread-safe) and returns what it found.
const cuda_status& cuda_backend_status();
// The cuda kernel table (with its device memory), or null when unavailable.
const kernel_table* cuda_kernels();
// Seconds per m x k by k x n product in "float32" or "bfloat16" through the plugin's cuBLAS
// path, timed on the device; "" or the problem.
std::string cuda_time_gemm(const std::string& dtype, int32_t m, int32_t n, int32_t k, int32_t repeats, double& seconds);

// The cap on what Kiln allocates on the GPU, in bytes (0: grow as needed); "" or the problem.
std::string cuda_set_memory_limit(int64_t bytes);

struct cuda_usage {
  int64_t kiln_bytes = 0, limit_bytes = 0, free_bytes = 0, total_bytes = 0;
  int32_t utilization = -1;  // percent; -1 when unknown
};
// "" with `out` filled, or why not (the backend is unavailable).
std::string cuda_device_usage(cuda_usage& out);

}  // namespace kiln
