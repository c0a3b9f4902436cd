// Image augmentation (random_affine, random_color) as the reference draws and samples it
// (backends/reference/augment.cpp, which documents the stream and the geometry): sample n's
// draw j is splitmix64(uint32(seed) * 2^32 + 8 n + j), and coordinates are computed in double
// with the same formulas, fill modes and interpolation. random_affine runs one thread per output
// pixel (each recomputes its sample's transform); random_color adjusts brightness elementwise,
// then contrast with one block per (sample, channel).
#include <string>

#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

#define KILN_FOR_EACH(i, n) for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)

__device__ uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Sample n's draw j, uniform in [0, 1).
__device__ double uniform(const int32_t* seed, int64_t n, int32_t j) {
  const uint64_t base = (static_cast<uint64_t>(static_cast<uint32_t>(seed[0])) << 32) + 8 * static_cast<uint64_t>(n);
  return static_cast<double>(splitmix64(base + static_cast<uint64_t>(j)) >> 11) * 0x1.0p-53;
}

struct range {
  double lo = 0, hi = 0;
  __device__ double at(double u) const { return lo == hi ? lo : lo + (hi - lo) * u; }
  bool zero() const { return lo == 0 && hi == 0; }
};

range range_of(const node& n, const std::string& base) {
  return {attr_f(n, (base + "_lower").c_str(), 0), attr_f(n, (base + "_upper").c_str(), 0)};
}

std::string attr_s(const node& n, const char* key, const char* fallback) {
  auto it = n.at.strings.find(key);
  return it == n.at.strings.end() ? fallback : it->second;
}

bool has(const node& n, const char* key) {
  return n.at.ints.count(key) || n.at.floats.count(key) || n.at.int_lists.count(key) || n.at.strings.count(key);
}

enum fill_mode : int32_t { fill_reflect, fill_wrap, fill_constant, fill_nearest };

struct affine_op {
  int64_t n = 0, h = 0, w = 0, c = 0;
  bool flip_h = false, flip_v = false, zoom_same = false, geometric = false, bilinear = true;
  double flip_rate = 0.5;
  range th, tw, rot, zh, zw;
  fill_mode mode = fill_reflect;
  float fill_value = 0;
};

// tensorflow/core/kernels/image/image_ops.h MapCoordinate, in double, as the reference's map_coord.
__device__ double map_coord(double c, int64_t len, fill_mode mode) {
  const double last = static_cast<double>(len - 1);
  switch (mode) {
    case fill_constant: return c;
    case fill_nearest: return c < 0 ? 0 : c > last ? last : c;
    case fill_reflect:
      if (c < 0) {
        if (len <= 1) c = 0;
        else {
          const double sz2 = 2.0 * static_cast<double>(len);
          c = sz2 * trunc(-c / sz2) + c;
          c = c < -static_cast<double>(len) ? c + sz2 : -c - 1;
        }
      } else if (c > last) {
        if (len <= 1) c = 0;
        else {
          const double sz2 = 2.0 * static_cast<double>(len);
          c -= sz2 * trunc(c / sz2);
          if (c >= static_cast<double>(len)) c = sz2 - c - 1;
        }
      }
      break;
    case fill_wrap:
      if (c < 0) {
        if (len <= 1) c = 0;
        else c += static_cast<double>(len) * (trunc(-c / last) + 1);
      } else if (c > last) {
        if (len <= 1) c = 0;
        else c -= static_cast<double>(len) * trunc(c / last);
      }
      break;
  }
  return c < 0 ? 0 : c > last ? last : c;
}

