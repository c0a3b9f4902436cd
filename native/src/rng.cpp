#include "rng.h"

namespace kiln {

uint64_t rng::next_u64() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double rng::next_double() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

uint64_t rng::next_below(uint64_t bound) {
  // Values below `threshold` would make some remainders more likely than others; redraw them.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = next_u64();
    if (r >= threshold) return r % bound;
  }
}

}  // namespace kiln
