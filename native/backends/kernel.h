// The interface between the executor and a backend: one kernel per (op, dtype).
#pragma once

#include <vector>

#include "kiln/ir.h"

namespace kiln {

class thread_pool;

struct tensor_view {
  void* data = nullptr;
  const shape_t* shape = nullptr;
  kiln_dtype dtype = kiln_dtype_f32;
  int64_t size = 0;  // elements

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

struct kernel_args {
  const node& n;
  const std::vector<tensor_view>& in;
  const std::vector<tensor_view>& out;
  thread_pool* pool;  // may be null: run on the calling thread
  // Fused epilogue kernels only: the activation node applied after the bias (null: none).
  const node* activation = nullptr;
};

using kernel_fn = void (*)(const kernel_args& a);

// The memory of a backend that computes outside host memory (a GPU plugin). A kernel table
// without one works on host memory. With one, a plan's arena and every source bound to it live
// in the device's memory, and data crosses only through upload and download, ordered with the
// kernels (download returns once the data is on the host).
struct device_memory {
  void* (*alloc)(int64_t bytes);  // nullptr when the device is out of memory
  void (*release)(void* p);
  bool (*upload)(void* device_dst, const void* host_src, int64_t bytes);
  bool (*download)(void* host_dst, const void* device_src, int64_t bytes);
  bool (*synchronize)();  // waits for every queued kernel and copy (timing)
  const char* (*last_error)();  // what the last failed call reported, in the device's words
  // Page-locked host memory: uploads from it are DMA copies that do not stall the host.
  void* (*alloc_host)(int64_t bytes);  // nullptr when it cannot be had (the caller uses plain memory)
  void (*release_host)(void* p);
  // Device-side timing: mark(i) records event i on the device's queue (after the work queued so
  // far); elapsed_ns(count, ns) waits for mark count - 1 and writes ns[i] = time from mark i to
  // mark i + 1 for i < count - 1. false when the device reports an error.
  void (*mark)(int32_t index);
  bool (*elapsed_ns)(int32_t count, int64_t* ns);
  // Copies that overlap the kernels: upload_ahead queues a copy on a queue of its own (from
  // page-locked memory it runs while kernels do); wait_uploads makes the kernels queued after it
  // wait for every copy queued so far. synchronize also waits for these copies.
  bool (*upload_ahead)(void* device_dst, const void* host_src, int64_t bytes);
  void (*wait_uploads)();
};

// Kernels are chosen by the dtype of the node's first input (or first output for ops without
// inputs), so e.g. argmax is keyed by its float input and gather by its float params.
class kernel_table {
 public:
  static constexpr int32_t dtypes = 3;  // f32, f64, i32
  void set(kiln_op op, kiln_dtype t, kernel_fn fn) { fns_[op][t] = fn; }
  kernel_fn get(kiln_op op, kiln_dtype t) const {
    return t >= 0 && t < dtypes ? fns_[op][t] : nullptr;
  }

  // Fused epilogues (float32): `producer` (matmul, conv2d) followed by bias_add and optionally an
  // activation the backend lists. The plan calls the kernel with in = the producer's inputs and
  // the bias, out = the bias_add output and, when fused, the activation output, and
  // kernel_args::activation set to the activation node.
  void set_epilogue(kiln_op producer, kernel_fn fn) { epilogues_[producer] = fn; }
  kernel_fn epilogue(kiln_op producer) const { return epilogues_[producer]; }
  void allow_epilogue_activation(kiln_op op) { activations_[op] = true; }
  bool epilogue_activation(kiln_op op) const { return activations_[op]; }

  void set_device(const device_memory* d) { device_ = d; }
  const device_memory* device() const { return device_; }

 private:
  kernel_fn fns_[kiln_op_count][dtypes] = {};
  kernel_fn epilogues_[kiln_op_count] = {};
  bool activations_[kiln_op_count] = {};
  const device_memory* device_ = nullptr;
};

// The dtype a node's kernel is looked up by.
inline kiln_dtype kernel_dtype(const graph& g, const node& n) {
  return n.inputs.empty() ? g.val(n.outputs[0]).dtype : g.val(n.inputs[0]).dtype;
}

}  // namespace kiln
