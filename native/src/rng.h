// Kiln's own random number generator. std::mt19937 is portable but the std::*_distribution
// classes are not (each standard library maps bits to values differently), so weights and
// shuffles come from this instead and are bit-identical on every platform.
#pragma once

#include <cstdint>

namespace kiln {

// splitmix64 (Steele, Lea & Flood 2014; reference code by S. Vigna, public domain): a 64-bit
// Weyl sequence passed through a mixing function. Passes BigCrush; plenty for init/shuffle.
class rng {
 public:
  explicit rng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double next_double();
  // Uniform integer in [0, bound), bound >= 1, without modulo bias (rejection sampling).
  uint64_t next_below(uint64_t bound);

 private:
  uint64_t state_;
};

}  // namespace kiln