__global__ void random_affine_kernel(const float* x, const int32_t* seed, affine_op p, float* y, int64_t pixels) {
  const int64_t H = p.h, W = p.w, C = p.c;
  const double cx = 0.5 * static_cast<double>(W - 1), cy = 0.5 * static_cast<double>(H - 1);
  KILN_FOR_EACH(q, pixels) {
    const int64_t ox = q % W, oy = q / W % H, n = q / (W * H);
    const bool flipped = (p.flip_h || p.flip_v) && uniform(seed, n, 0) < p.flip_rate;
    const bool fh = flipped && p.flip_h, fv = flipped && p.flip_v;
    const float* xn = x + n * H * W * C;
    float* out = y + q * C;
    // Input pixel (iy, ix) of the flipped image, or fill_value outside it.
    auto read = [&](int64_t iy, int64_t ix, int64_t c) -> float {
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) return p.fill_value;
      return xn[((fv ? H - 1 - iy : iy) * W + (fh ? W - 1 - ix : ix)) * C + c];
    };
    if (!p.geometric) {
      for (int64_t c = 0; c < C; ++c) out[c] = read(oy, ox, c);
      continue;
    }
    // Keras's matrices, composed: zoom about the centre, rotation about the centre, translation.
    const double ty = p.th.at(uniform(seed, n, 1)) * static_cast<double>(H), tx = p.tw.at(uniform(seed, n, 2)) * static_cast<double>(W);
    const double angle = p.rot.at(uniform(seed, n, 3)) * 360.0 * (3.14159265358979323846 / 180.0);
    const double zy = 1.0 + p.zh.at(uniform(seed, n, 4)), zx = p.zoom_same ? zy : 1.0 + p.zw.at(uniform(seed, n, 5));
    const double cs = cos(angle), sn = sin(angle);
    const double a2 = cx - cx * cs + cy * sn, b2 = cy - cx * sn - cy * cs;
    const double x1 = zx * static_cast<double>(ox) + cx * (1.0 - zx), y1 = zy * static_cast<double>(oy) + cy * (1.0 - zy);
    const double x2 = cs * x1 - sn * y1 + a2, y2 = sn * x1 + cs * y1 + b2;
    if (!isfinite(x2 - tx) || !isfinite(y2 - ty)) {
      for (int64_t c = 0; c < C; ++c) out[c] = p.fill_value;
      continue;
    }
    const double px = map_coord(x2 - tx, W, p.mode), py = map_coord(y2 - ty, H, p.mode);
    if (!p.bilinear) {
      const int64_t ix = static_cast<int64_t>(round(px)), iy = static_cast<int64_t>(round(py));
      for (int64_t c = 0; c < C; ++c) out[c] = read(iy, ix, c);
      continue;
    }
    const double fx = floor(px), fy = floor(py);
    const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
    const double wx1 = px - fx, wx0 = fx + 1 - px, wy1 = py - fy, wy0 = fy + 1 - py;
    for (int64_t c = 0; c < C; ++c) {
      const double top = wx0 * static_cast<double>(read(y0, x0, c)) + wx1 * static_cast<double>(read(y0, x0 + 1, c));
      const double bottom = wx0 * static_cast<double>(read(y0 + 1, x0, c)) + wx1 * static_cast<double>(read(y0 + 1, x0 + 1, c));
      out[c] = static_cast<float>(wy0 * top + wy1 * bottom);
    }
  }
}

struct color_op {
  int64_t hwc = 0, hw = 0, c = 0;
  bool brightness = false, contrast = false;
  range br, ct;
  float lo = 0, hi = 255;
  double span = 255;
};

__device__ float clip(float v, const color_op& p) { return v < p.lo ? p.lo : v > p.hi ? p.hi : v; }

__global__ void brightness_kernel(const float* x, const int32_t* seed, color_op p, float* y, int64_t n) {
  KILN_FOR_EACH(k, n) {
    if (!p.brightness) {
      y[k] = x[k];
      continue;
    }
    const float delta = static_cast<float>(p.br.at(uniform(seed, k / p.hwc, 0)) * p.span);
    y[k] = clip(x[k] + delta, p);
  }
}

