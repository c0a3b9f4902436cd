// Batch and layer normalisation and their gradients, dropout and Gaussian noise, as the reference
// (backends/reference/norm.cpp): statistics accumulated in double, the outputs by the same
// float32 formulas, and the same stateless splitmix64 streams, so a seed gives the same mask here
// as on the CPU.
//
// Per-channel sums (batch norm's statistics, both norms' dgamma and dbeta) run in two stages:
// partial sums over chunks of rows, one thread per (chunk, column) so that neighbouring threads
// read neighbouring elements, then one block per channel adds its partials in a fixed order.
#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

#define KILN_FOR_EACH(i, n) for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)

constexpr int32_t warp = 32;
constexpr int32_t rows_per_block = threads / warp;
constexpr int64_t partial_threads = int64_t{1} << 17;  // stage 1's parallelism when the rows allow it

// x viewed as [outer, C, inner] around the channel axis: element (o, c, i) is at (o*C + c)*inner + i.
struct channel_layout {
  int64_t outer = 1, channels = 1, inner = 1;
};

channel_layout layout_of(const shape_t& x, int64_t axis) {
  if (axis < 0) axis += static_cast<int64_t>(x.size());
  channel_layout l;
  for (int64_t d = 0; d < static_cast<int64_t>(x.size()); ++d) {
    const int64_t n = x[static_cast<size_t>(d)];
    if (d < axis) l.outer *= n;
    else if (d == axis) l.channels = n;
    else l.inner *= n;
  }
  return l;
}

// What the sums add up for element k of channel c in outer row o.
enum sum_term : int32_t {
  term_x,                // a: x
  term_centered_square,  // a: (x - mu[c])^2
  term_batch_grad,       // a: dy, b: dy * xhat with xhat = (x - mean[c]) * rstd[c]
  term_layer_grad,       // a: dy, b: dy * xhat with xhat = (x - mean[o]) * rstd[o] (rows of D channels)
};

struct term_inputs {
  const float* x = nullptr;
  const float* dy = nullptr;
  const double* mu = nullptr;     // term_centered_square
  const float* mean = nullptr;    // the gradients
  const double* rstd_c = nullptr;  // term_batch_grad
  const float* rstd_o = nullptr;   // term_layer_grad
};

__global__ void partial_sums_kernel(sum_term term, term_inputs t, channel_layout l, int64_t span, int64_t chunks, double* pa, double* pb) {
  const int64_t width = l.channels * l.inner;
  KILN_FOR_EACH(q, chunks * width) {
    const int64_t chunk = q / width, column = q % width, c = column / l.inner;
    const int64_t end = (chunk + 1) * span < l.outer ? (chunk + 1) * span : l.outer;
    double a = 0, b = 0;
    for (int64_t o = chunk * span; o < end; ++o) {
      const int64_t k = o * width + column;
      if (term == term_x) {
        a += t.x[k];
      } else if (term == term_centered_square) {
        const double d = t.x[k] - t.mu[c];
        a += d * d;
      } else {
        const double xhat = term == term_batch_grad ? (static_cast<double>(t.x[k]) - t.mean[c]) * t.rstd_c[c]
                                                    : (static_cast<double>(t.x[k]) - t.mean[o]) * static_cast<double>(t.rstd_o[o]);
        a += t.dy[k];
        b += t.dy[k] * xhat;
      }
    }
    pa[q] = a;
    if (pb) pb[q] = b;
  }
}

// Channel c's total over its chunks and inner positions, divided by `divide`, as double (total)
// and float (out); either may be null.
__global__ void channel_totals_kernel(const double* partial, channel_layout l, int64_t chunks, double divide, double* total, float* out) {
  __shared__ double shared[threads];
  const int64_t width = l.channels * l.inner, count = chunks * l.inner;
  for (int64_t c = blockIdx.x; c < l.channels; c += gridDim.x) {
    double acc = 0;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x) acc += partial[r / l.inner * width + c * l.inner + r % l.inner];
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (int32_t s = blockDim.x / 2; s > 0; s /= 2) {
      if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const double v = shared[0] / divide;
      if (total) total[c] = v;
      if (out) out[c] = static_cast<float>(v);
    }
    __syncthreads();
  }
}

// Per-channel sums of one term (two for the gradients): sizes the stages and launches them.
struct channel_sums {
  channel_layout l;
  int64_t span = 1, chunks = 0;

