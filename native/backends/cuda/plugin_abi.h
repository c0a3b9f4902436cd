// The C boundary between the engine and the CUDA plugin (libkiln_cuda.so), which the engine
// loads with dlopen when a backend is chosen, so the addon itself never links CUDA. Both sides
// include this header and kernel.h; the ABI stamp refuses a plugin built against another engine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel.h"

namespace kiln {

// Changes whenever the layout the plugin shares with the engine changes (op enum, table, args,
// device memory functions).
constexpr int32_t kiln_cuda_abi =
    static_cast<int32_t>((2u << 24) ^ (static_cast<uint32_t>(kiln_op_count) << 14) ^
                         static_cast<uint32_t>(sizeof(kernel_table) + sizeof(kernel_args) * 7 + sizeof(node) * 13 + sizeof(attrs) * 31 +
                                               sizeof(device_memory) * 3));

// What the device holds and how busy it is (kiln_cuda_usage).
struct kiln_cuda_usage_info {
  int64_t kiln_bytes;   // allocated by Kiln (arenas, weights, optimizer state, scratch)
  int64_t limit_bytes;  // the user's limit; 0 when memory grows as needed
  int64_t free_bytes, total_bytes;  // the whole device, every process
  int32_t utilization;  // percent of the last sample period a kernel ran (NVML); -1 when unknown
};

struct cuda_device_info {
  char name[256];
  int64_t memory_bytes;
  int32_t compute_major, compute_minor;
  int32_t driver_version, runtime_version;  // 13000 = CUDA 13.0
};

}  // namespace kiln

extern "C" {
// Checks the driver, the device and cuBLAS, and fills `table` with the plugin's kernels and its
// device memory. Returns 1, or 0 with `reason` (a sentence for the user: why the GPU is not used).
using kiln_cuda_open_fn = int32_t (*)(int32_t abi, kiln::kernel_table* table, kiln::cuda_device_info* device,
                                      char* reason, int32_t reason_size);
// Times `repeats` products C = A B of m x k by k x n matrices in `dtype` ("float32" or
// "bfloat16", float32 accumulation) through the backend's cuBLAS path, with CUDA events; writes
// seconds per product. Returns 1, or 0 with `reason`. Only after a successful open.
using kiln_cuda_time_gemm_fn = int32_t (*)(const char* dtype, int32_t m, int32_t n, int32_t k, int32_t repeats,
                                           double* seconds, char* reason, int32_t reason_size);
// Caps what Kiln allocates on the device (TensorFlow's memory_limit), in bytes; 0 lifts the cap
// (memory grows as plans need it). An allocation past the cap fails with the limit in its message.
using kiln_cuda_set_memory_limit_fn = void (*)(int64_t bytes);
// Fills `out`; 0 when the device is not open.
using kiln_cuda_usage_fn = int32_t (*)(kiln::kiln_cuda_usage_info* out);
}
