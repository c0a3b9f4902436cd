// A read-only memory map of a file, so training reads samples on demand from the OS page cache
// instead of holding the whole dataset in memory (data larger than RAM trains from disk).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace kiln {

class mapped_file {
 public:
  // Maps `path` and checks that `bytes` bytes start at `offset`; nullptr and `error` otherwise.
  static std::unique_ptr<mapped_file> open(const std::string& path, int64_t offset, int64_t bytes, std::string& error);
  ~mapped_file();
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;

  const unsigned char* data() const { return base_ + offset_; }

 private:
  mapped_file() = default;
  const unsigned char* base_ = nullptr;
  int64_t size_ = 0;
  int64_t offset_ = 0;
#ifdef _WIN32
  void* file_ = nullptr;
  void* mapping_ = nullptr;
#endif
};

}  // namespace kiln
