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

class step_timeline;

// A block of a device backend's memory, released with its owner (weights, feeds, batches).
class device_block {
 public:
  device_block(const device_memory* dev, int64_t bytes) : dev_(dev), data_(dev->alloc(bytes)) {}
  ~device_block() {
    if (data_) dev_->release(data_);
  }
  device_block(device_block&& o) noexcept : dev_(o.dev_), data_(o.data_) { o.data_ = nullptr; }
  device_block(const device_block&) = delete;
  device_block& operator=(const device_block&) = delete;
  device_block& operator=(device_block&&) = delete;
  void* data() const { return data_; }  // nullptr when the allocation failed

 private:
  const device_memory* dev_;
  void* data_;
};

// How a plan runs. Timing and checking cost nothing when off.
struct run_options {
  thread_pool* pool = nullptr;        // null: kernels run on the calling thread
  std::vector<int64_t>* op_ns = nullptr;  // when set: nanoseconds per step, added to (size steps())
  step_timeline* timeline = nullptr;      // with op_ns: records which thread ran which step, when
  bool check_finite = false;          // check mode: stop at the first node whose output has a NaN or Inf
};

class plan {
 public:
  // Plans the nodes that `fetch` needs plus the state-update nodes `effects` (node ids of
  // kiln_opf_effect ops, with whatever they read). Returns nullptr and sets `error` (naming the
  // node) when a needed node has no kernel, or when the arena cannot be allocated.
  static std::unique_ptr<plan> compile(const graph& g, const std::vector<int32_t>& fetch,
                                       const kernel_table& kernels, std::string& error,
                                       const std::vector<int32_t>& effects = {});
  ~plan();
  plan(const plan&) = delete;
  plan& operator=(const plan&) = delete;

  // sources[value id] points at the data of each input/param value the plan reads
  // (sources.size() == number of values in the graph; other entries are ignored).
  // Returns "" or an error naming the missing source (or, in check mode, the first node that
  // produced a non-finite value).
  std::string run(const std::vector<void*>& sources, const run_options& options = {});

  // The data of a value after run(): fetched values stay valid until the next run. On a device
  // plan (device() set) this points into device memory: read() copies it to the host.
  const void* data(int32_t value_id) const;
  // Copies a value's bytes after run() to `host` (shape_elements * dtype_size bytes, from wherever
  // the value lives); "" or the problem.
  std::string read(int32_t value_id, void* host) const;
  // The memory the arena and the bound sources live in; null: host memory.
  const device_memory* device() const { return device_; }
  // Bytes of the arena: what buffer reuse saves shows as arena_bytes() < naive_bytes().
  int64_t arena_bytes() const { return arena_bytes_; }
  int64_t naive_bytes() const { return naive_bytes_; }
  size_t size() const { return steps_.size(); }
  // The node a step runs (for a fused step, the producer) and the activation it fused, or -1.
  int32_t step_node(size_t i) const { return steps_[i].node; }
  int32_t step_activation(size_t i) const { return steps_[i].activation; }
  // Node names of a step, joined with "+" when it is fused ("d/matmul+d/bias_add+d/relu").
  std::string step_name(size_t i) const;

 private:
  struct step {
    int32_t node;
    int32_t activation;  // fused activation node, or -1
    kernel_fn fn;
    std::vector<int32_t> in, out;  // value ids
    std::vector<tensor_view> in_views, out_views;
  };
  plan(const graph& g) : g_(g) {}
  const graph& g_;
  std::vector<step> steps_;
  std::vector<int64_t> offset_;  // per value: byte offset in the arena, -1 = source / unused
  std::vector<void*> where_;     // per value: resolved pointer during/after a run
  const device_memory* device_ = nullptr;
  void* arena_ = nullptr;       // malloc'd (or device memory): a failed allocation is an error, not an abort
  std::byte* base_ = nullptr;  // arena_ aligned to 64 bytes
  int64_t arena_bytes_ = 0;
  int64_t naive_bytes_ = 0;
};

}  // namespace kiln
