#include "data/prefetch.h"

#include <chrono>
#include <cstring>

#include "exec/model.h"

namespace kiln {

int64_t batch_prefetcher::memory_bytes(int64_t batch, const std::vector<int64_t>& x_bytes, const std::vector<int64_t>& y_bytes) {
  int64_t per_slot = 0;
  for (int64_t b : x_bytes) per_slot += b * batch + 64;
  for (int64_t b : y_bytes) per_slot += b * batch + 64;
  return 2 * per_slot + 64;
}

batch_prefetcher::batch_prefetcher(const dataset& data, int64_t batch, const std::vector<int64_t>& x_bytes,
                                   const std::vector<int64_t>& y_bytes, bool threaded, unsigned char* memory)
    : data_(data), batch_(batch), threaded_(threaded), x_bytes_(x_bytes), y_bytes_(y_bytes) {
  bytes_ = memory_bytes(batch, x_bytes, y_bytes);
  if (!memory) memory_.resize(static_cast<size_t>(bytes_));
  unsigned char* p = memory ? memory : memory_.data();
  for (auto& slot : slots_) {
    for (int64_t b : x_bytes_) {
      slot.push_back(p);
      p += b * batch_ + 64;
    }
    for (int64_t b : y_bytes_) {
      slot.push_back(p);
      p += b * batch_ + 64;
    }
  }
}

batch_prefetcher::~batch_prefetcher() { finish_epoch(); }

void batch_prefetcher::start_epoch(const std::vector<int64_t>* order) {
  finish_epoch();
  order_ = order;
  batches_ = (static_cast<int64_t>(order->size()) + batch_ - 1) / batch_;
  filled_ = released_ = 0;
  cancel_ = false;
  if (threaded_) worker_ = std::thread(&batch_prefetcher::work, this);
}

void batch_prefetcher::work() {
  for (int64_t k = 0; k < batches_; ++k) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return cancel_ || k - released_ < 2; });  // a free slot
      if (cancel_) return;
    }
    gather(k);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      filled_ = k + 1;
    }
    cv_.notify_all();
  }
}

void batch_prefetcher::gather(int64_t k) {
  const std::vector<unsigned char*>& slot = slots_[k % 2];
  const int64_t first = k * batch_;
  const int64_t n = std::min<int64_t>(batch_, static_cast<int64_t>(order_->size()) - first);
  auto copy = [&](const void* src, int64_t bytes, unsigned char* dst) {
    const auto* from = static_cast<const unsigned char*>(src);
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(dst + i * bytes, from + (*order_)[static_cast<size_t>(first + i)] * bytes, static_cast<size_t>(bytes));
    }
  };
  for (size_t i = 0; i < x_bytes_.size(); ++i) copy(data_.x[i], x_bytes_[i], slot[i]);
  for (size_t i = 0; i < y_bytes_.size() && i < data_.y.size(); ++i) copy(data_.y[i], y_bytes_[i], slot[x_bytes_.size() + i]);
}

const std::vector<unsigned char*>& batch_prefetcher::acquire(int64_t index, double& waited) {
  if (!threaded_) {
    const auto start = std::chrono::steady_clock::now();
    gather(index);
    waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return slots_[index % 2];
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (filled_ <= index) {
    const auto start = std::chrono::steady_clock::now();
    cv_.wait(lock, [&] { return filled_ > index; });
    waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return slots_[index % 2];
}

void batch_prefetcher::release(int64_t index) {
  if (!threaded_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = index + 1;
  }
  cv_.notify_all();
}

void batch_prefetcher::finish_epoch() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace kiln
