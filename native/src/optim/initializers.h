// Weight initializers with Keras 3's definitions and defaults (keras/src/initializers), drawn
// from Kiln's own generator so a seed gives the same weights on every platform.
//
// Streams: the weights of param P under run seed S come from kiln::rng seeded with
// S XOR FNV-1a-64(P's name), so adding a layer does not change the others' initial weights.
// Normals use the Box-Muller transform; truncated normals redraw values beyond two standard
// deviations, as Keras's TruncatedNormal does.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/ir.h"

namespace kiln {

struct init_spec {
  // zeros, ones, constant, random_uniform, random_normal, truncated_normal, glorot_uniform,
  // glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal
  std::string type = "glorot_uniform";
  double value = 0.0;                        // constant
  double minval = -0.05, maxval = 0.05;      // random_uniform
  double mean = 0.0, stddev = 0.05;          // random_normal, truncated_normal
};

// "" when the type is known, else the reason.
std::string check_init(const init_spec& spec);

// Keras's compute_fans: for kernels of rank > 2 (conv, HWIO) the receptive field multiplies.
void compute_fans(const shape_t& shape, double& fan_in, double& fan_out);

// Fills `count` floats for a param of `shape` named `name`.
void initialize(const init_spec& spec, const shape_t& shape, const std::string& name, uint64_t seed, float* out);

}  // namespace kiln
