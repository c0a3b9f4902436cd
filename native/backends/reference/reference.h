// The reference backend: naive, obviously correct loops over float32 and float64. It is the
// definition of every op; the other backends are tested against it.
#pragma once

#include "kernel.h"

namespace kiln {

const kernel_table& reference_kernels();

// Each op family registers its kernels (backends/reference/<family>.cpp).
void register_reference_source(kernel_table& t);
void register_reference_linear(kernel_table& t);
void register_reference_elementwise(kernel_table& t);
void register_reference_reduce(kernel_table& t);
void register_reference_softmax(kernel_table& t);
void register_reference_shape(kernel_table& t);
void register_reference_conv(kernel_table& t);
void register_reference_norm(kernel_table& t);
void register_reference_optim(kernel_table& t);
void register_reference_augment(kernel_table& t);

}  // namespace kiln
