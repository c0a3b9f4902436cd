// cuBLAS, loaded at run time: this machine may build the plugin without cuBLAS headers, and the
// app ships no CUDA libraries it does not need. The few types and entry points used are declared
// here with the values of cublas_api.h (CUDA 12 and 13).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <dlfcn.h>

#include <cstdio>
#include <string>

#include "cublas_loader.h"
#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

using cublas_handle = struct cublas_context*;
constexpr int32_t op_n = 0, op_t = 1;                  // cublasOperation_t
constexpr int32_t r_32f = 0, r_16f = 2, r_16bf = 14;   // cudaDataType
constexpr int32_t compute_32f = 68;                    // cublasComputeType_t: CUBLAS_COMPUTE_32F (no TF32)
constexpr int32_t gemm_default = -1;                   // cublasGemmAlgo_t: CUBLAS_GEMM_DEFAULT

using create_fn = int32_t (*)(cublas_handle*);
using set_stream_fn = int32_t (*)(cublas_handle, cudaStream_t);
using gemm_strided_fn = int32_t (*)(cublas_handle, int32_t transa, int32_t transb, int32_t m, int32_t n, int32_t k, const void* alpha,
                                    const void* a, int32_t a_type, int32_t lda, long long stride_a, const void* b, int32_t b_type,
                                    int32_t ldb, long long stride_b, const void* beta, void* c, int32_t c_type, int32_t ldc,
                                    long long stride_c, int32_t batch, int32_t compute, int32_t algo);

struct cublas_api {
  void* library = nullptr;
  cublas_handle handle = nullptr;
  gemm_strided_fn gemm = nullptr;
} api;

// Column-major cuBLAS on row-major data: C^T = op(B)^T op(A)^T.
bool gemm(int32_t type, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const void* a, int64_t lda,
          int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, float beta, void* c, int32_t c_type, int64_t ldc,
          int64_t stride_c, int64_t batch) {
  constexpr int64_t most = 0x7fffffff;
  if (m > most || n > most || k > most || lda > most || ldb > most || ldc > most || batch > most) {
    record_error("a matrix product too large for cuBLAS's 32-bit sizes");
    return false;
  }
  const int32_t status = api.gemm(api.handle, trans_b ? op_t : op_n, trans_a ? op_t : op_n, static_cast<int32_t>(n), static_cast<int32_t>(m),
                                  static_cast<int32_t>(k), &alpha, b, type, static_cast<int32_t>(ldb), stride_b, a, type,
                                  static_cast<int32_t>(lda), stride_a, &beta, c, c_type, static_cast<int32_t>(ldc), stride_c,
                                  static_cast<int32_t>(batch), compute_32f, gemm_default);
  if (status != 0) {
    record_error("cuBLAS GEMM failed with status " + std::to_string(status) + " (" + std::to_string(m) + "x" + std::to_string(n) + "x" +
                 std::to_string(k) + ")");
    return false;
  }
  return true;
}

}  // namespace

