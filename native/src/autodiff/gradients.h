#pragma once

#include <vector>

#include "kiln/ir.h"

namespace kiln {

// Reverse-mode autodiff over the IR: appends to `g` the nodes that compute d(sum of loss)/d(w)
// for each w in `wrt`, using one vector-Jacobian rule per primitive. Gradients of a value used
// by several nodes are summed. Only nodes between `wrt` and `loss` get gradient work, so frozen
// weights (left out of `wrt`) cost nothing. Returns one value id per `wrt` entry (a zero fill
// when the loss does not depend on it); on error, g.error() names the node.
std::vector<int32_t> add_gradients(graph& g, int32_t loss, const std::vector<int32_t>& wrt);

}  // namespace kiln
