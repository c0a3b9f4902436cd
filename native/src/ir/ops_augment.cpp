// Image augmentation: random geometric and colour transforms of NHWC images, with the semantics of
// Keras 3's preprocessing layers (RandomFlip, RandomTranslation, RandomRotation, RandomZoom,
// RandomBrightness, RandomContrast) on the TensorFlow backend.
//
// Both ops take (x [N, H, W, C], seed i32 []) and return y of x's shape and dtype. Each sample
// draws its own parameters from a stateless stream keyed by (seed, sample index), so the same
// seed gives the same augmentation (see backends/reference/augment.cpp for the stream). A range
// attribute pair (lower, upper) is sampled uniformly; lower == upper fixes the parameter, which
// is how tests pin a transform. They augment model inputs only, so they are not differentiable.
//
// random_affine attributes (all optional; an absent range is (0, 0)):
//   flip: "none" | "horizontal" | "vertical" | "horizontal_and_vertical" (one draw flips both
//         axes, as Keras's RandomFlip does); flip_rate: probability a sample is flipped (0.5)
//   translate_height_lower/upper, translate_width_lower/upper: shifts as fractions of H and W
//         (positive moves the image down / right)
//   rotation_lower/upper: angle as a fraction of a full turn (positive: counter-clockwise)
//   zoom_height_lower/upper, zoom_width_lower/upper: the sampling grid is scaled by 1 + value
//         about the centre (negative zooms in); zoom_width_same (0/1): width uses the height draw
//   fill_mode: "reflect" (default) | "wrap" | "constant" | "nearest"; fill_value (0) for constant
//   interpolation: "bilinear" (default) | "nearest"
// Output pixel (x, y) samples the (flipped) input at T(R(Z(x, y))): zoom, then rotation, then
// translation, as tf.raw_ops.ImageProjectiveTransformV3 does with Keras's matrices.
//
// random_color attributes:
//   brightness_lower/upper: adds value * (value_max - value_min), then clips to the value range
//   contrast_lower/upper: the contrast multiplier range; y = (x - mean) * factor + mean with the
//         per-sample, per-channel mean over H and W, then clipped to the value range
//   value_min, value_max: the value range (0, 255)
// At least one of brightness_* and contrast_* must be given; brightness is applied first.
#include <sstream>

#include "ir/op_table.h"

namespace kiln {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string check_image_and_seed(const shape_ctx& c) {
  if (!is_float(c.in_dtypes[0])) return std::string("needs a float input, got ") + dtype_name(c.in_dtypes[0]);
  if (c.in_shapes[0].size() != 4) {
    return "needs images [batch, height, width, channels] (rank 4), got " + shape_string(c.in_shapes[0]);
  }
  if (c.in_dtypes[1] != kiln_dtype_i32 || !c.in_shapes[1].empty()) {
    return std::string("seed must be an int32 scalar, got ") + dtype_name(c.in_dtypes[1]) + " " + shape_string(c.in_shapes[1]);
  }
  return "";
}

// A (<base>_lower, <base>_upper) range: finite, lower <= upper, within [min, max].
std::string check_range(const shape_ctx& c, const std::string& base, double min, double max, bool open_min = false) {
  const double lo = c.at.f(base + "_lower", 0), hi = c.at.f(base + "_upper", 0);
  if (!(lo <= hi)) return base + "_lower must not exceed " + base + "_upper, got " + number(lo) + " and " + number(hi);
  if (open_min ? !(lo > min) : !(lo >= min)) return base + "_lower must be " + (open_min ? "above " : "at least ") + number(min) + ", got " + number(lo);
  if (!(hi <= max)) return base + "_upper must be at most " + number(max) + ", got " + number(hi);
  return "";
}

std::string check_choice(const shape_ctx& c, const char* key, const std::string& fallback, std::initializer_list<const char*> options) {
  auto it = c.at.strings.find(key);
  const std::string v = it == c.at.strings.end() ? fallback : it->second;
  std::string all;
  for (const char* o : options) {
    if (v == o) return "";
    all += (all.empty() ? "" : ", ") + std::string(o);
  }
  return std::string(key) + " must be one of " + all + ", got '" + v + "'";
}

std::string random_affine_shape(shape_ctx& c) {
  if (std::string e = check_image_and_seed(c); !e.empty()) return e;
  if (std::string e = check_choice(c, "flip", "none", {"none", "horizontal", "vertical", "horizontal_and_vertical"}); !e.empty()) return e;
  if (std::string e = check_choice(c, "fill_mode", "reflect", {"reflect", "wrap", "constant", "nearest"}); !e.empty()) return e;
  if (std::string e = check_choice(c, "interpolation", "bilinear", {"bilinear", "nearest"}); !e.empty()) return e;
  const double rate = c.at.f("flip_rate", 0.5);
  if (!(rate >= 0 && rate <= 1)) return "flip_rate must be in [0, 1], got " + number(rate);
  for (const char* base : {"translate_height", "translate_width", "rotation"}) {
    if (std::string e = check_range(c, base, -1e6, 1e6); !e.empty()) return e;
  }
  for (const char* base : {"zoom_height", "zoom_width"}) {  // the grid scale 1 + value must stay positive
    if (std::string e = check_range(c, base, -1, 1e6, true); !e.empty()) return e;
  }
  const double fill = c.at.f("fill_value", 0);
  if (!(fill == fill)) return "fill_value must be a number";
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

std::string random_color_shape(shape_ctx& c) {
  if (std::string e = check_image_and_seed(c); !e.empty()) return e;
  const bool brightness = c.at.has("brightness_lower") || c.at.has("brightness_upper");
  const bool contrast = c.at.has("contrast_lower") || c.at.has("contrast_upper");
  if (!brightness && !contrast) return "needs brightness_lower/upper or contrast_lower/upper attributes";
  if (brightness) {
    if (std::string e = check_range(c, "brightness", -1e6, 1e6); !e.empty()) return e;
  }
  if (contrast) {
    if (std::string e = check_range(c, "contrast", 0, 1e6); !e.empty()) return e;
  }
  const double lo = c.at.f("value_min", 0), hi = c.at.f("value_max", 255);
  if (!(lo < hi)) return "value_min must be below value_max, got " + number(lo) + " and " + number(hi);
  c.set_output(c.in_shapes[0], c.in_dtypes[0]);
  return "";
}

}  // namespace

void describe_augment_ops(op_info* t) {
  t[kiln_op_random_affine] = {"random_affine", 2, 2, random_affine_shape, nullptr, kiln_opf_not_differentiable};
  t[kiln_op_random_color] = {"random_color", 2, 2, random_color_shape, nullptr, kiln_opf_not_differentiable};
}

}  // namespace kiln
