// Batch norm, layer norm and dropout. Statistics are accumulated in double for both dtypes.
#include <cmath>
#include <vector>

#include "reference/reference.h"

namespace kiln {

namespace {

// x viewed as [outer, C, inner] around the channel axis: element (o, c, i) is at (o*C + c)*inner + i.
struct channel_layout {
  int64_t outer = 1, channels = 1, inner = 1;
  channel_layout(const shape_t& x, int64_t axis) {
    if (axis < 0) axis += static_cast<int64_t>(x.size());
    for (int64_t d = 0; d < static_cast<int64_t>(x.size()); ++d) {
      const int64_t n = x[static_cast<size_t>(d)];
      if (d < axis) outer *= n;
      else if (d == axis) channels = n;
      else inner *= n;
    }
  }
  int64_t count() const { return outer * inner; }  // elements per channel
  template <typename F>
  void each(F f) const {  // f(channel, element offset)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < inner; ++i) f(c, (o * channels + c) * inner + i);
  }
};

// tf.nn.batch_normalization's form: y = x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps).
template <typename T>
void normalise(const channel_layout& l, const T* x, const T* gamma, const T* beta, const T* mean, const T* var,
               T eps, T* y) {
  std::vector<T> inv(static_cast<size_t>(l.channels)), shift(static_cast<size_t>(l.channels));
  for (int64_t c = 0; c < l.channels; ++c) {
    inv[static_cast<size_t>(c)] = T(1) / std::sqrt(var[c] + eps) * gamma[c];
    shift[static_cast<size_t>(c)] = beta[c] - mean[c] * inv[static_cast<size_t>(c)];
  }
  l.each([&](int64_t c, int64_t k) { y[k] = x[k] * inv[static_cast<size_t>(c)] + shift[static_cast<size_t>(c)]; });
}

template <typename T>
void batch_norm_train(const kernel_args& a) {
  const channel_layout l(*a.in[0].shape, a.n.at.i("axis", -1));
  const T* x = a.in[0].as<T>();
  T* mean = a.out[1].as<T>();
  T* var = a.out[2].as<T>();
  std::vector<double> mu(static_cast<size_t>(l.channels), 0.0), sq(static_cast<size_t>(l.channels), 0.0);
  const double n = static_cast<double>(l.count());
  l.each([&](int64_t c, int64_t k) { mu[static_cast<size_t>(c)] += x[k]; });
  for (double& m : mu) m /= n;
  // Two passes, as tf.nn.moments: the biased variance of x around its mean.
  l.each([&](int64_t c, int64_t k) {
    const double d = x[k] - mu[static_cast<size_t>(c)];
    sq[static_cast<size_t>(c)] += d * d;
  });
  for (int64_t c = 0; c < l.channels; ++c) {
    mean[c] = static_cast<T>(mu[static_cast<size_t>(c)]);
    var[c] = static_cast<T>(sq[static_cast<size_t>(c)] / n);
  }
  normalise(l, x, a.in[1].as<T>(), a.in[2].as<T>(), mean, var, static_cast<T>(a.n.at.f("epsilon", 1e-3)), a.out[0].as<T>());
}

template <typename T>
void batch_norm_infer(const kernel_args& a) {
  const channel_layout l(*a.in[0].shape, a.n.at.i("axis", -1));
  normalise(l, a.in[0].as<T>(), a.in[1].as<T>(), a.in[2].as<T>(), a.in[3].as<T>(), a.in[4].as<T>(),
            static_cast<T>(a.n.at.f("epsilon", 1e-3)), a.out[0].as<T>());
}

// With xhat = (x - mean) * rstd and y = gamma * xhat + beta, where mean and var are the batch's:
//   dbeta = sum(dy), dgamma = sum(dy * xhat),
//   dx = gamma * rstd * (dy - dbeta / N - xhat * dgamma / N)   (sums over the N elements of a channel)
template <typename T>
void batch_norm_grad(const kernel_args& a) {
  const channel_layout l(*a.in[0].shape, a.n.at.i("axis", -1));
  const T* x = a.in[0].as<T>();
  const T* gamma = a.in[1].as<T>();
  const T* mean = a.in[2].as<T>();
  const T* var = a.in[3].as<T>();
  const T* dy = a.in[4].as<T>();
  T* dx = a.out[0].as<T>();
  T* dgamma = a.out[1].as<T>();
  T* dbeta = a.out[2].as<T>();
  const double eps = static_cast<double>(static_cast<T>(a.n.at.f("epsilon", 1e-3)));
  std::vector<double> rstd(static_cast<size_t>(l.channels)), sum_dy(rstd.size(), 0.0), sum_dy_xhat(rstd.size(), 0.0);
  for (int64_t c = 0; c < l.channels; ++c) rstd[static_cast<size_t>(c)] = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
  auto xhat = [&](int64_t c, int64_t k) { return (static_cast<double>(x[k]) - mean[c]) * rstd[static_cast<size_t>(c)]; };
  l.each([&](int64_t c, int64_t k) {
    sum_dy[static_cast<size_t>(c)] += dy[k];
    sum_dy_xhat[static_cast<size_t>(c)] += dy[k] * xhat(c, k);
  });
  const double n = static_cast<double>(l.count());
  l.each([&](int64_t c, int64_t k) {
    const size_t ci = static_cast<size_t>(c);
    dx[k] = static_cast<T>(gamma[c] * rstd[ci] * (dy[k] - sum_dy[ci] / n - xhat(c, k) * sum_dy_xhat[ci] / n));
  });
  for (int64_t c = 0; c < l.channels; ++c) {
    dgamma[c] = static_cast<T>(sum_dy_xhat[static_cast<size_t>(c)]);
    dbeta[c] = static_cast<T>(sum_dy[static_cast<size_t>(c)]);
  }
}

// Over the last axis: rows of length D. Outputs y, mean and rstd = 1 / sqrt(var + eps) per row.
template <typename T>
void layer_norm(const kernel_args& a) {
  const int64_t d = a.in[0].shape->back();
  const int64_t rows = d == 0 ? 0 : a.in[0].size / d;
  const T* x = a.in[0].as<T>();
  const T* gamma = a.in[1].as<T>();
  const T* beta = a.in[2].as<T>();
  T* y = a.out[0].as<T>();
  T* mean = a.out[1].as<T>();
  T* rstd = a.out[2].as<T>();
  const T eps = static_cast<T>(a.n.at.f("epsilon", 1e-3));
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * d;
    double mu = 0;
    for (int64_t j = 0; j < d; ++j) mu += xr[j];
    mu /= static_cast<double>(d);
    double sq = 0;
    for (int64_t j = 0; j < d; ++j) sq += (xr[j] - mu) * (xr[j] - mu);
    mean[r] = static_cast<T>(mu);
    const T var = static_cast<T>(sq / static_cast<double>(d));
    rstd[r] = T(1) / std::sqrt(var + eps);
    // As Keras's LayerNormalization: y = x * inv + (beta - mean * inv), inv = rstd * gamma.
    for (int64_t j = 0; j < d; ++j) {
      const T inv = rstd[r] * gamma[j];
      y[r * d + j] = xr[j] * inv + (beta[j] - mean[r] * inv);
    }
  }
}

// With xhat = (x - mean) * rstd and g = dy * gamma, per row of D elements:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); dgamma = sum over rows of dy * xhat; dbeta = sum of dy.
template <typename T>
void layer_norm_grad(const kernel_args& a) {
  const int64_t d = a.in[0].shape->back();
  const int64_t rows = d == 0 ? 0 : a.in[0].size / d;
  const T* x = a.in[0].as<T>();
  const T* gamma = a.in[1].as<T>();
  const T* mean = a.in[2].as<T>();
  const T* rstd = a.in[3].as<T>();
  const T* dy = a.in[4].as<T>();
  T* dx = a.out[0].as<T>();
  std::vector<double> dgamma(static_cast<size_t>(d), 0.0), dbeta(static_cast<size_t>(d), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t base = r * d;
    auto xhat = [&](int64_t j) { return (static_cast<double>(x[base + j]) - mean[r]) * static_cast<double>(rstd[r]); };
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double g = static_cast<double>(dy[base + j]) * gamma[j];
      sum_g += g;
      sum_g_xhat += g * xhat(j);
      dgamma[static_cast<size_t>(j)] += dy[base + j] * xhat(j);
      dbeta[static_cast<size_t>(j)] += dy[base + j];
    }
    const double n = static_cast<double>(d);
    for (int64_t j = 0; j < d; ++j) {
      const double g = static_cast<double>(dy[base + j]) * gamma[j];
      dx[base + j] = static_cast<T>(rstd[r] * (g - sum_g / n - xhat(j) * sum_g_xhat / n));
    }
  }
  for (int64_t j = 0; j < d; ++j) {
    a.out[1].as<T>()[j] = static_cast<T>(dgamma[static_cast<size_t>(j)]);
    a.out[2].as<T>()[j] = static_cast<T>(dbeta[static_cast<size_t>(j)]);
  }
}

