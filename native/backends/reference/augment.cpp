// Image augmentation kernels (random_affine, random_color); semantics in src/ir/ops_augment.cpp.
//
// The random stream: sample n's draw number j (j < 8) is the uniform u = top 53 bits of
// splitmix64(uint32(seed) * 2^32 + 8 n + j) / 2^53 in [0, 1), and a range (lower, upper) gives
// lower + (upper - lower) * u (exactly lower when they are equal). Draws: random_affine 0 flip
// (flipped when u < flip_rate), 1 translate height, 2 translate width, 3 rotation, 4 zoom height,
// 5 zoom width; random_color 0 brightness, 1 contrast.
//
// The geometric sampling follows tf.raw_ops.ImageProjectiveTransformV3, which Keras 3's layers
// call on the TensorFlow backend: the input coordinate is mapped into the image by the fill mode
// (with TensorFlow's reflect / wrap arithmetic), then read by nearest (round half away from zero)
// or bilinear interpolation, where a neighbour outside the image reads fill_value. Coordinates
// are computed in double. Samples run in parallel on the pool when there is one.
#include <cmath>
#include <cstring>
#include <string>

#include "exec/thread_pool.h"
#include "reference/reference.h"

namespace kiln {

namespace {

uint64_t mix(uint64_t z) {  // splitmix64, as dropout's stream
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct sample_stream {
  uint64_t base;
  sample_stream(int32_t seed, int64_t n) : base((static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 32) + 8 * static_cast<uint64_t>(n)) {}
  double uniform(int j) const { return static_cast<double>(mix(base + static_cast<uint64_t>(j)) >> 11) * 0x1.0p-53; }
};

struct range {
  double lo = 0, hi = 0;
  range(const attrs& at, const std::string& base) : lo(at.f(base + "_lower", 0)), hi(at.f(base + "_upper", 0)) {}
  double at(double u) const { return lo == hi ? lo : lo + (hi - lo) * u; }
  bool zero() const { return lo == 0 && hi == 0; }
};

std::string str(const attrs& at, const char* key, const char* fallback) {
  auto it = at.strings.find(key);
  return it == at.strings.end() ? fallback : it->second;
}

template <typename F>
void for_samples(thread_pool* pool, int64_t n, F f) {
  if (pool && n > 1) pool->parallel_for(n, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) f(i); }, 1);
  else for (int64_t i = 0; i < n; ++i) f(i);
}

enum class fill { reflect, wrap, constant, nearest };

// tensorflow/core/kernels/image/image_ops.h MapCoordinate, in double.
double map_coord(double c, int64_t len, fill mode) {
  const double last = static_cast<double>(len - 1);
  switch (mode) {
    case fill::constant: return c;
    case fill::nearest: return c < 0 ? 0 : c > last ? last : c;
    case fill::reflect:
      if (c < 0) {
        if (len <= 1) c = 0;
        else {
          const double sz2 = 2.0 * static_cast<double>(len);
          c = sz2 * std::trunc(-c / sz2) + c;
          c = c < -static_cast<double>(len) ? c + sz2 : -c - 1;
        }
      } else if (c > last) {
        if (len <= 1) c = 0;
        else {
          const double sz2 = 2.0 * static_cast<double>(len);
          c -= sz2 * std::trunc(c / sz2);
          if (c >= static_cast<double>(len)) c = sz2 - c - 1;
        }
      }
      break;
    case fill::wrap:
      if (c < 0) {
        if (len <= 1) c = 0;
        else c += static_cast<double>(len) * (std::trunc(-c / last) + 1);
      } else if (c > last) {
        if (len <= 1) c = 0;
        else c -= static_cast<double>(len) * std::trunc(c / last);
      }
      break;
  }
  return c < 0 ? 0 : c > last ? last : c;
}

template <typename T>
void random_affine(const kernel_args& a) {
  const shape_t& s = *a.in[0].shape;
  const int64_t N = s[0], H = s[1], W = s[2], C = s[3];
  const T* x = a.in[0].as<T>();
  const int32_t seed = a.in[1].as<int32_t>()[0];
  T* y = a.out[0].as<T>();
  const attrs& at = a.n.at;

  const std::string flip_mode = str(at, "flip", "none");
  const bool flip_h = flip_mode == "horizontal" || flip_mode == "horizontal_and_vertical";
  const bool flip_v = flip_mode == "vertical" || flip_mode == "horizontal_and_vertical";
  const double flip_rate = at.f("flip_rate", 0.5);
  const range th(at, "translate_height"), tw(at, "translate_width"), rot(at, "rotation"), zh(at, "zoom_height"), zw(at, "zoom_width");
  const bool zoom_same = at.i("zoom_width_same", 0) != 0;
  const bool geometric = !(th.zero() && tw.zero() && rot.zero() && zh.zero() && (zoom_same || zw.zero()));
  const std::string fm = str(at, "fill_mode", "reflect");
  const fill mode = fm == "wrap" ? fill::wrap : fm == "constant" ? fill::constant : fm == "nearest" ? fill::nearest : fill::reflect;
  const bool bilinear = str(at, "interpolation", "bilinear") != "nearest";
  const T fill_value = static_cast<T>(at.f("fill_value", 0));
  const double cx = 0.5 * static_cast<double>(W - 1), cy = 0.5 * static_cast<double>(H - 1);
  const int64_t image = H * W * C;

  for_samples(a.pool, N, [&](int64_t n) {
    const sample_stream r(seed, n);
    const bool flipped = (flip_h || flip_v) && r.uniform(0) < flip_rate;
    const bool fh = flipped && flip_h, fv = flipped && flip_v;
    const T* xn = x + n * image;
    T* yn = y + n * image;
    // The value of input pixel (iy, ix) of the flipped image, or fill_value outside it.
    auto read = [&](int64_t iy, int64_t ix, int64_t c) -> T {
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) return fill_value;
      return xn[((fv ? H - 1 - iy : iy) * W + (fh ? W - 1 - ix : ix)) * C + c];
    };
    if (!geometric) {
      for (int64_t iy = 0; iy < H; ++iy)
        for (int64_t ix = 0; ix < W; ++ix)
          for (int64_t c = 0; c < C; ++c) yn[(iy * W + ix) * C + c] = read(iy, ix, c);
      return;
    }
    // Keras's matrices, composed: zoom about the centre, rotation about the centre, translation.
    const double ty = th.at(r.uniform(1)) * static_cast<double>(H), tx = tw.at(r.uniform(2)) * static_cast<double>(W);
    const double angle = rot.at(r.uniform(3)) * 360.0 * (3.14159265358979323846 / 180.0);
    const double zy = 1.0 + zh.at(r.uniform(4)), zx = zoom_same ? zy : 1.0 + zw.at(r.uniform(5));
    const double cs = std::cos(angle), sn = std::sin(angle);
    const double a2 = cx - cx * cs + cy * sn, b2 = cy - cx * sn - cy * cs;
    for (int64_t oy = 0; oy < H; ++oy) {
      for (int64_t ox = 0; ox < W; ++ox) {
        const double x1 = zx * static_cast<double>(ox) + cx * (1.0 - zx), y1 = zy * static_cast<double>(oy) + cy * (1.0 - zy);
        const double x2 = cs * x1 - sn * y1 + a2, y2 = sn * x1 + cs * y1 + b2;
        T* out = yn + (oy * W + ox) * C;
        if (!std::isfinite(x2 - tx) || !std::isfinite(y2 - ty)) {
          for (int64_t c = 0; c < C; ++c) out[c] = fill_value;
          continue;
        }
        const double px = map_coord(x2 - tx, W, mode), py = map_coord(y2 - ty, H, mode);
        if (!bilinear) {
          const int64_t ix = static_cast<int64_t>(std::round(px)), iy = static_cast<int64_t>(std::round(py));
          for (int64_t c = 0; c < C; ++c) out[c] = read(iy, ix, c);
          continue;
        }
        const double fx = std::floor(px), fy = std::floor(py);
        const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
        const double wx1 = px - fx, wx0 = fx + 1 - px, wy1 = py - fy, wy0 = fy + 1 - py;
        for (int64_t c = 0; c < C; ++c) {
          const double top = wx0 * static_cast<double>(read(y0, x0, c)) + wx1 * static_cast<double>(read(y0, x0 + 1, c));
          const double bottom = wx0 * static_cast<double>(read(y0 + 1, x0, c)) + wx1 * static_cast<double>(read(y0 + 1, x0 + 1, c));
          out[c] = static_cast<T>(wy0 * top + wy1 * bottom);
        }
      }
    }
  });
}

