#include "autodiff/gradients.h"

#include "ir/op_table.h"

namespace kiln {

namespace {

// Sums the gradient contributions to one value into a single value id.
int32_t total(graph& g, const value& v, std::vector<int32_t>& parts) {
  if (parts.empty()) return kiln_no_value;
  int32_t sum = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    sum = g.add1(kiln_op_add, g.unique_name(v.name + "/grad/accumulate"), {sum, parts[i]});
  }
  parts.assign(1, sum);
  return sum;
}

}  // namespace

std::vector<int32_t> add_gradients(graph& g, int32_t loss, const std::vector<int32_t>& wrt) {
  if (g.failed()) return {};
  const size_t n_values = g.values().size();
  if (loss < 0 || static_cast<size_t>(loss) >= n_values) {
    g.fail("gradients: the loss value does not exist");
    return {};
  }
  if (!is_float(g.val(loss).dtype)) {
    g.fail("gradients: the loss '" + g.val(loss).name + "' must be a float tensor");
    return {};
  }
  const size_t n_nodes = g.nodes().size();

  // Forward: which values depend on a wrt value.
  std::vector<bool> depends(n_values, false);
  for (int32_t w : wrt) {
    if (w < 0 || static_cast<size_t>(w) >= n_values) {
      g.fail("gradients: a value to differentiate with respect to does not exist");
      return {};
    }
    depends[static_cast<size_t>(w)] = true;
  }
  for (size_t i = 0; i < n_nodes; ++i) {
    const node& n = g.nodes()[i];
    if (!op_row(n.op).vjp) continue;
    bool any = false;
    for (int32_t in : n.inputs) any = any || depends[static_cast<size_t>(in)];
    if (any) for (int32_t out : n.outputs) depends[static_cast<size_t>(out)] = true;
  }
  // Backward: which values the loss depends on.
  std::vector<bool> reaches(n_values, false);
  reaches[static_cast<size_t>(loss)] = true;
  for (size_t i = n_nodes; i-- > 0;) {
    const node& n = g.nodes()[i];
    bool any = false;
    for (int32_t out : n.outputs) any = any || reaches[static_cast<size_t>(out)];
    if (any) for (int32_t in : n.inputs) reaches[static_cast<size_t>(in)] = true;
  }

  std::vector<std::vector<int32_t>> parts(n_values);
  const value& loss_value = g.val(loss);
  parts[static_cast<size_t>(loss)].push_back(
      g.add1(kiln_op_fill, g.unique_name(loss_value.name + "/grad/seed"), {}, fill_attrs(loss_value.dtype, 1.0, loss_value.shape)));

  for (size_t i = n_nodes; i-- > 0 && !g.failed();) {
    const node forward = g.nodes()[i];
    const op_info& row = op_row(forward.op);
    if (!row.vjp) continue;
    vjp_ctx c{g, forward, {}, {}, {}};
    bool any_grad = false;
    for (int32_t out : forward.outputs) {
      const int32_t grad = total(g, g.val(out), parts[static_cast<size_t>(out)]);
      c.out_grads.push_back(grad);
      any_grad = any_grad || grad != kiln_no_value;
    }
    bool any_needed = false;
    for (int32_t in : forward.inputs) {
      const bool need = depends[static_cast<size_t>(in)] && reaches[static_cast<size_t>(in)] &&
                        is_float(g.val(in).dtype);
      c.needs.push_back(need);
      any_needed = any_needed || need;
    }
    if (!any_grad || !any_needed) continue;
    c.in_grads.assign(forward.inputs.size(), kiln_no_value);
    row.vjp(c);
    for (size_t k = 0; k < forward.inputs.size(); ++k) {
      if (c.needs[k] && c.in_grads[k] != kiln_no_value) {
        parts[static_cast<size_t>(forward.inputs[k])].push_back(c.in_grads[k]);
      }
    }
  }

  std::vector<int32_t> result;
  for (int32_t w : wrt) {
    const value& v = g.val(w);
    int32_t grad = total(g, v, parts[static_cast<size_t>(w)]);
    if (grad == kiln_no_value) {
      grad = g.add1(kiln_op_fill, g.unique_name(v.name + "/grad/zero"), {}, fill_attrs(v.dtype, 0.0, v.shape));
    }
    result.push_back(grad);
  }
  if (g.failed()) return {};
  return result;
}

}  // namespace kiln
