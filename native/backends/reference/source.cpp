#include "reference/reference.h"

namespace kiln {

namespace {

template <typename T>
void fill(const kernel_args& a) {
  const T v = static_cast<T>(a.n.at.f("value", 0.0));
  T* y = a.out[0].as<T>();
  for (int64_t i = 0; i < a.out[0].size; ++i) y[i] = v;
}

}  // namespace

void register_reference_source(kernel_table& t) {
  t.set(kiln_op_fill, kiln_dtype_f32, fill<float>);
  t.set(kiln_op_fill, kiln_dtype_f64, fill<double>);
  t.set(kiln_op_fill, kiln_dtype_i32, fill<int32_t>);
}

}  // namespace kiln
