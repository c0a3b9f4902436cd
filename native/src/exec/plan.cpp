#include "exec/plan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "exec/step_timeline.h"
#include "exec/thread_pool.h"
#include "ir/op_table.h"

namespace kiln {

namespace {

constexpr int64_t kiln_align = 64;

int64_t aligned(int64_t bytes) { return (bytes + kiln_align - 1) / kiln_align * kiln_align; }

struct interval {
  int32_t value;
  int64_t bytes;
  int32_t first, last;  // step indices during which the buffer must hold the value
  int64_t offset = -1;
};

// Greedy by size (as TFLite's arena planner): place the largest buffers first, each at the
// lowest offset that does not overlap a placed buffer whose lifetime intersects its own.
int64_t place(std::vector<interval>& items) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return items[a].bytes > items[b].bytes; });
  std::vector<size_t> placed;
  int64_t total = 0;
  for (size_t idx : order) {
    interval& it = items[idx];
    std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, end)
    for (size_t p : placed) {
      const interval& o = items[p];
      if (o.first <= it.last && it.first <= o.last) busy.push_back({o.offset, o.offset + o.bytes});
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& b : busy) {
      if (offset + it.bytes <= b.first) break;
      offset = std::max(offset, b.second);
    }
    it.offset = offset;
    total = std::max(total, offset + it.bytes);
    placed.push_back(idx);
  }
  return total;
}

// The first non-finite element of a float tensor, or -1.
int64_t first_non_finite(const tensor_view& v) {
  if (v.dtype == kiln_dtype_f32) {
    const float* x = v.as<float>();
    for (int64_t i = 0; i < v.size; ++i) if (!std::isfinite(x[i])) return i;
  } else if (v.dtype == kiln_dtype_f64) {
    const double* x = v.as<double>();
    for (int64_t i = 0; i < v.size; ++i) if (!std::isfinite(x[i])) return i;
  }
  return -1;
}

// A device backend has one stream and one scratch area: its plans run one at a time.
std::mutex device_runs;

// While a plan runs with a timeline, the loops its kernels start report to it.
struct observing_loops {
  explicit observing_loops(step_timeline* t) : on(t != nullptr) {
    if (on) thread_pool::observe_loops(t);
  }
  ~observing_loops() {
    if (on) thread_pool::observe_loops(nullptr);
  }
  bool on;
};

}  // namespace

plan::~plan() {
  if (device_) {
    if (arena_) device_->release(arena_);
  } else {
    std::free(arena_);
  }
}

