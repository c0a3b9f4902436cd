#include "exec/step_timeline.h"

namespace kiln {

void step_timeline::begin(clock::time_point start, int32_t threads) {
  start_ = start;
  current_ = -1;
  threads_.resize(static_cast<size_t>(threads));
  for (std::vector<span>& t : threads_) t.clear();
}

void step_timeline::add(int32_t thread, int32_t step, clock::time_point start, clock::time_point end) {
  // A loop of another pool (more workers than this step was begun with) is not this step's.
  if (thread < 0 || static_cast<size_t>(thread) >= threads_.size()) return;
  auto ns = [&](clock::time_point t) { return std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count(); };
  threads_[static_cast<size_t>(thread)].push_back({step, ns(start), ns(end)});
}

}  // namespace kiln
