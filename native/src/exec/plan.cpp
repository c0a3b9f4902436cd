#include "exec/plan.h"

#include <algorithm>
#include <cstdint>

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

}  // namespace

std::unique_ptr<plan> plan::compile(const graph& g, const std::vector<int32_t>& fetch,
                                    const kernel_table& kernels, std::string& error) {
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
  for (size_t i = n_nodes; i-- > 0;) {
    const node& n = g.nodes()[i];
    for (int32_t out : n.outputs) needed_node[i] = needed_node[i] || needed_value[static_cast<size_t>(out)];
    if (needed_node[i]) for (int32_t in : n.inputs) needed_value[static_cast<size_t>(in)] = true;
  }

  std::vector<int32_t> def_step(n_values, -1), last_step(n_values, -1);
  for (size_t i = 0; i < n_nodes; ++i) {
    if (!needed_node[i]) continue;
    const node& n = g.nodes()[i];
    if (op_row(n.op).flags & kiln_opf_source) continue;
    const kiln_dtype t = kernel_dtype(g, n);
    kernel_fn fn = kernels.get(n.op, t);
    if (!fn) {
      error = "node '" + n.name + "' (" + op_name(n.op) + "): no kernel for " + dtype_name(t) + " on this backend";
      return nullptr;
    }
    const int32_t step = static_cast<int32_t>(p->steps_.size());
    p->steps_.push_back(static_cast<int32_t>(i));
    p->kernels_.push_back(fn);
    for (int32_t in : n.inputs) last_step[static_cast<size_t>(in)] = step;
    for (int32_t out : n.outputs) {
      def_step[static_cast<size_t>(out)] = step;
      last_step[static_cast<size_t>(out)] = std::max(last_step[static_cast<size_t>(out)], step);
    }
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

  p->arena_.resize(static_cast<size_t>(p->arena_bytes_ + kiln_align));
  const auto raw = reinterpret_cast<std::uintptr_t>(p->arena_.data());
  p->base_ = p->arena_.data() + (kiln_align - raw % kiln_align) % kiln_align;
  p->where_.assign(n_values, nullptr);
  for (size_t v = 0; v < n_values; ++v) {
    if (p->offset_[v] >= 0) p->where_[v] = p->base_ + p->offset_[v];
  }

  // Views are built once; run() only refreshes the data pointers of sources.
  for (int32_t node_id : p->steps_) {
    const node& n = g.nodes()[static_cast<size_t>(node_id)];
    auto view = [&](int32_t id) {
      const value& val = g.val(id);
      return tensor_view{p->where_[static_cast<size_t>(id)], &val.shape, val.dtype, shape_elements(val.shape)};
    };
    std::vector<tensor_view> ins, outs;
    for (int32_t in : n.inputs) ins.push_back(view(in));
    for (int32_t out : n.outputs) outs.push_back(view(out));
    p->in_views_.push_back(std::move(ins));
    p->out_views_.push_back(std::move(outs));
  }
  return p;
}

std::string plan::run(const std::vector<void*>& sources, thread_pool* pool) {
  for (size_t s = 0; s < steps_.size(); ++s) {
    const node& n = g_.nodes()[static_cast<size_t>(steps_[s])];
    std::vector<tensor_view>& ins = in_views_[s];
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const auto id = static_cast<size_t>(n.inputs[k]);
      if (offset_[id] >= 0) continue;
      void* src = id < sources.size() ? sources[id] : nullptr;
      if (!src) return "no data bound for '" + g_.val(n.inputs[k]).name + "'";
      ins[k].data = src;
      where_[id] = src;
    }
    kernels_[s](kernel_args{n, ins, out_views_[s], pool});
  }
  return "";
}

const void* plan::data(int32_t value_id) const {
  if (value_id < 0 || static_cast<size_t>(value_id) >= where_.size()) return nullptr;
  return where_[static_cast<size_t>(value_id)];
}

}  // namespace kiln