std::unique_ptr<plan> plan::compile(const graph& g, const std::vector<int32_t>& fetch,
                                    const kernel_table& kernels, std::string& error,
                                    const std::vector<int32_t>& effects) {
  std::unique_ptr<plan> p(new plan(g));
  const size_t n_values = g.values().size();
  const size_t n_nodes = g.nodes().size();

  // Nodes the fetched values need, found backwards; graphs are built in execution order.
  std::vector<bool> needed_value(n_values, false);
  for (int32_t f : fetch) {
    if (f < 0 || static_cast<size_t>(f) >= n_values) {
      error = "a fetched value does not exist";
      return nullptr;
    }
    needed_value[static_cast<size_t>(f)] = true;
  }
  std::vector<bool> needed_node(n_nodes, false);
  for (int32_t e : effects) {
    if (e < 0 || static_cast<size_t>(e) >= n_nodes || !(op_row(g.nodes()[static_cast<size_t>(e)].op).flags & kiln_opf_effect)) {
      error = "a state update to run is not a state-update node of the graph";
      return nullptr;
    }
    needed_node[static_cast<size_t>(e)] = true;
  }
  for (size_t i = n_nodes; i-- > 0;) {
    const node& n = g.nodes()[i];
    for (int32_t out : n.outputs) needed_node[i] = needed_node[i] || needed_value[static_cast<size_t>(out)];
    if (needed_node[i]) for (int32_t in : n.inputs) needed_value[static_cast<size_t>(in)] = true;
  }

  // Who reads each value among the needed nodes (for fusion: a fused-away value has one reader).
  std::vector<int32_t> readers(n_values, 0), reader(n_values, -1);
  for (size_t i = 0; i < n_nodes; ++i) {
    if (!needed_node[i]) continue;
    for (int32_t in : g.nodes()[i].inputs) {
      ++readers[static_cast<size_t>(in)];
      reader[static_cast<size_t>(in)] = static_cast<int32_t>(i);
    }
  }
  std::vector<bool> fetched(n_values, false);
  for (int32_t f : fetch) fetched[static_cast<size_t>(f)] = true;
  std::vector<bool> absorbed(n_nodes, false);  // run inside an earlier node's fused epilogue

  std::vector<int32_t> def_step(n_values, -1), last_step(n_values, -1);
  for (size_t i = 0; i < n_nodes; ++i) {
    if (!needed_node[i] || absorbed[i]) continue;
    const node& n = g.nodes()[i];
    if (op_row(n.op).flags & kiln_opf_source) continue;
    const kiln_dtype t = kernel_dtype(g, n);
    kernel_fn fn = kernels.get(n.op, t);
    if (!fn) {
      error = "node '" + n.name + "' (" + op_name(n.op) + "): no kernel for " + dtype_name(t) + " on this backend";
      return nullptr;
    }
    step s{static_cast<int32_t>(i), -1, fn, n.inputs, n.outputs, {}, {}};
    // Fuse "matmul/conv -> bias_add [-> activation]" when the backend has the epilogue and the
    // intermediate values are read by nothing else.
    const auto v = n.outputs.size() == 1 ? static_cast<size_t>(n.outputs[0]) : 0;
    if (n.outputs.size() == 1 && t == kiln_dtype_f32 && kernels.epilogue(n.op) && readers[v] == 1 && !fetched[v]) {
      const node& bias = g.nodes()[static_cast<size_t>(reader[v])];
      if (bias.op == kiln_op_bias_add && bias.inputs[0] == n.outputs[0]) {
        absorbed[static_cast<size_t>(reader[v])] = true;
        s.fn = kernels.epilogue(n.op);
        s.in.push_back(bias.inputs[1]);
        s.out = bias.outputs;
        const auto z = static_cast<size_t>(bias.outputs[0]);
        // The activation may read z, and z may still be read by others (its gradient): then the
        // epilogue writes both z and the activation's output.
        for (size_t k = static_cast<size_t>(reader[v]) + 1; k < n_nodes && readers[z] > 0; ++k) {
          const node& act = g.nodes()[k];
          if (!needed_node[k] || act.inputs.size() != 1 || act.inputs[0] != bias.outputs[0]) continue;
          if (kernels.epilogue_activation(act.op)) {
            absorbed[k] = true;
            s.activation = static_cast<int32_t>(k);
            s.out.push_back(act.outputs[0]);
          }
          break;
        }
      }
    }
    const int32_t index = static_cast<int32_t>(p->steps_.size());
    for (int32_t in : s.in) last_step[static_cast<size_t>(in)] = index;
    for (int32_t out : s.out) {
      def_step[static_cast<size_t>(out)] = index;
      last_step[static_cast<size_t>(out)] = std::max(last_step[static_cast<size_t>(out)], index);
    }
    p->steps_.push_back(std::move(s));
  }
  const int32_t end = static_cast<int32_t>(p->steps_.size());
  for (int32_t f : fetch) last_step[static_cast<size_t>(f)] = end;

  std::vector<interval> items;
  for (size_t v = 0; v < n_values; ++v) {
    if (def_step[v] < 0) continue;  // a source, or not needed
    const value& val = g.val(static_cast<int32_t>(v));
    const int64_t bytes = aligned(std::max<int64_t>(1, shape_elements(val.shape)) * dtype_size(val.dtype));
    items.push_back({static_cast<int32_t>(v), bytes, def_step[v], last_step[v]});
    p->naive_bytes_ += bytes;
  }
  p->arena_bytes_ = place(items);
  p->offset_.assign(n_values, -1);
  for (const interval& it : items) p->offset_[static_cast<size_t>(it.value)] = it.offset;

  p->device_ = kernels.device();
  p->arena_ = p->device_ ? p->device_->alloc(p->arena_bytes_ + kiln_align) : std::malloc(static_cast<size_t>(p->arena_bytes_ + kiln_align));
  if (!p->arena_) {
    error = std::string("not enough ") + (p->device_ ? "GPU " : "") + "memory for the step's activations: the plan needs " +
            std::to_string((p->arena_bytes_ + (1 << 20) - 1) >> 20) + " MiB; use a smaller batch size" +
            (p->device_ ? std::string(" (") + p->device_->last_error() + ")" : "");
    return nullptr;
  }
  const auto raw = reinterpret_cast<std::uintptr_t>(p->arena_);
  p->base_ = static_cast<std::byte*>(p->arena_) + (kiln_align - raw % kiln_align) % kiln_align;
  p->where_.assign(n_values, nullptr);
  for (size_t v = 0; v < n_values; ++v) {
    if (p->offset_[v] >= 0) p->where_[v] = p->base_ + p->offset_[v];
  }

  // Views are built once; run() only refreshes the data pointers of sources.
  for (step& s : p->steps_) {
    auto view = [&](int32_t id) {
      const value& val = g.val(id);
      return tensor_view{p->where_[static_cast<size_t>(id)], &val.shape, val.dtype, shape_elements(val.shape)};
    };
    for (int32_t in : s.in) s.in_views.push_back(view(in));
    for (int32_t out : s.out) s.out_views.push_back(view(out));
  }
  return p;
}