  explicit channel_sums(const channel_layout& layout) : l(layout) {
    const int64_t width = l.channels * l.inner;
    const int64_t wanted = width > 0 && width < partial_threads ? partial_threads / width : 1;
    span = l.outer > wanted ? (l.outer + wanted - 1) / wanted : 1;
    chunks = (l.outer + span - 1) / span;
  }
  int64_t partial_doubles() const { return chunks * l.channels * l.inner; }

  // pb, total_b and out_b only for the gradient terms.
  bool run(sum_term term, const term_inputs& t, double* pa, double* pb, double divide, double* total_a, float* out_a, double* total_b,
           float* out_b) const {
    if (l.channels == 0) return true;
    const int64_t n = partial_doubles();
    if (n > 0) {
      partial_sums_kernel<<<blocks_for(n), threads, 0, stream()>>>(term, t, l, span, chunks, pa, pb);
      if (!launched("channel partial sums")) return false;
    }
    const unsigned int grid = static_cast<unsigned int>(l.channels < 65535 * 8 ? l.channels : 65535 * 8);
    channel_totals_kernel<<<grid, threads, 0, stream()>>>(pa, l, chunks, divide, total_a, out_a);
    if (!launched("channel totals")) return false;
    if (!pb) return true;
    channel_totals_kernel<<<grid, threads, 0, stream()>>>(pb, l, chunks, divide, total_b, out_b);
    return launched("channel totals");
  }
};

// tf.nn.batch_normalization's form, in float32: y = x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps).
__global__ void normalise_kernel(const float* x, const float* gamma, const float* beta, const float* mean, const float* var, float eps,
                                 channel_layout l, float* y, int64_t n) {
  KILN_FOR_EACH(k, n) {
    const int64_t c = k / l.inner % l.channels;
    const float inv = 1.0f / sqrtf(var[c] + eps) * gamma[c];
    const float shift = beta[c] - mean[c] * inv;
    y[k] = x[k] * inv + shift;
  }
}

__global__ void batch_rstd_kernel(const float* var, double eps, double* rstd, int64_t channels) {
  KILN_FOR_EACH(c, channels) rstd[c] = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
}

// dx = gamma * rstd * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N), in double as the reference.
__global__ void batch_norm_dx_kernel(const float* x, const float* gamma, const float* mean, const double* rstd, const float* dy,
                                     const double* sum_dy, const double* sum_dy_xhat, double count, channel_layout l, float* dx, int64_t n) {
  KILN_FOR_EACH(k, n) {
    const int64_t c = k / l.inner % l.channels;
    const double xhat = (static_cast<double>(x[k]) - mean[c]) * rstd[c];
    dx[k] = static_cast<float>(static_cast<double>(gamma[c]) * rstd[c] * (static_cast<double>(dy[k]) - sum_dy[c] / count - xhat * sum_dy_xhat[c] / count));
  }
}

__device__ double warp_sum(double v) {
  for (int32_t s = warp / 2; s > 0; s /= 2) v += __shfl_xor_sync(0xffffffffu, v, s);
  return v;
}

// One warp per row of d: mean and variance in double, then y as Keras's LayerNormalization.
__global__ void layer_norm_kernel(const float* x, const float* gamma, const float* beta, float eps, int64_t rows, int64_t d, float* y,
                                  float* mean, float* rstd) {
  const int32_t lane = threadIdx.x % warp;
  for (int64_t r = blockIdx.x * int64_t{rows_per_block} + threadIdx.x / warp; r < rows; r += int64_t{gridDim.x} * rows_per_block) {
    const float* xr = x + r * d;
    double mu = 0;
    for (int64_t j = lane; j < d; j += warp) mu += xr[j];
    mu = warp_sum(mu) / static_cast<double>(d);
    double sq = 0;
    for (int64_t j = lane; j < d; j += warp) sq += (xr[j] - mu) * (xr[j] - mu);
    sq = warp_sum(sq);
    const float m = static_cast<float>(mu);
    const float var = static_cast<float>(sq / static_cast<double>(d));
    const float rs = 1.0f / sqrtf(var + eps);
    if (lane == 0) {
      mean[r] = m;
      rstd[r] = rs;
    }
    for (int64_t j = lane; j < d; j += warp) {
      const float inv = rs * gamma[j];
      y[r * d + j] = xr[j] * inv + (beta[j] - m * inv);
    }
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) per row, g = dy * gamma, in double.
__global__ void layer_norm_dx_kernel(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy, int64_t rows,
                                     int64_t d, float* dx) {
  const int32_t lane = threadIdx.x % warp;
  for (int64_t r = blockIdx.x * int64_t{rows_per_block} + threadIdx.x / warp; r < rows; r += int64_t{gridDim.x} * rows_per_block) {
    const int64_t base = r * d;
    const double m = mean[r], rs = rstd[r], n = static_cast<double>(d);
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t j = lane; j < d; j += warp) {
      const double g = static_cast<double>(dy[base + j]) * gamma[j];
      sum_g += g;
      sum_g_xhat += g * ((static_cast<double>(x[base + j]) - m) * rs);
    }
    sum_g = warp_sum(sum_g);
    sum_g_xhat = warp_sum(sum_g_xhat);
    for (int64_t j = lane; j < d; j += warp) {
      const double g = static_cast<double>(dy[base + j]) * gamma[j];
      const double xhat = (static_cast<double>(x[base + j]) - m) * rs;
      dx[base + j] = static_cast<float>(rs * (g - sum_g / n - xhat * sum_g_xhat / n));
    }
  }
}

