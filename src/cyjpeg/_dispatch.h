/* Run-time choice between a portable build and an AVX2 build of the same hot loop.
 *
 * A wheel must run on any CPU of its platform, so the build uses no -march/-mavx flags (baseline x86-64 is
 * SSE2). Instead a Cython module compiles its per-image loop twice from one source: once plainly, once with
 * CY_TARGET_AVX2 (GCC/Clang `target` attribute: AVX2 plus BMI1/BMI2, all present on every AVX2 CPU from
 * Haswell and Excavator on). The kernels in the .pxd files are inlined into both twins, so the compiler
 * vectorises the colour, DCT and quantization loops in 256-bit lanes in the second one (shared/PERFORMANCE.md
 * measured 160 -> 242 MP/s for the encoder). The module picks the twin once at import with
 * cy_cpu_has_avx2().
 *
 * Why an explicit `target` twin rather than `target_clones`: target_clones needs the loader's ifunc support
 * (glibc only; not musl, macOS or Windows), and it gives no way to call the portable twin on an AVX2 machine,
 * which the tests need to prove that both twins write the same bytes. Both twins run the same integer C
 * code with no undefined behaviour (the build adds -fno-wrapv, and the kernels are written so nothing
 * overflows), so vectorising changes the speed, never a value.
 *
 * Each twin is `flatten`ed: every function it calls (the loop body and the kernels under it) is inlined
 * into it, because a kernel compiled once outside the twins would run the portable code in both.
 *
 * Elsewhere (MSVC, clang-cl, arm64 where NEON is baseline, or -DCYJPEG_NO_SIMD) both twins are the same
 * portable code and cy_cpu_has_avx2() is 0.
 */
#ifndef CYJPEG_DISPATCH_H
#define CYJPEG_DISPATCH_H

#if !defined(CYJPEG_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER) && \
    defined(__x86_64__)
#define CY_HAVE_AVX2_TWIN 1
#define CY_TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2"), flatten))
static inline int cy_cpu_has_avx2(void) {
    /* libgcc / compiler-rt check CPUID and that the OS saves the YMM registers (XGETBV). */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}
#else
#define CY_HAVE_AVX2_TWIN 0
#define CY_TARGET_AVX2 CY_FLATTEN
static inline int cy_cpu_has_avx2(void) { return 0; }
#endif

/* `flatten` inlines every call inside a twin (and the calls inside those), so each twin carries its own
 * compiled copy of every kernel it uses, whatever the compiler's inlining limits would otherwise decide. */
#if defined(__GNUC__) || defined(__clang__)
#define CY_FLATTEN __attribute__((flatten))
#else
#define CY_FLATTEN
#endif

/* Return types carrying the attributes, so that Cython can declare functions with them (a ctypedef whose C
 * name is this macro puts the attribute in front of the function's declarator). */
#define CY_AVX2_VOID CY_TARGET_AVX2 void
#define CY_PORTABLE_VOID CY_FLATTEN void

#endif