// splitmix64 (Steele, Lea, Flood 2014): a bijective mix of a 64-bit counter.
uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Stateless dropout: element k is kept when u >= rate, where u = top 53 bits of
// splitmix64(uint32(seed) * 2^32 + k) / 2^53 is uniform in [0, 1); so it is kept with probability
// 1 - rate, and the mask depends only on the seed's value and the element's index.
// y = x * (1 / (1 - rate)) * mask, as tf.nn.dropout scales then masks.
template <typename T>
void dropout(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const uint64_t seed = static_cast<uint32_t>(a.in[1].as<int32_t>()[0]);
  const double rate = a.n.at.f("rate", 0);
  const T scale = static_cast<T>(1.0 / (1.0 - rate));
  T* y = a.out[0].as<T>();
  T* mask = a.out[1].as<T>();
  for (int64_t k = 0; k < a.in[0].size; ++k) {
    const double u = static_cast<double>(splitmix64((seed << 32) + static_cast<uint64_t>(k)) >> 11) * 0x1.0p-53;
    mask[k] = u >= rate ? T(1) : T(0);
    y[k] = x[k] * scale * mask[k];
  }
}

// Stateless Gaussian noise: element k gets stddev * z, z from the Box-Muller transform of two
// uniforms u1 = (top 53 bits of splitmix64(uint32(seed) * 2^32 + 2k) + 1) / 2^53 in (0, 1] and
// u2 likewise from 2k + 1: z = sqrt(-2 ln u1) cos(2 pi u2).
template <typename T>
void gaussian_noise(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const uint64_t seed = static_cast<uint32_t>(a.in[1].as<int32_t>()[0]);
  const double stddev = a.n.at.f("stddev", 0);
  T* y = a.out[0].as<T>();
  for (int64_t k = 0; k < a.in[0].size; ++k) {
    const uint64_t base = (seed << 32) + 2 * static_cast<uint64_t>(k);
    const double u1 = static_cast<double>((splitmix64(base) >> 11) + 1) * 0x1.0p-53;
    const double u2 = static_cast<double>(splitmix64(base + 1) >> 11) * 0x1.0p-53;
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    y[k] = x[k] + static_cast<T>(stddev * z);
  }
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_batch_norm_train, d, batch_norm_train<T>);
  t.set(kiln_op_batch_norm_infer, d, batch_norm_infer<T>);
  t.set(kiln_op_batch_norm_grad, d, batch_norm_grad<T>);
  t.set(kiln_op_layer_norm, d, layer_norm<T>);
  t.set(kiln_op_layer_norm_grad, d, layer_norm_grad<T>);
  t.set(kiln_op_dropout, d, dropout<T>);
  t.set(kiln_op_gaussian_noise, d, gaussian_noise<T>);
}

}  // namespace

void register_reference_norm(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
}

}  // namespace kiln
