#include "optim/initializers.h"

#include <cmath>

#include "rng.h"

namespace kiln {

namespace {

constexpr double kiln_pi = 3.14159265358979323846;
// Keras divides the variance-scaling stddev by this: the stddev of a unit normal truncated at +-2.
constexpr double kiln_truncated_stddev = 0.87962566103423978;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

double normal(rng& r) {
  // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
  const double u = 1.0 - r.next_double();
  const double v = r.next_double();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * kiln_pi * v);
}

double truncated(rng& r) {
  for (;;) {
    const double x = normal(r);
    if (std::fabs(x) <= 2.0) return x;
  }
}

struct variance_scaling {
  double scale;
  const char* mode;  // fan_in, fan_avg
  bool uniform;
};

bool variance_scaling_of(const std::string& type, variance_scaling& out) {
  if (type == "glorot_uniform") out = {1.0, "fan_avg", true};
  else if (type == "glorot_normal") out = {1.0, "fan_avg", false};
  else if (type == "he_uniform") out = {2.0, "fan_in", true};
  else if (type == "he_normal") out = {2.0, "fan_in", false};
  else if (type == "lecun_uniform") out = {1.0, "fan_in", true};
  else if (type == "lecun_normal") out = {1.0, "fan_in", false};
  else return false;
  return true;
}

}  // namespace

std::string check_init(const init_spec& spec) {
  variance_scaling vs;
  const std::string& t = spec.type;
  if (t == "zeros" || t == "ones" || t == "constant" || t == "random_uniform" || t == "random_normal" ||
      t == "truncated_normal" || variance_scaling_of(t, vs)) {
    if (t == "random_uniform" && !(spec.minval < spec.maxval)) return "random_uniform needs minval < maxval";
    if ((t == "random_normal" || t == "truncated_normal") && !(spec.stddev > 0)) return t + " needs stddev > 0";
    return "";
  }
  return "unknown initializer '" + t + "' (use glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, " +
         "lecun_normal, random_uniform, random_normal, truncated_normal, zeros, ones or constant)";
}

void compute_fans(const shape_t& shape, double& fan_in, double& fan_out) {
  if (shape.empty()) {
    fan_in = fan_out = 1;
  } else if (shape.size() == 1) {
    fan_in = fan_out = static_cast<double>(shape[0]);
  } else if (shape.size() == 2) {
    fan_in = static_cast<double>(shape[0]);
    fan_out = static_cast<double>(shape[1]);
  } else {
    double receptive = 1;
    for (size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
    fan_in = static_cast<double>(shape[shape.size() - 2]) * receptive;
    fan_out = static_cast<double>(shape[shape.size() - 1]) * receptive;
  }
}

void initialize(const init_spec& spec, const shape_t& shape, const std::string& name, uint64_t seed, float* out) {
  const int64_t n = shape_elements(shape);
  rng r(seed ^ fnv1a(name));
  const std::string& t = spec.type;
  variance_scaling vs;
  if (t == "zeros" || t == "ones" || t == "constant") {
    const float v = t == "zeros" ? 0.0f : t == "ones" ? 1.0f : static_cast<float>(spec.value);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  } else if (t == "random_uniform") {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(spec.minval + (spec.maxval - spec.minval) * r.next_double());
  } else if (t == "random_normal") {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(spec.mean + spec.stddev * normal(r));
  } else if (t == "truncated_normal") {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(spec.mean + spec.stddev * truncated(r));
  } else if (variance_scaling_of(t, vs)) {
    double fan_in, fan_out;
    compute_fans(shape, fan_in, fan_out);
    const double fans = std::string(vs.mode) == "fan_in" ? fan_in : (fan_in + fan_out) / 2.0;
    const double variance = vs.scale / std::fmax(1.0, fans);
    if (vs.uniform) {
      const double limit = std::sqrt(3.0 * variance);
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(-limit + 2.0 * limit * r.next_double());
    } else {
      const double stddev = std::sqrt(variance) / kiln_truncated_stddev;
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(stddev * truncated(r));
    }
  }
}

}  // namespace kiln
