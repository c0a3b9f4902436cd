#include "cpu/cpu_kernels.h"

#include "reference/reference.h"

namespace kiln {

const kernel_table& cpu_kernels() {
  static const kernel_table table = [] {
    kernel_table t = reference_kernels();  // every op and dtype without a fast kernel
    register_cpu_linear(t);
    register_cpu_elementwise(t);
    register_cpu_reduce(t);
    register_cpu_conv(t);
    register_cpu_pool(t);
    register_cpu_softmax(t);
    register_cpu_optim(t);
    return t;
  }();
  return table;
}

namespace cpu {

void run_reference(const kernel_args& a) {
  const kiln_dtype t = a.in.empty() ? a.out[0].dtype : a.in[0].dtype;
  reference_kernels().get(a.n.op, t)(a);
}

}  // namespace cpu

}  // namespace kiln