std::string load_cublas(const std::string& beside) {
  // The plugin's own folder first (a packaged app ships cuBLAS there), then the system's.
  const std::string names[] = {beside + "/libcublas.so.13", "libcublas.so.13", beside + "/libcublas.so.12", "libcublas.so.12", "libcublas.so"};
  for (const std::string& name : names) {
    if ((api.library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
  }
  if (!api.library) return "cuBLAS not found (libcublas.so.13): install the CUDA runtime libraries or place them beside the plugin";
  auto create = reinterpret_cast<create_fn>(dlsym(api.library, "cublasCreate_v2"));
  auto set_stream = reinterpret_cast<set_stream_fn>(dlsym(api.library, "cublasSetStream_v2"));
  api.gemm = reinterpret_cast<gemm_strided_fn>(dlsym(api.library, "cublasGemmStridedBatchedEx"));
  if (!create || !set_stream || !api.gemm) return "cuBLAS is missing cublasGemmStridedBatchedEx: it is older than CUDA 11";
  if (const int32_t s = create(&api.handle); s != 0) return "cuBLAS could not start (status " + std::to_string(s) + ")";
  if (const int32_t s = set_stream(api.handle, stream()); s != 0) return "cuBLAS could not use the plugin's stream (status " + std::to_string(s) + ")";
  return "";
}

namespace {

// Round to nearest even; past float16's largest value (65504) a value becomes Inf, which the loss
// scaling of mixed_float16 detects in the gradients.
__device__ inline __nv_bfloat16 to_half(float x, __nv_bfloat16*) { return __float2bfloat16_rn(x); }
__device__ inline __half to_half(float x, __half*) { return __float2half_rn(x); }

template <typename H>
__global__ void to_half_kernel(const float* in, H* out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = to_half(in[i], out);
  }
}

// Elements from a strided batch of row-major matrices' first to last used element.
int64_t span(int64_t rows, int64_t cols, int64_t ld, int64_t stride, int64_t batch) {
  return (batch > 1 ? stride * (batch - 1) : 0) + (rows - 1) * ld + cols;
}

// Device memory for the 16-bit copies of a product's operands, kept apart from scratch()
// (convolutions hold their columns there while multiplying them).
growing_area half_copies;
void* half_area(int64_t elements) { return half_copies.at_least(elements * 2); }

// Rounds both operands to H with the same layout (strides and leading dimensions), then multiplies
// on the tensor cores with float32 accumulation into the float32 output.
template <typename H>
bool gemm_half(int32_t type, const char* what, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
               int64_t stride_c, int64_t batch) {
  const int64_t na = trans_a ? span(k, m, lda, stride_a, batch) : span(m, k, lda, stride_a, batch);
  const int64_t nb = trans_b ? span(n, k, ldb, stride_b, batch) : span(k, n, ldb, stride_b, batch);
  const int64_t offset_b = (na + 127) / 128 * 128;  // 256-byte aligned
  H* area = static_cast<H*>(half_area(offset_b + nb));
  if (!area) {
    record_error(std::string("out of GPU memory for a ") + what + " product's operands (" + std::to_string((offset_b + nb) * 2 >> 20) + " MiB)");
    return false;
  }
  to_half_kernel<H><<<blocks_for(na), threads, 0, stream()>>>(a, area, na);
  to_half_kernel<H><<<blocks_for(nb), threads, 0, stream()>>>(b, area + offset_b, nb);
  if (!launched(type == r_16f ? "float16 rounding" : "bfloat16 rounding")) return false;
  return gemm(type, trans_a, trans_b, m, n, k, alpha, area, lda, stride_a, area + offset_b, ldb, stride_b, beta, c, r_32f, ldc, stride_c,
              batch);
}

}  // namespace

bool gemm_f32(gemm_inputs inputs, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
              int64_t batch) {
  switch (inputs) {
    case gemm_inputs::bf16:
      return gemm_half<__nv_bfloat16>(r_16bf, "bfloat16", trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                                      stride_c, batch);
    case gemm_inputs::f16:
      return gemm_half<__half>(r_16f, "float16", trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
                               batch);
    default:
      return gemm(r_32f, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, r_32f, ldc, stride_c, batch);
  }
}

std::string time_gemm(bool bf16, int32_t m, int32_t n, int32_t k, int32_t repeats, double& seconds) {
  const int64_t element = bf16 ? 2 : 4;
  void *a = nullptr, *b = nullptr, *c = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  std::string error;
  auto check = [&](cudaError_t e, const char* what) {
    if (e != cudaSuccess && error.empty()) error = std::string(what) + ": " + cudaGetErrorString(e);
    return error.empty();
  };
  if (check(cudaMalloc(&a, static_cast<size_t>(int64_t{m} * k * element)), "allocating A") &&
      check(cudaMalloc(&b, static_cast<size_t>(int64_t{k} * n * element)), "allocating B") &&
      check(cudaMalloc(&c, static_cast<size_t>(int64_t{m} * n * element)), "allocating C") &&
      // Bytes of 0x3c fill bf16 with 0.0115 and float32 with 0.0115 too: finite, never denormal.
      check(cudaMemsetAsync(a, 0x3c, static_cast<size_t>(int64_t{m} * k * element), stream()), "filling A") &&
      check(cudaMemsetAsync(b, 0x3c, static_cast<size_t>(int64_t{k} * n * element), stream()), "filling B") &&
      check(cudaEventCreate(&start), "creating events") && check(cudaEventCreate(&stop), "creating events")) {
    const int32_t type = bf16 ? r_16bf : r_32f;
    auto run = [&] { return gemm(type, false, false, m, n, k, 1.0f, a, k, 0, b, n, 0, 0.0f, c, type, n, 0, 1); };
    bool ok = run();  // warm-up: cuBLAS picks and loads its kernel
    ok = ok && check(cudaEventRecord(start, stream()), "timing");
    for (int32_t i = 0; ok && i < repeats; ++i) ok = run();
    float ms = 0;
    if (ok && check(cudaEventRecord(stop, stream()), "timing") && check(cudaEventSynchronize(stop), "running the GEMM") &&
        check(cudaEventElapsedTime(&ms, start, stop), "timing")) {
      seconds = ms / 1000.0 / repeats;
    }
    if (!ok && error.empty()) error = take_error();
  }
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return error;
}

}  // namespace kiln::cuda