// In place: each (sample, channel) about its mean (summed in double), read before any write.
__global__ void contrast_kernel(const int32_t* seed, color_op p, float* y, int64_t groups) {
  __shared__ double shared[threads];
  for (int64_t g = blockIdx.x; g < groups; g += gridDim.x) {
    const int64_t n = g / p.c;
    float* yc = y + n * p.hwc + g % p.c;
    double acc = 0;
    for (int64_t i = threadIdx.x; i < p.hw; i += blockDim.x) acc += static_cast<double>(yc[i * p.c]);
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (int32_t s = blockDim.x / 2; s > 0; s /= 2) {
      if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
      __syncthreads();
    }
    const float mean = static_cast<float>(shared[0] / static_cast<double>(p.hw));
    const float factor = static_cast<float>(p.ct.at(uniform(seed, n, 1)));
    for (int64_t i = threadIdx.x; i < p.hw; i += blockDim.x) yc[i * p.c] = clip((yc[i * p.c] - mean) * factor + mean, p);
    __syncthreads();
  }
}

void random_affine(const kernel_args& a) {
  const shape_t& s = *a.in[0].shape;
  affine_op p;
  p.n = s[0];
  p.h = s[1];
  p.w = s[2];
  p.c = s[3];
  const std::string flip = attr_s(a.n, "flip", "none");
  p.flip_h = flip == "horizontal" || flip == "horizontal_and_vertical";
  p.flip_v = flip == "vertical" || flip == "horizontal_and_vertical";
  p.flip_rate = attr_f(a.n, "flip_rate", 0.5);
  p.th = range_of(a.n, "translate_height");
  p.tw = range_of(a.n, "translate_width");
  p.rot = range_of(a.n, "rotation");
  p.zh = range_of(a.n, "zoom_height");
  p.zw = range_of(a.n, "zoom_width");
  p.zoom_same = attr_i(a.n, "zoom_width_same", 0) != 0;
  p.geometric = !(p.th.zero() && p.tw.zero() && p.rot.zero() && p.zh.zero() && (p.zoom_same || p.zw.zero()));
  const std::string fm = attr_s(a.n, "fill_mode", "reflect");
  p.mode = fm == "wrap" ? fill_wrap : fm == "constant" ? fill_constant : fm == "nearest" ? fill_nearest : fill_reflect;
  p.bilinear = attr_s(a.n, "interpolation", "bilinear") != "nearest";
  p.fill_value = static_cast<float>(attr_f(a.n, "fill_value", 0));
  const int64_t pixels = p.n * p.h * p.w;
  if (pixels == 0 || p.c == 0) return;
  random_affine_kernel<<<blocks_for(pixels), threads, 0, stream()>>>(a.in[0].as<float>(), a.in[1].as<int32_t>(), p, a.out[0].as<float>(), pixels);
  launched("random_affine");
}

void random_color(const kernel_args& a) {
  const shape_t& s = *a.in[0].shape;
  color_op p;
  p.hw = s[1] * s[2];
  p.c = s[3];
  p.hwc = p.hw * p.c;
  p.brightness = has(a.n, "brightness_lower") || has(a.n, "brightness_upper");
  p.contrast = has(a.n, "contrast_lower") || has(a.n, "contrast_upper");
  p.br = range_of(a.n, "brightness");
  p.ct = range_of(a.n, "contrast");
  p.lo = static_cast<float>(attr_f(a.n, "value_min", 0));
  p.hi = static_cast<float>(attr_f(a.n, "value_max", 255));
  p.span = attr_f(a.n, "value_max", 255) - attr_f(a.n, "value_min", 0);
  const int64_t n = a.out[0].size;
  if (n == 0) return;
  const int32_t* seed = a.in[1].as<int32_t>();
  float* y = a.out[0].as<float>();
  brightness_kernel<<<blocks_for(n), threads, 0, stream()>>>(a.in[0].as<float>(), seed, p, y, n);
  if (!launched("random_color") || !p.contrast) return;
  const int64_t groups = s[0] * p.c;
  const unsigned int grid = static_cast<unsigned int>(groups < 65535 * 8 ? groups : 65535 * 8);
  contrast_kernel<<<grid, threads, 0, stream()>>>(seed, p, y, groups);
  launched("random_color");
}

}  // namespace

void register_augment(kernel_table& t) {
  t.set(kiln_op_random_affine, kiln_dtype_f32, random_affine);
  t.set(kiln_op_random_color, kiln_dtype_f32, random_color);
}

}  // namespace kiln::cuda
