#include "reference/reference.h"

namespace kiln {

const kernel_table& reference_kernels() {
  static const kernel_table table = [] {
    kernel_table t;
    register_reference_source(t);
    register_reference_linear(t);
    register_reference_elementwise(t);
    register_reference_reduce(t);
    register_reference_softmax(t);
    register_reference_shape(t);
    register_reference_conv(t);
    register_reference_norm(t);
    register_reference_optim(t);
    register_reference_augment(t);
    return t;
  }();
  return table;
}

}  // namespace kiln
