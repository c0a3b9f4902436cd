#include "scratch.h"

#include <atomic>

namespace kiln {

namespace {

std::atomic<int64_t> held{0};

}  // namespace

int64_t scratch_bytes() { return held.load(std::memory_order_relaxed); }

void count_scratch(int64_t delta) { held.fetch_add(delta, std::memory_order_relaxed); }

}  // namespace kiln