std::string plan::run(const std::vector<void*>& sources, const run_options& options) {
  using clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> device_lock(device_runs, std::defer_lock);
  if (device_) device_lock.lock();
  std::vector<unsigned char> host_copy;  // check mode on a device: an output brought back to test it
  const observing_loops observing(options.op_ns ? options.timeline : nullptr);
  for (size_t i = 0; i < steps_.size(); ++i) {
    step& s = steps_[i];
    const node& n = g_.nodes()[static_cast<size_t>(s.node)];
    for (size_t k = 0; k < s.in.size(); ++k) {
      const auto id = static_cast<size_t>(s.in[k]);
      if (offset_[id] >= 0) continue;
      void* src = id < sources.size() ? sources[id] : nullptr;
      if (!src) return "no data bound for '" + g_.val(s.in[k]).name + "'";
      s.in_views[k].data = src;
      where_[id] = src;
    }
    const node* act = s.activation >= 0 ? &g_.nodes()[static_cast<size_t>(s.activation)] : nullptr;
    const kernel_args args{n, s.in_views, s.out_views, options.pool, act};
    if (options.op_ns && device_) {
      device_->mark(static_cast<int32_t>(i));  // the op's time on the device, read after the last op
      s.fn(args);
    } else if (options.op_ns) {
      if (options.timeline) options.timeline->enter(static_cast<int32_t>(i));
      const auto t0 = clock::now();
      s.fn(args);
      const auto t1 = clock::now();
      (*options.op_ns)[i] += std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
      if (options.timeline) options.timeline->ran(static_cast<int32_t>(i), t0, t1);
    } else {
      s.fn(args);
    }
    if (options.check_finite) {
      for (size_t k = 0; k < s.out_views.size(); ++k) {
        tensor_view checked = s.out_views[k];
        if (device_) {
          host_copy.resize(static_cast<size_t>(checked.size * dtype_size(checked.dtype)));
          if (!device_->download(host_copy.data(), checked.data, static_cast<int64_t>(host_copy.size()))) {
            return std::string("reading a result back from the GPU failed: ") + device_->last_error();
          }
          checked.data = host_copy.data();
        }
        const int64_t at = first_non_finite(checked);
        if (at < 0) continue;
        const value& v = g_.val(s.out[k]);
        const node& producer = g_.nodes()[static_cast<size_t>(v.producer)];
        return "node '" + producer.name + "' (" + op_name(producer.op) + ") produced a non-finite value in '" + v.name +
               "' " + shape_string(v.shape) + " at element " + std::to_string(at);
      }
    }
  }
  if (options.op_ns && device_ && !steps_.empty()) {
    // Kernels run asynchronously: host clocks would time their launches, so events on the
    // device's queue between ops time the kernels themselves (this waits for the step).
    const auto count = static_cast<int32_t>(steps_.size());
    device_->mark(count);
    std::vector<int64_t> ns(steps_.size());
    if (!device_->elapsed_ns(count + 1, ns.data())) return std::string("timing the step on the GPU failed: ") + device_->last_error();
    for (size_t i = 0; i < ns.size(); ++i) (*options.op_ns)[i] += ns[i];
  }
  return "";
}

std::string plan::step_name(size_t i) const {
  const step& s = steps_[i];
  std::string name = g_.nodes()[static_cast<size_t>(s.node)].name;
  if (s.out.empty() || g_.val(s.out[0]).producer == s.node) return name;
  name += "+" + g_.nodes()[static_cast<size_t>(g_.val(s.out[0]).producer)].name;
  if (s.activation >= 0) name += "+" + g_.nodes()[static_cast<size_t>(s.activation)].name;
  return name;
}

std::string plan::read(int32_t value_id, void* host) const {
  const void* src = data(value_id);
  if (!src) return "no data for value " + std::to_string(value_id);
  const value& v = g_.val(value_id);
  const int64_t bytes = shape_elements(v.shape) * dtype_size(v.dtype);
  if (bytes == 0) return "";
  if (!device_) {
    std::memcpy(host, src, static_cast<size_t>(bytes));
    return "";
  }
  if (device_->download(host, src, bytes)) return "";
  return "reading '" + v.name + "' back from the GPU failed: " + device_->last_error();
}

const void* plan::data(int32_t value_id) const {
  if (value_id < 0 || static_cast<size_t>(value_id) >= where_.size()) return nullptr;
  return where_[static_cast<size_t>(value_id)];
}

}  // namespace kiln
