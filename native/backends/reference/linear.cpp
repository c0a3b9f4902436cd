#include "reference/broadcast.h"
#include "reference/reference.h"

namespace kiln {

namespace {

template <typename T>
void matmul(const kernel_args& a) {
  const shape_t& sa = *a.in[0].shape;
  const shape_t& sb = *a.in[1].shape;
  const shape_t& sc = *a.out[0].shape;
  const bool ta = a.n.at.i("transpose_a", 0) != 0;
  const bool tb = a.n.at.i("transpose_b", 0) != 0;
  const int64_t ra = sa[sa.size() - 2], ca = sa[sa.size() - 1];
  const int64_t rb = sb[sb.size() - 2], cb = sb[sb.size() - 1];
  const int64_t m = sc[sc.size() - 2], n = sc[sc.size() - 1];
  const int64_t k = ta ? ra : ca;
  // Batch indices: broadcast the leading dims of a and b to c's.
  const shape_t batch(sc.begin(), sc.end() - 2);
  const std::vector<int64_t> stride_a = ref::broadcast_strides(shape_t(sa.begin(), sa.end() - 2), batch);
  const std::vector<int64_t> stride_b = ref::broadcast_strides(shape_t(sb.begin(), sb.end() - 2), batch);
  const int64_t batches = shape_elements(batch);
  const T* A = a.in[0].as<T>();
  const T* B = a.in[1].as<T>();
  T* C = a.out[0].as<T>();
  for (int64_t bi = 0; bi < batches; ++bi) {
    const T* Ab = A + ref::broadcast_offset(bi, batch, stride_a) * ra * ca;
    const T* Bb = B + ref::broadcast_offset(bi, batch, stride_b) * rb * cb;
    T* Cb = C + bi * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        T sum = T(0);
        for (int64_t p = 0; p < k; ++p) {
          const T av = ta ? Ab[p * ca + i] : Ab[i * ca + p];
          const T bv = tb ? Bb[j * cb + p] : Bb[p * cb + j];
          sum += av * bv;
        }
        Cb[i * n + j] = sum;
      }
    }
  }
}

template <typename T>
void bias_add(const kernel_args& a) {
  const T* x = a.in[0].as<T>();
  const T* b = a.in[1].as<T>();
  T* y = a.out[0].as<T>();
  const int64_t channels = a.in[1].size;
  for (int64_t i = 0; i < a.out[0].size; ++i) y[i] = x[i] + b[i % channels];
}

}  // namespace

void register_reference_linear(kernel_table& t) {
  t.set(kiln_op_matmul, kiln_dtype_f32, matmul<float>);
  t.set(kiln_op_matmul, kiln_dtype_f64, matmul<double>);
  t.set(kiln_op_bias_add, kiln_dtype_f32, bias_add<float>);
  t.set(kiln_op_bias_add, kiln_dtype_f64, bias_add<double>);
}

}  // namespace kiln
