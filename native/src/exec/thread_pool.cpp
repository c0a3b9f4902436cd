#include "exec/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <map>

#if defined(_MSC_VER)
#include <intrin.h>
#elif defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln {

namespace {

// The pool whose loop this thread is running (workers: always their own pool).
thread_local const thread_pool* tls_current_pool = nullptr;
// Who the loops this thread starts report to (profiling only).
thread_local loop_observer* tls_observer = nullptr;

// Spinning before sleeping keeps back-to-back loops (GEMM runs a few per call) from paying a
// futex wake-up each; 50 us is long enough to bridge them and short enough not to burn a core.
constexpr auto kiln_spin_time = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  _mm_pause();
#elif defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

// Spins until done() or the spin time runs out; true when done() became true.
template <typename P>
bool spin_until(P done) {
  const auto deadline = std::chrono::steady_clock::now() + kiln_spin_time;
  for (;;) {
    for (int32_t i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

}  // namespace

thread_pool::thread_pool(int32_t threads) {
  if (threads <= 0) threads = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  const int32_t workers = threads - 1;
  slots_.reset(new worker_slot[static_cast<size_t>(std::max(workers, 1))]);
  workers_.reserve(static_cast<size_t>(workers));
  for (int32_t i = 0; i < workers; ++i) workers_.emplace_back(&thread_pool::worker_main, this, i);
}

thread_pool::~thread_pool() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

bool thread_pool::in_parallel_region() const { return tls_current_pool == this; }

void thread_pool::observe_loops(loop_observer* o) { tls_observer = o; }

bool thread_pool::work_on_job() {
  for (bool worked = false;; worked = true) {
    const int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
    if (begin >= n_) return worked;
    fn_(ctx_, begin, std::min(n_, begin + grain_));
  }
}

void thread_pool::run(int64_t n, int64_t grain, task_fn fn, void* ctx) {
  if (n <= 0) return;
  const int64_t threads = size();
  if (grain <= 0) grain = (n + threads - 1) / threads;
  const int64_t chunks = (n + grain - 1) / grain;
  if (workers_.empty() || chunks == 1 || tls_current_pool == this) {
    for (int64_t begin = 0; begin < n; begin += grain) fn(ctx, begin, std::min(n, begin + grain));
    return;
  }

  std::lock_guard<std::mutex> run_lock(run_mutex_);
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  grain_ = grain;
  observer_ = tls_observer;
  next_.store(0, std::memory_order_relaxed);
  const int32_t helpers =
      static_cast<int32_t>(std::min<int64_t>(static_cast<int64_t>(workers_.size()), chunks - 1));
  pending_.store(helpers, std::memory_order_relaxed);
  bool wake = false;
  {
    // Under the lock, so a worker going to sleep cannot miss its new generation.
    std::lock_guard<std::mutex> lock(wake_mutex_);
    ++generation_;
    for (int32_t i = 0; i < helpers; ++i) slots_[i].generation.store(generation_, std::memory_order_release);
    wake = sleepers_ > 0;
  }
  if (wake) wake_cv_.notify_all();

  const thread_pool* outer = tls_current_pool;
  tls_current_pool = this;
  work_on_job();
  tls_current_pool = outer;

  auto finished = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lock(wake_mutex_);
    done_cv_.wait(lock, finished);
  }
}

void thread_pool::worker_main(int32_t index) {
  tls_current_pool = this;
  std::atomic<uint64_t>& slot = slots_[index].generation;
  uint64_t seen = 0;
  for (;;) {
    auto has_job = [&] { return slot.load(std::memory_order_acquire) != seen; };
    if (!spin_until([&] { return has_job() || stop_.load(std::memory_order_relaxed); })) {
      std::unique_lock<std::mutex> lock(wake_mutex_);
      ++sleepers_;
      wake_cv_.wait(lock, [&] { return has_job() || stop_.load(std::memory_order_relaxed); });
      --sleepers_;
    }
    if (!has_job()) return;  // woken by the destructor
    seen = slot.load(std::memory_order_acquire);
    if (loop_observer* observer = observer_) {
      // Reported before pending_ drops, so the span is recorded when the loop returns.
      const auto start = std::chrono::steady_clock::now();
      if (work_on_job()) observer->worker_span(index, start, std::chrono::steady_clock::now());
    } else {
      work_on_job();
    }
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Notify under the lock: the caller checks pending_ under it before sleeping.
      std::lock_guard<std::mutex> lock(wake_mutex_);
      done_cv_.notify_one();
    }
  }
}

thread_pool& default_thread_pool() {
  static thread_pool* pool = new thread_pool(0);
  return *pool;
}

thread_pool* shared_thread_pool(int32_t threads) {
  if (threads <= 1) return nullptr;
  thread_pool& shared = default_thread_pool();
  if (threads == shared.size()) return &shared;
  static std::mutex mutex;
  static auto* pools = new std::map<int32_t, std::unique_ptr<thread_pool>>();
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<thread_pool>& pool = (*pools)[threads];
  if (!pool) pool = std::make_unique<thread_pool>(threads);
  return pool.get();
}

}  // namespace kiln
