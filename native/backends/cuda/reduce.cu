// Reductions (sum, mean, max over axes), broadcast_to and sum_to, its adjoint. A reduction maps
// every output element to a base offset in the input (the kept axes) and every reduced element
// to an offset from there (the reduced axes); one block sums one output element. And
// any_non_finite, the flag of mixed_float16's loss scaling.
#include <cfloat>

#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

enum reduce_mode : int32_t { mode_sum, mode_mean, mode_max };

// Splits the input's axes into kept and reduced ones, each with its input strides.
bool split_axes(const shape_t& in, const std::vector<bool>& reduced, index_map& keep, index_map& red) {
  int64_t stride = 1;
  std::vector<int64_t> strides(in.size());
  for (size_t d = in.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= in[d];
  }
  keep = {};
  red = {};
  for (size_t d = 0; d < in.size(); ++d) {
    index_map& m = reduced[d] ? red : keep;
    if (m.rank == max_rank) return false;
    m.dims[m.rank] = in[d];
    m.strides[m.rank] = strides[d];
    ++m.rank;
  }
  return true;
}

__global__ void reduce_kernel(const float* x, float* y, index_map keep, index_map red, int64_t outs, int64_t count, int32_t mode) {
  __shared__ float partial[threads];
  for (int64_t o = blockIdx.x; o < outs; o += gridDim.x) {
    const int64_t base = map_offset(o, keep);
    float acc = mode == mode_max ? -FLT_MAX : 0.0f;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x) {
      const float v = x[base + map_offset(r, red)];
      acc = mode == mode_max ? (acc < v ? v : acc) : acc + v;
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int32_t s = blockDim.x / 2; s > 0; s /= 2) {
      if (threadIdx.x < s) {
        const float other = partial[threadIdx.x + s];
        partial[threadIdx.x] = mode == mode_max ? (partial[threadIdx.x] < other ? other : partial[threadIdx.x]) : partial[threadIdx.x] + other;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) y[o] = mode == mode_mean ? partial[0] / static_cast<float>(count) : partial[0];
    __syncthreads();
  }
}

// Sums of the columns of a row-major [rows, cols] matrix: the reductions over leading axes (a
// bias's gradient over N, H and W). One block per output element would leave most of the GPU idle
// and read with a stride; here a block of 32 columns x 8 row lanes reads whole rows coalesced over
// one band of rows into a partial sum per band, and a second pass adds the bands in order (the
// same order every run: no atomics).
constexpr int32_t column_tile = 32, row_lanes = 8;

__global__ void column_partials_kernel(const float* x, float* partial, int64_t rows, int64_t cols, int64_t band) {
  __shared__ float sums[row_lanes][column_tile + 1];
  const int64_t col = blockIdx.x * int64_t{column_tile} + threadIdx.x;
  const int64_t first = blockIdx.y * band, last = first + band < rows ? first + band : rows;
  float acc = 0.0f;
  if (col < cols) {
    for (int64_t r = first + threadIdx.y; r < last; r += row_lanes) acc += x[r * cols + col];
  }
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float s = 0.0f;
    for (int32_t k = 0; k < row_lanes; ++k) s += sums[k][threadIdx.x];
    partial[blockIdx.y * cols + col] = s;
  }
}

__global__ void column_total_kernel(const float* partial, float* y, int64_t bands, int64_t cols, float scale) {
  for (int64_t col = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; col < cols; col += int64_t{gridDim.x} * blockDim.x) {
    float s = 0.0f;
    for (int64_t b = 0; b < bands; ++b) s += partial[b * cols + col];
    y[col] = s * scale;
  }
}

// False when out of memory for the partial sums (recorded).
bool column_sums(const float* x, float* y, int64_t rows, int64_t cols, bool mean) {
  const int64_t col_blocks = (cols + column_tile - 1) / column_tile;
  // About 2048 blocks in all, each band at least 64 rows.
  int64_t bands = 2048 / col_blocks;
  if (bands > rows / 64) bands = rows / 64;
  if (bands < 1) bands = 1;
  if (bands > 65535) bands = 65535;
  const int64_t band = (rows + bands - 1) / bands;
  bands = (rows + band - 1) / band;
  auto* partial = static_cast<float*>(scratch(bands * cols * static_cast<int64_t>(sizeof(float))));
  if (!partial) {
    record_error("reduce: out of GPU memory for partial sums");
    return false;
  }
  const dim3 grid(static_cast<unsigned int>(col_blocks), static_cast<unsigned int>(bands));
  column_partials_kernel<<<grid, dim3(column_tile, row_lanes), 0, stream()>>>(x, partial, rows, cols, band);
  column_total_kernel<<<blocks_for(cols), threads, 0, stream()>>>(partial, y, bands, cols, mean ? 1.0f / static_cast<float>(rows) : 1.0f);
  return launched("column sums");
}

template <typename T>
__global__ void gather_kernel(const T* x, index_map m, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) y[i] = x[map_offset(i, m)];
}

