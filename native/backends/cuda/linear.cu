// matmul (batched, with numpy broadcasting of the batch dims), bias_add's fused epilogue
// matmul -> bias_add [-> activation]; the products go through cuBLAS (cublas.cu).
#include "cuda_common.cuh"

namespace kiln::cuda {

namespace {

// Per batch of the output, the matrix index of a's and b's operand (broadcast batch dims).
std::vector<int64_t> batch_offsets(const shape_t& operand, const shape_t& batch) {
  const shape_t lead(operand.begin(), operand.end() - 2);
  std::vector<int64_t> strides(batch.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < lead.size(); ++k) {
    const size_t i = lead.size() - 1 - k, o = batch.size() - 1 - k;
    strides[o] = lead[i] == 1 ? 0 : stride;
    stride *= lead[i];
  }
  const int64_t count = elements(batch);
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t b = 0; b < count; ++b) {
    int64_t linear = b, offset = 0;
    for (size_t d = batch.size(); d-- > 0;) {
      offset += linear % batch[d] * strides[d];
      linear /= batch[d];
    }
    out[static_cast<size_t>(b)] = offset;
  }
  return out;
}

// The common step of offsets that grow evenly (0 for a shared operand); -1 when they do not.
int64_t even_step(const std::vector<int64_t>& offsets) {
  if (offsets.size() < 2) return 0;
  const int64_t step = offsets[1] - offsets[0];
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] - offsets[i - 1] != step) return -1;
  }
  return offsets[0] == 0 ? step : -1;
}

bool matmul_into(const kernel_args& a, float* c) {
  const shape_t& sa = *a.in[0].shape;
  const shape_t& sb = *a.in[1].shape;
  const shape_t& sc = *a.out[0].shape;
  const bool ta = attr_i(a.n, "transpose_a", 0) != 0, tb = attr_i(a.n, "transpose_b", 0) != 0;
  const int64_t ra = sa[sa.size() - 2], ca = sa.back(), rb = sb[sb.size() - 2], cb = sb.back();
  const int64_t m = sc[sc.size() - 2], n = sc.back(), k = ta ? ra : ca;
  const shape_t batch(sc.begin(), sc.end() - 2);
  const int64_t batches = elements(batch);
  if (m * n * batches == 0) return true;
  if (k == 0) {  // an empty sum: zeros (cuBLAS may leave C untouched)
    const cudaError_t e = cudaMemsetAsync(c, 0, static_cast<size_t>(m * n * batches) * sizeof(float), stream());
    if (e != cudaSuccess) record_error(std::string("matmul: ") + cudaGetErrorString(e));
    return e == cudaSuccess;
  }
  const float* A = a.in[0].as<float>();
  const float* B = a.in[1].as<float>();
  const std::vector<int64_t> oa = batch_offsets(sa, batch), ob = batch_offsets(sb, batch);
  const gemm_inputs p = gemm_precision(a.n);
  const int64_t step_a = even_step(oa), step_b = even_step(ob);
  // A batched, untransposed a with a shared b is one tall product.
  if (!ta && step_b == 0 && step_a == 1) return gemm_f32(p, false, tb, m * batches, n, k, 1.0f, A, ca, 0, B, cb, 0, 0.0f, c, n, 0, 1);
  if (step_a >= 0 && step_b >= 0) {
    return gemm_f32(p, ta, tb, m, n, k, 1.0f, A, ca, step_a * ra * ca, B, cb, step_b * rb * cb, 0.0f, c, n, m * n, batches);
  }
  for (int64_t i = 0; i < batches; ++i) {
    if (!gemm_f32(p, ta, tb, m, n, k, 1.0f, A + oa[static_cast<size_t>(i)] * ra * ca, ca, 0, B + ob[static_cast<size_t>(i)] * rb * cb, cb, 0, 0.0f,
                  c + i * m * n, n, 0, 1)) return false;
  }
  return true;
}

void matmul(const kernel_args& a) { matmul_into(a, a.out[0].as<float>()); }

// Fused epilogue: (a, b, bias) -> z = matmul + bias and, with an activation, y = act(z).
void matmul_bias_activation(const kernel_args& a) {
  float* z = a.out[0].as<float>();
  if (!matmul_into(a, z)) return;
  const int64_t channels = a.out[0].shape->back();
  if (channels == 0) return;
  bias_activation(z, a.in[2].as<float>(), a.out[0].size / channels, channels, a.activation, a.activation ? a.out[1].as<float>() : nullptr);
}

}  // namespace

void register_linear(kernel_table& t) {
  t.set(kiln_op_matmul, kiln_dtype_f32, matmul);
  t.set_epilogue(kiln_op_matmul, matmul_bias_activation);
}

}  // namespace kiln::cuda
