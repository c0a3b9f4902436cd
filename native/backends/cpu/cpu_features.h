// What the CPU we run on can do, detected once at run time (cpuid + xgetbv on x86; nothing on
// other architectures), and which SIMD path the CPU kernels use.
#pragma once

#include <cstdint>

namespace kiln::cpu {

// Ordered: each path needs everything the one before it needs.
enum cpu_isa : int32_t {
  cpu_isa_scalar = 0,  // portable C++, auto-vectorized for the baseline target
  cpu_isa_avx2 = 1,    // AVX2 + FMA
  cpu_isa_avx512 = 2,  // AVX-512F
};

struct cpu_features {
  // Usable: the CPU reports the feature and the OS saves the register state it needs.
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
};

const cpu_features& detected_cpu_features();

// The best path this CPU supports.
cpu_isa best_supported_isa();

// The path kernels use by default: best_supported_isa(), lowered by the environment variable
// KILN_CPU_ISA=scalar|avx2|avx512 when set (it can only lower: asking for more than the CPU
// has gives the best it has). Read once.
cpu_isa selected_isa();

bool isa_supported(cpu_isa isa);

// "scalar", "avx2", "avx512".
const char* isa_name(cpu_isa isa);

// Parses a name as isa_name() writes it; false for anything else.
bool parse_isa(const char* name, cpu_isa* isa);

}  // namespace kiln::cpu
