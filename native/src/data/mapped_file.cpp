#include "data/mapped_file.h"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace kiln {

std::unique_ptr<mapped_file> mapped_file::open(const std::string& path, int64_t offset, int64_t bytes, std::string& error) {
  std::unique_ptr<mapped_file> m(new mapped_file());
  m->offset_ = offset;
#ifdef _WIN32
  HANDLE file = CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    error = "cannot open " + path;
    return nullptr;
  }
  m->file_ = file;
  LARGE_INTEGER size;
  GetFileSizeEx(file, &size);
  m->size_ = size.QuadPart;
#else
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    error = "cannot open " + path;
    return nullptr;
  }
  struct stat st {};
  fstat(fd, &st);
  m->size_ = static_cast<int64_t>(st.st_size);
#endif
  if (offset < 0 || bytes < 0 || offset + bytes > m->size_) {
    error = path + " has " + std::to_string(m->size_) + " bytes, but its samples need " + std::to_string(offset + bytes) +
            ": the file is truncated or its header is wrong";
#ifndef _WIN32
    ::close(fd);
#endif
    return nullptr;
  }
  if (m->size_ == 0) return m;  // nothing to map; data() is never read
#ifdef _WIN32
  m->mapping_ = CreateFileMappingA(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
  m->base_ = m->mapping_ ? static_cast<const unsigned char*>(MapViewOfFile(m->mapping_, FILE_MAP_READ, 0, 0, 0)) : nullptr;
#else
  void* p = mmap(nullptr, static_cast<size_t>(m->size_), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file
  m->base_ = p == MAP_FAILED ? nullptr : static_cast<const unsigned char*>(p);
#endif
  if (!m->base_) {
    error = "cannot map " + path + " into memory";
    return nullptr;
  }
  return m;
}

mapped_file::~mapped_file() {
#ifdef _WIN32
  if (base_) UnmapViewOfFile(base_);
  if (mapping_) CloseHandle(mapping_);
  if (file_) CloseHandle(file_);
#else
  if (base_) munmap(const_cast<unsigned char*>(base_), static_cast<size_t>(size_));
#endif
}

}  // namespace kiln
