// cuBLAS loading and the GEMM timing entry point (cublas.cu), for the plugin's entry (plugin.cu).
#pragma once

#include <string>

namespace kiln::cuda {

// "" once cuBLAS is loaded and bound to the plugin's stream, or why not (a sentence for the user).
std::string load_cublas(const std::string& plugin_dir);
// Seconds per C = A B (m x k by k x n), float32 accumulation, timed with CUDA events; "" or the problem.
std::string time_gemm(bool bf16, int32_t m, int32_t n, int32_t k, int32_t repeats, double& seconds);

}  // namespace kiln::cuda