// splitmix64 (Steele, Lea, Flood 2014), as the reference's.
__device__ uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The top 53 bits as a double in [0, 1): exact, so the comparison with rate is the reference's.
__device__ double unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

__device__ uint64_t stream_base(const int32_t* seed) { return static_cast<uint64_t>(static_cast<uint32_t>(seed[0])) << 32; }

__global__ void dropout_kernel(const float* x, const int32_t* seed, double rate, float scale, float* y, float* mask, int64_t n) {
  const uint64_t base = stream_base(seed);
  KILN_FOR_EACH(k, n) {
    const float m = unit(splitmix64(base + static_cast<uint64_t>(k))) >= rate ? 1.0f : 0.0f;
    mask[k] = m;
    y[k] = x[k] * scale * m;
  }
}

// Box-Muller from draws 2k and 2k + 1, with u1 in (0, 1].
__global__ void gaussian_noise_kernel(const float* x, const int32_t* seed, double stddev, float* y, int64_t n) {
  const uint64_t base = stream_base(seed);
  KILN_FOR_EACH(k, n) {
    const uint64_t at = base + 2 * static_cast<uint64_t>(k);
    const double u1 = static_cast<double>((splitmix64(at) >> 11) + 1) * 0x1.0p-53;
    const double u2 = unit(splitmix64(at + 1));
    const double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    y[k] = x[k] + static_cast<float>(stddev * z);
  }
}

float epsilon_of(const node& n) { return static_cast<float>(attr_f(n, "epsilon", 1e-3)); }

unsigned int row_blocks(int64_t rows) {
  const int64_t b = (rows + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned int>(b < 1 ? 1 : b < 65535 * 8 ? b : 65535 * 8);
}

void normalise(const kernel_args& a, const channel_layout& l, const float* mean, const float* var) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  normalise_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.in[2].as<float>(), mean, var,
                                                             epsilon_of(a.n), l, a.out[0].as<float>(), n);
  launched("batch_norm");
}

// Two passes, as tf.nn.moments: the mean, then the biased variance around it.
void batch_norm_train(const kernel_args& a) {
  const channel_layout l = layout_of(*a.in[0].shape, attr_i(a.n, "axis", -1));
  if (l.channels == 0) return;
  const channel_sums sums(l);
  auto* area = static_cast<double*>(scratch((sums.partial_doubles() + l.channels) * static_cast<int64_t>(sizeof(double))));
  if (!area) return record_error("node '" + a.n.name + "': out of GPU memory for batch_norm's statistics");
  double* partial = area;
  double* mu = area + sums.partial_doubles();
  const double count = static_cast<double>(l.outer * l.inner);
  float* mean = a.out[1].as<float>();
  float* var = a.out[2].as<float>();
  term_inputs t;
  t.x = a.in[0].as<float>();
  if (!sums.run(term_x, t, partial, nullptr, count, mu, mean, nullptr, nullptr)) return;
  t.mu = mu;
  if (!sums.run(term_centered_square, t, partial, nullptr, count, nullptr, var, nullptr, nullptr)) return;
  normalise(a, l, mean, var);
}

void batch_norm_infer(const kernel_args& a) {
  normalise(a, layout_of(*a.in[0].shape, attr_i(a.n, "axis", -1)), a.in[3].as<float>(), a.in[4].as<float>());
}

