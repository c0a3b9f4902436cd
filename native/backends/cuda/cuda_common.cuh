// Shared by the CUDA plugin's op families: the stream every kernel runs on, error recording,
// launch geometry, node attributes, a scratch area, broadcasting index maps and the GEMM.
//
// Kernels are asynchronous: a kernel_fn enqueues work on the plugin's one stream and returns.
// A failed launch or cuBLAS call is recorded and surfaces at the next download (the plan's read),
// which is where the engine learns that a step failed.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "kernel.h"

namespace kiln::cuda {

cudaStream_t stream();

// Keeps the first failure until it is taken, so the error that caused a cascade is the one shown.
void record_error(const std::string& what);
// Records the launch error of the kernel just enqueued, if any; true when it launched.
bool launched(const char* kernel);
std::string take_error();

constexpr int32_t threads = 256;
// Blocks for a grid-stride loop over n items.
inline unsigned int blocks_for(int64_t n) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned int>(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

// Node attributes, read here (the engine's attrs methods live in the addon, not in the plugin).
inline int64_t attr_i(const node& n, const char* key, int64_t fallback) {
  auto it = n.at.ints.find(key);
  return it == n.at.ints.end() ? fallback : it->second;
}
inline double attr_f(const node& n, const char* key, double fallback) {
  auto f = n.at.floats.find(key);
  if (f != n.at.floats.end()) return f->second;
  auto i = n.at.ints.find(key);
  return i == n.at.ints.end() ? fallback : static_cast<double>(i->second);
}
inline const std::vector<int64_t>* attr_list(const node& n, const char* key) {
  auto it = n.at.int_lists.find(key);
  return it == n.at.int_lists.end() ? nullptr : &it->second;
}
inline bool attr_is(const node& n, const char* key, const char* text) {
  auto it = n.at.strings.find(key);
  return it != n.at.strings.end() && it->second == text;
}

inline int64_t elements(const shape_t& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Device memory that grows to the largest request and is reused by every user (plans run one at
// a time on one stream, so consecutive users never overlap). nullptr when out of memory.
class growing_area {
 public:
  void* at_least(int64_t bytes);

 private:
  std::mutex mutex_;
  void* data_ = nullptr;
  int64_t bytes_ = 0;
};

// The kernels' shared scratch area (a growing_area).
void* scratch(int64_t bytes);

// Up to 8 axes: an output index space and, per operand, its strides in that space (0 where the
// operand is broadcast). Passed to kernels by value.
constexpr int32_t max_rank = 8;
struct index_map {
  int32_t rank = 0;
  int64_t dims[max_rank] = {};
  int64_t strides[max_rank] = {};
};
// `in` seen from `out`'s index space (numpy broadcasting); false when the rank is too large.
bool broadcast_map(const shape_t& in, const shape_t& out, index_map& m);

__device__ inline int64_t map_offset(int64_t linear, const index_map& m) {
  int64_t offset = 0;
  for (int32_t d = m.rank - 1; d >= 0; --d) {
    const int64_t idx = linear % m.dims[d];
    linear /= m.dims[d];
    offset += idx * m.strides[d];
  }
  return offset;
}

// What a product's float32 operands are rounded to before the tensor cores multiply them: nothing
// (float32 GEMM, no TF32, so results match the reference within float32 rounding), bfloat16 or
// float16 (Keras's mixed_bfloat16 and mixed_float16 policies; the engine marks such nodes with
// precision = "bfloat16" or "float16"). Accumulation and the output are float32 either way.
enum class gemm_inputs { f32, bf16, f16 };
inline gemm_inputs gemm_precision(const node& n) {
  if (attr_is(n, "precision", "bfloat16")) return gemm_inputs::bf16;
  if (attr_is(n, "precision", "float16")) return gemm_inputs::f16;
  return gemm_inputs::f32;
}

// Row-major batched GEMM on float32 data: C[b] = alpha op(A[b]) op(B[b]) + beta C[b].
bool gemm_f32(gemm_inputs inputs, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
              int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
              int64_t stride_c, int64_t batch);

// y[r, :] = act(z[r, :] + bias) over rows of `channels` (act may be null; y may be null).
void bias_activation(float* z, const float* bias, int64_t rows, int64_t channels, const node* act, float* y);

// Each op family registers its float32 kernels (backends/cuda/<family>.cu).
void register_linear(kernel_table& t);
void register_elementwise(kernel_table& t);
void register_reduce(kernel_table& t);
void register_softmax(kernel_table& t);
void register_optim(kernel_table& t);
void register_pool(kernel_table& t);
void register_conv(kernel_table& t);
void register_shape(kernel_table& t);
void register_norm(kernel_table& t);
void register_augment(kernel_table& t);

}  // namespace kiln::cuda
