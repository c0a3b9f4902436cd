// State updates: optimizer steps and moving averages. They write their first input(s) in place
// and have no outputs, so a plan runs them for their effect; graphs append them after every
// node that reads the old values (the step graph puts them last).
#include "ir/op_table.h"

namespace kiln {

namespace {

// Inputs [0, n_state) are tensors shaped like var (var, grad, optimizer slots); the named
// scalars follow. Every input shares var's dtype (the optional skip too).
std::string check_update(shape_ctx& c, size_t n_state, const std::vector<const char*>& scalars) {
  if (!is_float(c.in_dtypes[0])) return std::string("updates float tensors, got ") + dtype_name(c.in_dtypes[0]);
  if (std::string problem = same_dtype(c); !problem.empty()) return problem;
  const char* tensors[] = {"var", "grad", "slot", "slot", "slot"};
  for (size_t i = 1; i < n_state; ++i) {
    if (c.in_shapes[i] != c.in_shapes[0]) {
      return std::string(tensors[i < 2 ? i : 2]) + " " + shape_string(c.in_shapes[i]) + " does not match var " +
             shape_string(c.in_shapes[0]);
    }
  }
  for (size_t k = 0; k < scalars.size(); ++k) {
    if (!c.in_shapes[n_state + k].empty()) {
      return std::string(scalars[k]) + " must be a scalar, got " + shape_string(c.in_shapes[n_state + k]);
    }
  }
  return "";
}

// The optional skip scalar after an update's `want` inputs: "" when it is absent or a scalar.
std::string check_skip(const shape_ctx& c, size_t want) {
  if (c.in_shapes.size() > want && !c.in_shapes[want].empty()) return "skip must be a scalar, got " + shape_string(c.in_shapes[want]);
  return "";
}

std::string sgd_shape(shape_ctx& c) {
  const bool momentum = c.at.f("momentum", 0.0) != 0.0;
  const size_t want = momentum ? 4u : 3u;
  if (c.in_shapes.size() != want && c.in_shapes.size() != want + 1) {
    return momentum ? "with momentum takes (var, grad, lr, velocity) and an optional skip"
                    : "without momentum takes (var, grad, lr) and an optional skip";
  }
  if (momentum && c.in_shapes[3] != c.in_shapes[0]) return "velocity does not match var";
  if (std::string problem = check_skip(c, want); !problem.empty()) return problem;
  return check_update(c, 2, {"lr"});
}

std::string adam_shape(shape_ctx& c) {
  if (std::string problem = check_skip(c, 6); !problem.empty()) return problem;
  return check_update(c, 4, {"lr", "step"});
}

std::string rmsprop_shape(shape_ctx& c) {
  const size_t want = 4 + (c.at.f("momentum", 0.0) != 0.0 ? 1 : 0) + (c.at.i("centered", 0) ? 1 : 0);
  if (c.in_shapes.size() != want && c.in_shapes.size() != want + 1) {
    return "takes (var, grad, velocity, lr) plus a momentum buffer when momentum > 0, an average gradient when centered, "
           "and an optional skip";
  }
  for (size_t i = 4; i < want; ++i) {
    if (c.in_shapes[i] != c.in_shapes[0]) return "optimizer slot does not match var";
  }
  if (std::string problem = check_skip(c, want); !problem.empty()) return problem;
  return check_update(c, 3, {"lr"});
}

std::string moving_average_shape(shape_ctx& c) {
  const double m = c.at.f("momentum", 0.99);
  if (m < 0.0 || m > 1.0) return "momentum must be between 0 and 1";
  return check_update(c, 2, {});
}

}  // namespace

void describe_optim_ops(op_info* t) {
  const uint32_t f = kiln_opf_effect | kiln_opf_not_differentiable;
  t[kiln_op_apply_sgd] = {"apply_sgd", 3, 5, sgd_shape, nullptr, f};
  t[kiln_op_apply_adam] = {"apply_adam", 6, 7, adam_shape, nullptr, f};
  t[kiln_op_apply_rmsprop] = {"apply_rmsprop", 4, 7, rmsprop_shape, nullptr, f};
  t[kiln_op_assign_moving_average] = {"assign_moving_average", 2, 2, moving_average_shape, nullptr, f};
}

}  // namespace kiln
