// A fixed set of worker threads for data-parallel loops. parallel_for splits [0, n) into chunks,
// runs them on the workers and on the calling thread, and returns when all are done.
//
// No allocation per call: the loop body is passed by reference through a function pointer, and
// the job lives in the pool. One parallel_for runs at a time per pool; other callers wait their
// turn. A parallel_for started from inside one of this pool's own loops runs inline (serially)
// instead of deadlocking. Loop bodies must not throw.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace kiln {

// Told, while profiling, when each worker took part in a loop: the profiler's timeline of a step
// per thread. Called on the worker's thread, between its first and last chunk of the loop.
class loop_observer {
 public:
  virtual void worker_span(int32_t worker, std::chrono::steady_clock::time_point start,
                           std::chrono::steady_clock::time_point end) = 0;

 protected:
  ~loop_observer() = default;
};

class thread_pool {
 public:
  // threads: how many threads take part in a loop, the caller included, so threads - 1
  // workers are started. <= 0 means std::thread::hardware_concurrency() (at least 1).
  explicit thread_pool(int32_t threads = 0);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  // Threads that take part in a loop, the caller included.
  int32_t size() const { return static_cast<int32_t>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint chunks covering [0, n) and blocks until all return.
  // Chunks are `grain` items long (the last may be shorter); grain <= 0 splits n evenly
  // over size() threads. Threads claim chunks dynamically, so a small grain balances uneven work.
  template <typename F>
  void parallel_for(int64_t n, F&& fn, int64_t grain = 0) {
    using fn_type = std::remove_reference_t<F>;
    run(n, grain,
        [](void* ctx, int64_t begin, int64_t end) { (*static_cast<fn_type*>(ctx))(begin, end); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // True on this pool's worker threads and on a thread running a parallel_for of this pool.
  bool in_parallel_region() const;

  // Loops that the calling thread starts from now on report to `o` (null, the default: to no one,
  // at the cost of one branch per loop). Workers are numbered from 0 to size() - 2.
  static void observe_loops(loop_observer* o);

 private:
  using task_fn = void (*)(void* ctx, int64_t begin, int64_t end);

  struct alignas(64) worker_slot {
    std::atomic<uint64_t> generation{0};  // the job this worker should run next
  };

  void run(int64_t n, int64_t grain, task_fn fn, void* ctx);
  void worker_main(int32_t index);
  bool work_on_job();  // false when every chunk was taken before this thread got one

  std::vector<std::thread> workers_;
  std::unique_ptr<worker_slot[]> slots_;

  std::mutex run_mutex_;  // one parallel_for at a time

  // The current job, written by the caller before it bumps the workers' generations.
  task_fn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int64_t grain_ = 1;
  loop_observer* observer_ = nullptr;
  alignas(64) std::atomic<int64_t> next_{0};     // first unclaimed item
  alignas(64) std::atomic<int32_t> pending_{0};  // workers still on the job
  uint64_t generation_ = 0;

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;  // workers sleep here between jobs
  std::condition_variable done_cv_;  // the caller sleeps here until pending_ is 0
  int32_t sleepers_ = 0;             // workers waiting on wake_cv_ (guarded by wake_mutex_)
  std::atomic<bool> stop_{false};    // set under wake_mutex_ by the destructor
};

// The process-wide pool, sized to the hardware. Created on first use and never destroyed,
// so worker threads never race static destructors at process exit.
thread_pool& default_thread_pool();

// A process-wide pool of `threads` threads (the default pool at its size), created on first use
// and kept like it: GEMM calls and models that ask for fewer threads than the hardware share it.
// Null for one thread, where loops run on the caller.
thread_pool* shared_thread_pool(int32_t threads);

}  // namespace kiln