void batch_norm_grad(const kernel_args& a) {
  const channel_layout l = layout_of(*a.in[0].shape, attr_i(a.n, "axis", -1));
  if (l.channels == 0) return;
  const channel_sums sums(l);
  const int64_t partials = sums.partial_doubles();
  auto* area = static_cast<double*>(scratch((2 * partials + 3 * l.channels) * static_cast<int64_t>(sizeof(double))));
  if (!area) return record_error("node '" + a.n.name + "': out of GPU memory for batch_norm's gradient");
  double* rstd = area + 2 * partials;
  double* sum_dy = rstd + l.channels;
  double* sum_dy_xhat = sum_dy + l.channels;
  // The reference's epsilon: the attribute rounded to the input's dtype, then widened.
  batch_rstd_kernel<<<blocks_for(l.channels), threads, 0, stream()>>>(a.in[3].as<float>(), static_cast<double>(epsilon_of(a.n)), rstd, l.channels);
  if (!launched("batch_norm_grad")) return;
  term_inputs t;
  t.x = a.in[0].as<float>();
  t.mean = a.in[2].as<float>();
  t.rstd_c = rstd;
  t.dy = a.in[4].as<float>();
  if (!sums.run(term_batch_grad, t, area, area + partials, 1.0, sum_dy, a.out[2].as<float>(), sum_dy_xhat, a.out[1].as<float>())) return;
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  batch_norm_dx_kernel<<<blocks_for(n), threads, 0, stream()>>>(t.x, a.in[1].as<float>(), t.mean, rstd, t.dy, sum_dy, sum_dy_xhat,
                                                                 static_cast<double>(l.outer * l.inner), l, a.out[0].as<float>(), n);
  launched("batch_norm_grad");
}

void layer_norm(const kernel_args& a) {
  const int64_t d = a.in[0].shape->back();
  const int64_t rows = d == 0 ? 0 : a.in[0].size / d;
  if (rows == 0) return;
  layer_norm_kernel<<<row_blocks(rows), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<float>(), a.in[2].as<float>(), epsilon_of(a.n),
                                                                rows, d, a.out[0].as<float>(), a.out[1].as<float>(), a.out[2].as<float>());
  launched("layer_norm");
}

void layer_norm_grad(const kernel_args& a) {
  const int64_t d = a.in[0].shape->back();
  const int64_t rows = d == 0 ? 0 : a.in[0].size / d;
  channel_layout l;
  l.outer = rows;
  l.channels = d;
  const channel_sums sums(l);
  auto* area = static_cast<double*>(scratch(2 * sums.partial_doubles() * static_cast<int64_t>(sizeof(double))));
  if (!area && sums.partial_doubles() > 0) return record_error("node '" + a.n.name + "': out of GPU memory for layer_norm's gradient");
  term_inputs t;
  t.x = a.in[0].as<float>();
  t.mean = a.in[2].as<float>();
  t.rstd_o = a.in[3].as<float>();
  t.dy = a.in[4].as<float>();
  if (!sums.run(term_layer_grad, t, area, area + sums.partial_doubles(), 1.0, nullptr, a.out[2].as<float>(), nullptr, a.out[1].as<float>())) return;
  if (rows == 0) return;
  layer_norm_dx_kernel<<<row_blocks(rows), threads, 0, stream()>>>(t.x, a.in[1].as<float>(), t.mean, t.rstd_o, t.dy, rows, d, a.out[0].as<float>());
  launched("layer_norm_grad");
}

void dropout(const kernel_args& a) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  const double rate = attr_f(a.n, "rate", 0);
  dropout_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<int32_t>(), rate, static_cast<float>(1.0 / (1.0 - rate)),
                                                           a.out[0].as<float>(), a.out[1].as<float>(), n);
  launched("dropout");
}

void gaussian_noise(const kernel_args& a) {
  const int64_t n = a.in[0].size;
  if (n == 0) return;
  gaussian_noise_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<int32_t>(), attr_f(a.n, "stddev", 0),
                                                                  a.out[0].as<float>(), n);
  launched("gaussian_noise");
}

}  // namespace

void register_norm(kernel_table& t) {
  t.set(kiln_op_batch_norm_train, kiln_dtype_f32, batch_norm_train);
  t.set(kiln_op_batch_norm_infer, kiln_dtype_f32, batch_norm_infer);
  t.set(kiln_op_batch_norm_grad, kiln_dtype_f32, batch_norm_grad);
  t.set(kiln_op_layer_norm, kiln_dtype_f32, layer_norm);
  t.set(kiln_op_layer_norm_grad, kiln_dtype_f32, layer_norm_grad);
  t.set(kiln_op_dropout, kiln_dtype_f32, dropout);
  t.set(kiln_op_gaussian_noise, kiln_dtype_f32, gaussian_noise);
}

}  // namespace kiln::cuda