void run_reduce(const kernel_args& a, const std::vector<bool>& reduced, int32_t mode) {
  const int64_t outs = a.out[0].size;
  if (outs == 0) return;
  index_map keep, red;
  if (!split_axes(*a.in[0].shape, reduced, keep, red)) {
    return record_error("node '" + a.n.name + "': reductions over more than 8 axes are not supported on the GPU");
  }
  const int64_t count = elements(std::vector<int64_t>(red.dims, red.dims + red.rank));
  // Every reduced axis before every kept one (axes of size 1 aside): column sums of a [count, outs] matrix.
  const shape_t& in = *a.in[0].shape;
  bool kept_seen = false, leading_only = true;
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) leading_only = leading_only && !kept_seen;
    else if (in[d] != 1) kept_seen = true;
  }
  if (leading_only && mode != mode_max && count > 1) {
    column_sums(a.in[0].as<float>(), a.out[0].as<float>(), count, outs, mode == mode_mean);
    return;
  }
  const unsigned int grid = static_cast<unsigned int>(outs < 65535 * 8 ? outs : 65535 * 8);
  reduce_kernel<<<grid, threads, 0, stream()>>>(a.in[0].as<float>(), a.out[0].as<float>(), keep, red, outs, count, mode);
  launched("reduce");
}

void reduce(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  const std::vector<int64_t>* axes = attr_list(a.n, "axes");
  std::vector<bool> reduced(in.size(), !axes || axes->empty());
  if (axes) {
    for (int64_t ax : *axes) reduced[static_cast<size_t>(ax < 0 ? ax + static_cast<int64_t>(in.size()) : ax)] = true;
  }
  run_reduce(a, reduced, a.n.op == kiln_op_reduce_max ? mode_max : a.n.op == kiln_op_reduce_mean ? mode_mean : mode_sum);
}

// Sums away the axes where the target shape (aligned to the right) is 1 or missing.
void sum_to(const kernel_args& a) {
  const shape_t& in = *a.in[0].shape;
  const shape_t& to = *a.out[0].shape;
  std::vector<bool> reduced(in.size(), false);
  const size_t lead = in.size() - to.size();
  for (size_t d = 0; d < in.size(); ++d) reduced[d] = in[d] != 1 && (d < lead || to[d - lead] == 1);
  run_reduce(a, reduced, mode_sum);
}

template <typename T>
void broadcast_to(const kernel_args& a) {
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  index_map m;
  if (!broadcast_map(*a.in[0].shape, *a.out[0].shape, m)) {
    return record_error("node '" + a.n.name + "': broadcasting over more than 8 axes is not supported on the GPU");
  }
  gather_kernel<T><<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<T>(), m, a.out[0].as<T>(), n);
  launched("broadcast_to");
}

// any_non_finite over up to 32 tensors per launch (a step's gradients), passed by value: blockIdx.y
// picks the tensor. The flag is cleared first and set by any block that sees a NaN or Inf (every
// writer stores the same 1), so the step reads it on the device without a host sync.
constexpr int32_t flag_tensors = 32;
struct tensor_list {
  const float* data[flag_tensors];
  int64_t size[flag_tensors];
};

__global__ void non_finite_kernel(tensor_list t, float* flag) {
  const float* x = t.data[blockIdx.y];
  const int64_t n = t.size[blockIdx.y];
  bool bad = false;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n && !bad; i += int64_t{gridDim.x} * blockDim.x) bad = !isfinite(x[i]);
  if (__syncthreads_or(bad) && threadIdx.x == 0) *flag = 1.0f;
}

void any_non_finite(const kernel_args& a) {
  float* flag = a.out[0].as<float>();
  const cudaError_t e = cudaMemsetAsync(flag, 0, sizeof(float), stream());
  if (e != cudaSuccess) return record_error(std::string("any_non_finite: ") + cudaGetErrorString(e));
  for (size_t first = 0; first < a.in.size(); first += flag_tensors) {
    tensor_list t{};
    int64_t most = 0;
    const size_t count = a.in.size() - first < flag_tensors ? a.in.size() - first : flag_tensors;
    for (size_t k = 0; k < count; ++k) {
      t.data[k] = a.in[first + k].as<float>();
      t.size[k] = a.in[first + k].size;
      most = t.size[k] > most ? t.size[k] : most;
    }
    // A grid-stride loop: a thousand blocks of 256 fill an H100 and keep small tensors' blocks few.
    const unsigned int blocks = blocks_for(most) < 1024 ? blocks_for(most) : 1024;
    non_finite_kernel<<<dim3(blocks, static_cast<unsigned int>(count)), threads, 0, stream()>>>(t, flag);
    if (!launched("any_non_finite")) return;
  }
}

}  // namespace

bool broadcast_map(const shape_t& in, const shape_t& out, index_map& m) {
  if (out.size() > static_cast<size_t>(max_rank) || in.size() > out.size()) return false;
  m = {};
  m.rank = static_cast<int32_t>(out.size());
  int64_t stride = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t o = out.size() - 1 - k;
    m.dims[o] = out[o];
    if (k < in.size()) {
      const int64_t d = in[in.size() - 1 - k];
      m.strides[o] = d == 1 ? 0 : stride;
      stride *= d;
    }
  }
  return true;
}

void register_reduce(kernel_table& t) {
  t.set(kiln_op_reduce_sum, kiln_dtype_f32, reduce);
  t.set(kiln_op_reduce_mean, kiln_dtype_f32, reduce);
  t.set(kiln_op_reduce_max, kiln_dtype_f32, reduce);
  t.set(kiln_op_sum_to, kiln_dtype_f32, sum_to);
  t.set(kiln_op_broadcast_to, kiln_dtype_f32, broadcast_to<float>);
  t.set(kiln_op_broadcast_to, kiln_dtype_i32, broadcast_to<int32_t>);
  t.set(kiln_op_any_non_finite, kiln_dtype_f32, any_non_finite);
}

}  // namespace kiln::cuda
