// A compiled plan: the nodes needed for some fetched values, in order, with every intermediate
// placed in one arena planned ahead (buffers reused once their value is dead). Running a plan
// allocates nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "kernel.h"
#include "kiln/ir.h"

namespace kiln {

class plan {
 public:
  // Returns nullptr and sets `error` (naming the node) when a needed node has no kernel.
  static std::unique_ptr<plan> compile(const graph& g, const std::vector<int32_t>& fetch,
                                       const kernel_table& kernels, std::string& error);

  // sources[value id] points at the data of each input/param value the plan reads
  // (sources.size() == number of values in the graph; other entries are ignored).
  // Returns "" or an error naming the missing source.
  std::string run(const std::vector<void*>& sources, thread_pool* pool = nullptr);

  // The data of a value after run(): fetched values stay valid until the next run.
  const void* data(int32_t value_id) const;
  // Bytes of the arena: what buffer reuse saves shows as arena_bytes() < naive_bytes().
  int64_t arena_bytes() const { return arena_bytes_; }
  int64_t naive_bytes() const { return naive_bytes_; }
  const std::vector<int32_t>& steps() const { return steps_; }  // node ids in run order

 private:
  plan(const graph& g) : g_(g) {}
  const graph& g_;
  std::vector<int32_t> steps_;
  std::vector<kernel_fn> kernels_;
  std::vector<int64_t> offset_;  // per value: byte offset in the arena, -1 = source / unused
  std::vector<void*> where_;     // per value: resolved pointer during/after a run
  std::vector<std::vector<tensor_view>> in_views_, out_views_;
  std::vector<std::byte> arena_;
  std::byte* base_ = nullptr;  // arena_ aligned to 64 bytes
  int64_t arena_bytes_ = 0;
  int64_t naive_bytes_ = 0;
};

}  // namespace kiln
