// Kernel scratch: per-thread buffers that grow to the largest request and are then reused, so
// kernels allocate nothing in the steady state. Every byte they hold is counted, process-wide,
// so that the profiler can report the scratch a training step really uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

// Bytes of kernel scratch held now, over every thread.
int64_t scratch_bytes();

// Counts `delta` bytes taken (> 0) or given back (< 0) by a scratch buffer.
void count_scratch(int64_t delta);

// A growing buffer for thread_local use: its capacity is counted while it lives.
template <typename T>
class scratch_buffer {
 public:
  scratch_buffer() = default;
  scratch_buffer(const scratch_buffer&) = delete;
  scratch_buffer& operator=(const scratch_buffer&) = delete;
  ~scratch_buffer() { count_scratch(-bytes()); }

  // Room for at least `count` elements.
  T* get(int64_t count) {
    if (static_cast<int64_t>(data_.size()) < count) {
      const int64_t before = bytes();
      data_.resize(static_cast<size_t>(count));
      count_scratch(bytes() - before);
    }
    return data_.data();
  }

 private:
  int64_t bytes() const { return static_cast<int64_t>(data_.capacity() * sizeof(T)); }
  std::vector<T> data_;
};

}  // namespace kiln