template <typename T>
void random_color(const kernel_args& a) {
  const shape_t& s = *a.in[0].shape;
  const int64_t N = s[0], HW = s[1] * s[2], C = s[3];
  const T* x = a.in[0].as<T>();
  const int32_t seed = a.in[1].as<int32_t>()[0];
  T* y = a.out[0].as<T>();
  const attrs& at = a.n.at;
  const bool brightness = at.has("brightness_lower") || at.has("brightness_upper");
  const bool contrast = at.has("contrast_lower") || at.has("contrast_upper");
  const range br(at, "brightness"), ct(at, "contrast");
  const T lo = static_cast<T>(at.f("value_min", 0)), hi = static_cast<T>(at.f("value_max", 255));
  const double span = at.f("value_max", 255) - at.f("value_min", 0);
  auto clip = [&](T v) { return v < lo ? lo : v > hi ? hi : v; };

  for_samples(a.pool, N, [&](int64_t n) {
    const sample_stream r(seed, n);
    const T* xn = x + n * HW * C;
    T* yn = y + n * HW * C;
    if (brightness) {
      const T delta = static_cast<T>(br.at(r.uniform(0)) * span);
      for (int64_t k = 0; k < HW * C; ++k) yn[k] = clip(xn[k] + delta);
    } else {
      std::memcpy(yn, xn, sizeof(T) * static_cast<size_t>(HW * C));
    }
    if (contrast) {
      const T factor = static_cast<T>(ct.at(r.uniform(1)));
      for (int64_t c = 0; c < C; ++c) {
        double sum = 0;
        for (int64_t p = 0; p < HW; ++p) sum += static_cast<double>(yn[p * C + c]);
        const T mean = static_cast<T>(sum / static_cast<double>(HW));
        for (int64_t p = 0; p < HW; ++p) yn[p * C + c] = clip((yn[p * C + c] - mean) * factor + mean);
      }
    }
  });
}

template <typename T>
void register_for(kernel_table& t, kiln_dtype d) {
  t.set(kiln_op_random_affine, d, random_affine<T>);
  t.set(kiln_op_random_color, d, random_color<T>);
}

}  // namespace

void register_reference_augment(kernel_table& t) {
  register_for<float>(t, kiln_dtype_f32);
  register_for<double>(t, kiln_dtype_f64);
}

}  // namespace kiln
