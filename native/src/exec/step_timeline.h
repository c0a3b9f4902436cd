// The timeline of one profiled training step, per thread: which step of the plan (op) each
// thread worked on, and when. Thread 0 runs the plan and records every op from its start to its
// end (its own share of the op's parallel loops is inside that span); pool worker k records, as
// thread k + 1, the stretch of each loop it took part in. Each thread writes only its own list,
// so recording takes no lock; the lists are read once the step is done.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "exec/thread_pool.h"

namespace kiln {

class step_timeline final : public loop_observer {
 public:
  using clock = std::chrono::steady_clock;

  struct span {
    int32_t step;              // the plan step (op) the thread worked on
    int64_t start_ns, end_ns;  // from the training step's start
  };

  // Starts a step that began at `start` and runs on `threads` threads (the pool's size, the
  // running thread included); forgets the previous step's spans but keeps their memory.
  void begin(clock::time_point start, int32_t threads);
  // Thread 0: the plan is about to run step `step`, and ran it from `start` to `end`.
  void enter(int32_t step) { current_ = step; }
  void ran(int32_t step, clock::time_point start, clock::time_point end) { add(0, step, start, end); }
  void worker_span(int32_t worker, clock::time_point start, clock::time_point end) override {
    add(worker + 1, current_, start, end);
  }

  int32_t threads() const { return static_cast<int32_t>(threads_.size()); }
  // The spans of thread t, in time order.
  const std::vector<span>& spans(int32_t t) const { return threads_[static_cast<size_t>(t)]; }

 private:
  void add(int32_t thread, int32_t step, clock::time_point start, clock::time_point end);

  clock::time_point start_{};
  int32_t current_ = -1;  // written by thread 0 before a loop starts, read by workers during it
  std::vector<std::vector<span>> threads_;
};

}  // namespace kiln
