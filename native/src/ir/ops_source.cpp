// Source ops: values that come from outside the step (inputs, params) or from a constant fill.
#include "ir/op_table.h"

namespace kiln {

namespace {

std::string source_shape(shape_ctx& c) {
  const std::vector<int64_t>* shape = c.at.list("shape");
  if (!shape) return "needs a shape";
  for (int64_t d : *shape) {
    if (d < 0) return "shape " + shape_string(*shape) + " has a negative dimension";
  }
  const int64_t dtype = c.at.i("dtype", kiln_dtype_f32);
  if (!is_supported_dtype(dtype)) {
    return "dtype " + std::to_string(dtype) + " is not supported yet (use float32, float64 or int32)";
  }
  c.set_output(*shape, static_cast<kiln_dtype>(dtype));
  return "";
}

}  // namespace

void describe_source_ops(op_info* t) {
  t[kiln_op_input] = {"input", 0, 0, source_shape, nullptr, kiln_opf_source};
  t[kiln_op_param] = {"param", 0, 0, source_shape, nullptr, kiln_opf_source};
  t[kiln_op_fill] = {"fill", 0, 0, source_shape, nullptr, kiln_opf_not_differentiable};
}

}  // namespace kiln
