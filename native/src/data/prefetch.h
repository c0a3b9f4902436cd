// Batches gathered on a worker thread one step ahead of training (the role of tf.data's
// prefetch): while step k runs, the worker copies the samples of step k + 1 into the other of two
// buffer slots. The training thread measures how long it waits for each batch. Without a spare
// core (the compute pool already uses every one), a worker would only steal time from the
// step's kernels, so batches are then gathered on the training thread and that time is the wait.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

struct dataset;

class batch_prefetcher {
 public:
  // Slots sized for `batch` samples of each input (x_bytes per sample) and target (y_bytes), in
  // `memory` when given (memory_bytes() of it, e.g. page-locked memory a device uploads from by
  // DMA), else in memory of its own.
  batch_prefetcher(const dataset& data, int64_t batch, const std::vector<int64_t>& x_bytes,
                   const std::vector<int64_t>& y_bytes, bool threaded, unsigned char* memory = nullptr);
  static int64_t memory_bytes(int64_t batch, const std::vector<int64_t>& x_bytes, const std::vector<int64_t>& y_bytes);
  ~batch_prefetcher();
  batch_prefetcher(const batch_prefetcher&) = delete;
  batch_prefetcher& operator=(const batch_prefetcher&) = delete;

  // Starts gathering one epoch: batches of `batch` samples in `order` (the last may be short).
  // `order` must stay alive and unchanged until finish_epoch().
  void start_epoch(const std::vector<int64_t>* order);
  // Blocks until batch `index` of the epoch is ready; returns its slot's buffers (per input, then
  // per target) and adds the seconds spent waiting to `waited`.
  const std::vector<unsigned char*>& acquire(int64_t index, double& waited);
  // The training step is done with batch `index`: its slot may be refilled.
  void release(int64_t index);
  // Stops the worker (at once if training stopped early) and joins it.
  void finish_epoch();
  // The memory of both slots.
  int64_t bytes() const { return bytes_; }

 private:
  void work();
  void gather(int64_t index);

  const dataset& data_;
  int64_t batch_;
  bool threaded_;
  std::vector<int64_t> x_bytes_, y_bytes_;
  std::vector<unsigned char> memory_;
  int64_t bytes_ = 0;  // of the slots, wherever they are
  std::vector<unsigned char*> slots_[2];  // per slot: input buffers, then target buffers
  const std::vector<int64_t>* order_ = nullptr;
  int64_t batches_ = 0;

  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t filled_ = 0;    // batches gathered so far this epoch
  int64_t released_ = 0;  // batches training has finished with
  bool cancel_ = false;
  std::thread worker_;
};

}  // namespace kiln
