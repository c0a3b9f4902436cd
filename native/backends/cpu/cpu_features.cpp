#include "cpu/cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

// x86-64 only, like the SIMD kernels: 32-bit x86 builds run the portable path.
#if defined(_MSC_VER) && defined(_M_X64)
#include <immintrin.h>
#include <intrin.h>
#define KILN_X86 1
#elif defined(__x86_64__)
#include <cpuid.h>
#define KILN_X86 1
#endif

namespace kiln::cpu {

namespace {

#if defined(KILN_X86)

void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint32_t>(regs[i]);
#else
  __cpuid_count(leaf, subleaf, out[0], out[1], out[2], out[3]);
#endif
}

// XCR0: which register states the OS saves on a context switch. Only valid with OSXSAVE.
uint64_t read_xcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo = 0, hi = 0;
  __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

cpu_features detect() {
  cpu_features f;
  uint32_t r[4];
  cpuid(0, 0, r);
  const uint32_t max_leaf = r[0];
  if (max_leaf < 1) return f;
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  const bool avx = (r[2] >> 28) & 1;
  const bool fma = (r[2] >> 12) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE + AVX upper halves
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;  // + opmask, ZMM0-15 upper halves, ZMM16-31
  if (!ymm_state || max_leaf < 7) return f;
  cpuid(7, 0, r);
  f.avx2 = (r[1] >> 5) & 1;
  f.fma = fma;
  f.avx512f = zmm_state && ((r[1] >> 16) & 1);
  return f;
}

#else

cpu_features detect() { return cpu_features{}; }

#endif

cpu_isa lowered_by_env(cpu_isa best) {
  const char* value = std::getenv("KILN_CPU_ISA");
  cpu_isa wanted;
  if (value == nullptr || !parse_isa(value, &wanted)) return best;
  return wanted < best ? wanted : best;
}

}  // namespace

const cpu_features& detected_cpu_features() {
  static const cpu_features features = detect();
  return features;
}

cpu_isa best_supported_isa() {
  const cpu_features& f = detected_cpu_features();
  // Every AVX-512F CPU has AVX2 and FMA; asking for them too guards against hypervisors that
  // mask some feature bits but not others.
  if (f.avx512f && f.avx2 && f.fma) return cpu_isa_avx512;
  if (f.avx2 && f.fma) return cpu_isa_avx2;
  return cpu_isa_scalar;
}

cpu_isa selected_isa() {
  static const cpu_isa isa = lowered_by_env(best_supported_isa());
  return isa;
}

bool isa_supported(cpu_isa isa) { return isa >= cpu_isa_scalar && isa <= best_supported_isa(); }

const char* isa_name(cpu_isa isa) {
  switch (isa) {
    case cpu_isa_scalar: return "scalar";
    case cpu_isa_avx2: return "avx2";
    case cpu_isa_avx512: return "avx512";
  }
  return "unknown";
}

bool parse_isa(const char* name, cpu_isa* isa) {
  for (cpu_isa candidate : {cpu_isa_scalar, cpu_isa_avx2, cpu_isa_avx512}) {
    if (std::strcmp(name, isa_name(candidate)) == 0) {
      *isa = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace kiln::cpu
