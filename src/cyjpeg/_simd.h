/* 8x8 transposes for the DCT, so that both of its 1-D passes run with one vector lane per row or column; the
 * forward DCT's passes themselves with pmaddwd (cy_fdct_islow_sse2), and quantization with pmulhuw.
 *
 * SSE2 is part of every x86-64 CPU, so using it needs no run-time dispatch and no build flag; any other
 * target (or a build with -DCYJPEG_NO_SIMD) gets the plain loops, which produce the same values: a
 * transpose only moves them.
 */
#ifndef CYJPEG_SIMD_H
#define CYJPEG_SIMD_H

#include <stdint.h>
#include <string.h>

#if !defined(CYJPEG_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>

/* Three rounds of interleaving (16-, 32-, then 64-bit units) turn eight rows into eight columns, in place:
 * afterwards r[c] holds column c. */
static inline void cy_transpose_regs(__m128i *r) {
    __m128i t0 = _mm_unpacklo_epi16(r[0], r[1]), t1 = _mm_unpackhi_epi16(r[0], r[1]);
    __m128i t2 = _mm_unpacklo_epi16(r[2], r[3]), t3 = _mm_unpackhi_epi16(r[2], r[3]);
    __m128i t4 = _mm_unpacklo_epi16(r[4], r[5]), t5 = _mm_unpackhi_epi16(r[4], r[5]);
    __m128i t6 = _mm_unpacklo_epi16(r[6], r[7]), t7 = _mm_unpackhi_epi16(r[6], r[7]);
    __m128i u0 = _mm_unpacklo_epi32(t0, t2), u1 = _mm_unpackhi_epi32(t0, t2);
    __m128i u2 = _mm_unpacklo_epi32(t1, t3), u3 = _mm_unpackhi_epi32(t1, t3);
    __m128i u4 = _mm_unpacklo_epi32(t4, t6), u5 = _mm_unpackhi_epi32(t4, t6);
    __m128i u6 = _mm_unpacklo_epi32(t5, t7), u7 = _mm_unpackhi_epi32(t5, t7);
    r[0] = _mm_unpacklo_epi64(u0, u4); r[1] = _mm_unpackhi_epi64(u0, u4);
    r[2] = _mm_unpacklo_epi64(u1, u5); r[3] = _mm_unpackhi_epi64(u1, u5);
    r[4] = _mm_unpacklo_epi64(u2, u6); r[5] = _mm_unpackhi_epi64(u2, u6);
    r[6] = _mm_unpacklo_epi64(u3, u7); r[7] = _mm_unpackhi_epi64(u3, u7);
}

/* The same, from eight row values to eight columns stored at dst (dst + 8 * c: column c). */
static inline void cy_transpose_rows(__m128i r0, __m128i r1, __m128i r2, __m128i r3, __m128i r4, __m128i r5,
                                     __m128i r6, __m128i r7, int16_t *dst) {
    __m128i r[8] = {r0, r1, r2, r3, r4, r5, r6, r7};
    cy_transpose_regs(r);
    for (int c = 0; c < 8; c++) _mm_storeu_si128((__m128i *)(dst + 8 * c), r[c]);
}

/* Both 8x8 transposes at once on AVX2 (one block per 128-bit lane; the unpacks work within each lane), and
 * the pmaddwd constant pair in 256 bits: for the AVX2 twins' pairs of blocks (_fdct_avx2.h, _idct_simd.h). */
#include "_dispatch.h"
#if CY_HAVE_AVX2_TWIN
#include <immintrin.h>

#define CY_AVX2_FN __attribute__((target("avx2"))) static inline
#define CY_PAIR_256(a, b) _mm256_set1_epi32((int)(((uint32_t)(uint16_t)(int16_t)(b) << 16) | (uint16_t)(int16_t)(a)))

/* Transpose the 8x8 int16 matrix in each lane: afterwards r[c] lane-element k = old r[k] lane-element c. */
CY_AVX2_FN void cy_transpose_256(__m256i *r) {
    __m256i t0 = _mm256_unpacklo_epi16(r[0], r[1]), t1 = _mm256_unpackhi_epi16(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi16(r[2], r[3]), t3 = _mm256_unpackhi_epi16(r[2], r[3]);
    __m256i t4 = _mm256_unpacklo_epi16(r[4], r[5]), t5 = _mm256_unpackhi_epi16(r[4], r[5]);
    __m256i t6 = _mm256_unpacklo_epi16(r[6], r[7]), t7 = _mm256_unpackhi_epi16(r[6], r[7]);
    __m256i u0 = _mm256_unpacklo_epi32(t0, t2), u1 = _mm256_unpackhi_epi32(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi32(t1, t3), u3 = _mm256_unpackhi_epi32(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi32(t4, t6), u5 = _mm256_unpackhi_epi32(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi32(t5, t7), u7 = _mm256_unpackhi_epi32(t5, t7);
    r[0] = _mm256_unpacklo_epi64(u0, u4);
    r[1] = _mm256_unpackhi_epi64(u0, u4);
    r[2] = _mm256_unpacklo_epi64(u1, u5);
    r[3] = _mm256_unpackhi_epi64(u1, u5);
    r[4] = _mm256_unpacklo_epi64(u2, u6);
    r[5] = _mm256_unpackhi_epi64(u2, u6);
    r[6] = _mm256_unpacklo_epi64(u3, u7);
    r[7] = _mm256_unpackhi_epi64(u3, u7);
}
#endif

/* dst[c * 8 + r] = src[r * 8 + c] */
static inline void cy_transpose_i16(const int16_t *src, int16_t *dst) {
    cy_transpose_rows(_mm_loadu_si128((const __m128i *)(src + 0)), _mm_loadu_si128((const __m128i *)(src + 8)),
                      _mm_loadu_si128((const __m128i *)(src + 16)), _mm_loadu_si128((const __m128i *)(src + 24)),
                      _mm_loadu_si128((const __m128i *)(src + 32)), _mm_loadu_si128((const __m128i *)(src + 40)),
                      _mm_loadu_si128((const __m128i *)(src + 48)), _mm_loadu_si128((const __m128i *)(src + 56)),
                      dst);
}

static inline __m128i cy_load_row_u8(const uint8_t *row) {
    return _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)row), _mm_setzero_si128());
}

/* dst[c * 8 + r] = samples[r * stride + c], widened to int16. */
static inline void cy_load_transposed_u8(const uint8_t *samples, int stride, int16_t *dst) {
    cy_transpose_rows(cy_load_row_u8(samples), cy_load_row_u8(samples + stride),
                      cy_load_row_u8(samples + 2 * stride), cy_load_row_u8(samples + 3 * stride),
                      cy_load_row_u8(samples + 4 * stride), cy_load_row_u8(samples + 5 * stride),
                      cy_load_row_u8(samples + 6 * stride), cy_load_row_u8(samples + 7 * stride), dst);
}

/* ---- The islow forward DCT (see _fdct.pxd) with pmaddwd, baseline SSE2. ----
 *
 * Every rotation of the LLM factorisation has the form x * a + y * b. pmaddwd computes exactly that for
 * four lanes at once from interleaved int16 pairs (x0, y0, x1, y1, ...) and a constant pair (a, b), in
 * 32-bit lanes, with no rounding; the 32-bit rounding add, arithmetic shift and saturating pack that
 * follow give the same numbers as dct_1d_lanes in _fdct.pxd (the results lie inside int16, so the pack
 * never saturates). The combined constants are those of _fdct.pxd; all fit int16. */
#define CY_HAVE_SSE2_DCT 1

/* The 32-bit lane value that pmaddwd reads as the pair (a, b): a in the low half, b in the high half. */
#define CY_PAIR(a, b) _mm_set1_epi32((int)(((uint32_t)(uint16_t)(int16_t)(b) << 16) | (uint16_t)(int16_t)(a)))

static inline __m128i cy_rotate2(__m128i x, __m128i y, __m128i pair, __m128i rounding, __m128i shift) {
    __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi16(x, y), pair);
    __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi16(x, y), pair);
    lo = _mm_sra_epi32(_mm_add_epi32(lo, rounding), shift);
    hi = _mm_sra_epi32(_mm_add_epi32(hi, rounding), shift);
    return _mm_packs_epi32(lo, hi);
}

static inline __m128i cy_rotate4(__m128i x, __m128i y, __m128i pair_xy, __m128i z, __m128i w, __m128i pair_zw,
                                 __m128i rounding, __m128i shift) {
    __m128i lo = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(x, y), pair_xy),
                               _mm_madd_epi16(_mm_unpacklo_epi16(z, w), pair_zw));
    __m128i hi = _mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(x, y), pair_xy),
                               _mm_madd_epi16(_mm_unpackhi_epi16(z, w), pair_zw));
    lo = _mm_sra_epi32(_mm_add_epi32(lo, rounding), shift);
    hi = _mm_sra_epi32(_mm_add_epi32(hi, rounding), shift);
    return _mm_packs_epi32(lo, hi);
}

/* Fixed-point constants of the islow DCT, 13 fraction bits (the same values as _fdct.pxd). */
enum {
    CY_F0298 = 2446, CY_F0390 = 3196, CY_F0541 = 4433, CY_F0765 = 6270, CY_F0899 = 7373, CY_F1175 = 9633,
    CY_F1501 = 12299, CY_F1847 = 15137, CY_F1961 = 16069, CY_F2053 = 16819, CY_F2562 = 20995, CY_F3072 = 25172
};

/* Eight 1-D DCTs side by side, as dct_1d_lanes in _fdct.pxd: input k of lane j is src[8k + j]. */
static inline void cy_fdct_pass_sse2(const int16_t *src, int16_t *dst, int pass1) {
    const __m128i x0 = _mm_loadu_si128((const __m128i *)(src + 0)), x1 = _mm_loadu_si128((const __m128i *)(src + 8));
    const __m128i x2 = _mm_loadu_si128((const __m128i *)(src + 16)), x3 = _mm_loadu_si128((const __m128i *)(src + 24));
    const __m128i x4 = _mm_loadu_si128((const __m128i *)(src + 32)), x5 = _mm_loadu_si128((const __m128i *)(src + 40));
    const __m128i x6 = _mm_loadu_si128((const __m128i *)(src + 48)), x7 = _mm_loadu_si128((const __m128i *)(src + 56));
    const __m128i s0 = _mm_add_epi16(x0, x7), s7 = _mm_sub_epi16(x0, x7);
    const __m128i s1 = _mm_add_epi16(x1, x6), s6 = _mm_sub_epi16(x1, x6);
    const __m128i s2 = _mm_add_epi16(x2, x5), s5 = _mm_sub_epi16(x2, x5);
    const __m128i s3 = _mm_add_epi16(x3, x4), s4 = _mm_sub_epi16(x3, x4);
    const __m128i e10 = _mm_add_epi16(s0, s3), e13 = _mm_sub_epi16(s0, s3);
    const __m128i e11 = _mm_add_epi16(s1, s2), e12 = _mm_sub_epi16(s1, s2);
    /* pass 1: shift 13 - 2 = 11; pass 2: shift 13 + 2 = 15 (CONST_BITS -/+ PASS1_BITS). */
    const __m128i shift = _mm_cvtsi32_si128(pass1 ? 11 : 15);
    const __m128i rounding = _mm_set1_epi32(pass1 ? 1 << 10 : 1 << 14);
    if (pass1) {
        /* Row sums of 8 samples (0..2040) less the level shift of 8 * 128, times 4: inside int16. */
        _mm_storeu_si128((__m128i *)(dst + 0), _mm_slli_epi16(_mm_add_epi16(_mm_add_epi16(e10, e11),
                                                                            _mm_set1_epi16(-8 * 128)), 2));
        _mm_storeu_si128((__m128i *)(dst + 32), _mm_slli_epi16(_mm_sub_epi16(e10, e11), 2));
    } else {
        /* (e10 + e11 + 2) >> 2 in 32 bits: the sum itself can reach -32768 .. 32512. */
        const __m128i two = _mm_set1_epi32(2), count2 = _mm_cvtsi32_si128(2);
        _mm_storeu_si128((__m128i *)(dst + 0), cy_rotate2(e10, e11, CY_PAIR(1, 1), two, count2));
        _mm_storeu_si128((__m128i *)(dst + 32), cy_rotate2(e10, e11, CY_PAIR(1, -1), two, count2));
    }
    _mm_storeu_si128((__m128i *)(dst + 16),
                     cy_rotate2(e12, e13, CY_PAIR(CY_F0541, CY_F0541 + CY_F0765), rounding, shift));
    _mm_storeu_si128((__m128i *)(dst + 48),
                     cy_rotate2(e13, e12, CY_PAIR(CY_F0541, CY_F0541 - CY_F1847), rounding, shift));
    _mm_storeu_si128((__m128i *)(dst + 56),
                     cy_rotate4(s4, s5, CY_PAIR(CY_F0298 - CY_F0899 - CY_F1961 + CY_F1175, CY_F1175),
                                s6, s7, CY_PAIR(CY_F1175 - CY_F1961, CY_F1175 - CY_F0899), rounding, shift));
    _mm_storeu_si128((__m128i *)(dst + 40),
                     cy_rotate4(s4, s5, CY_PAIR(CY_F1175, CY_F2053 - CY_F2562 - CY_F0390 + CY_F1175),
                                s6, s7, CY_PAIR(CY_F1175 - CY_F2562, CY_F1175 - CY_F0390), rounding, shift));
    _mm_storeu_si128((__m128i *)(dst + 24),
                     cy_rotate4(s4, s5, CY_PAIR(CY_F1175 - CY_F1961, CY_F1175 - CY_F2562),
                                s6, s7, CY_PAIR(CY_F3072 - CY_F2562 - CY_F1961 + CY_F1175, CY_F1175), rounding, shift));
    _mm_storeu_si128((__m128i *)(dst + 8),
                     cy_rotate4(s4, s5, CY_PAIR(CY_F1175 - CY_F0899, CY_F1175 - CY_F0390),
                                s6, s7, CY_PAIR(CY_F1175, CY_F1501 - CY_F0899 - CY_F0390 + CY_F1175), rounding, shift));
}

/* The whole block, as fdct_islow's portable path: rows (block loaded transposed), transpose, columns. */
static inline void cy_fdct_islow_sse2(const uint8_t *samples, int stride, int16_t *work, int16_t *coefs) {
    cy_load_transposed_u8(samples, stride, work);
    cy_fdct_pass_sse2(work, work + 64, 1);
    cy_transpose_i16(work + 64, work);
    cy_fdct_pass_sse2(work, coefs, 0);
}

/* ---- Quantization (see _quant.pxd) with pmulhuw, baseline SSE2. ----
 *
 * The same 16-bit steps as quantize_block's loop: |v| + correction, two high-half unsigned products, the
 * sign put back; then which coefficients are nonzero, two rows at a time with pmovmskb (bit j of a row's
 * byte is column j) mapped to zigzag positions through the caller's [8][256] table. The compiler widens
 * the loop's products to 32 bits instead of finding pmulhuw, hence this version. */
#define CY_HAVE_SSE2_QUANT 1
static inline uint64_t cy_quantize_sse2(const int16_t *coefs, const uint16_t *recip, const uint16_t *correction,
                                        const uint16_t *scale, const uint64_t *zigzag_mask_table, int16_t *out) {
    uint64_t nonzero_mask = 0;
    const __m128i zero = _mm_setzero_si128();
    for (int row = 0; row < 8; row += 2) {
        __m128i is_zero[2];
        for (int half = 0; half < 2; half++) {
            const int at = 8 * (row + half);
            __m128i value = _mm_loadu_si128((const __m128i *)(coefs + at));
            __m128i sign = _mm_srai_epi16(value, 15);
            __m128i magnitude = _mm_sub_epi16(_mm_xor_si128(value, sign), sign);
            magnitude = _mm_add_epi16(magnitude, _mm_loadu_si128((const __m128i *)(correction + at)));
            magnitude = _mm_mulhi_epu16(magnitude, _mm_loadu_si128((const __m128i *)(recip + at)));
            magnitude = _mm_mulhi_epu16(magnitude, _mm_loadu_si128((const __m128i *)(scale + at)));
            _mm_storeu_si128((__m128i *)(out + at), _mm_sub_epi16(_mm_xor_si128(magnitude, sign), sign));
            is_zero[half] = _mm_cmpeq_epi16(magnitude, zero);
        }
        unsigned nonzero = ~(unsigned)_mm_movemask_epi8(_mm_packs_epi16(is_zero[0], is_zero[1])) & 0xFFFFu;
        nonzero_mask |= zigzag_mask_table[256 * row + (nonzero & 0xFF)]
                      | zigzag_mask_table[256 * (row + 1) + (nonzero >> 8)];
    }
    return nonzero_mask;
}

#else

static inline void cy_transpose_i16(const int16_t *src, int16_t *dst) {
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) dst[c * 8 + r] = src[r * 8 + c];
}

static inline void cy_load_transposed_u8(const uint8_t *samples, int stride, int16_t *dst) {
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) dst[c * 8 + r] = samples[r * stride + c];
}

/* No SSE2: _fdct.pxd and _quant.pxd run their portable loops; these are never called. */
#define CY_HAVE_SSE2_QUANT 0
static inline uint64_t cy_quantize_sse2(const int16_t *coefs, const uint16_t *recip, const uint16_t *correction,
                                        const uint16_t *scale, const uint64_t *zigzag_mask_table, int16_t *out) {
    (void)coefs; (void)recip; (void)correction; (void)scale; (void)zigzag_mask_table; (void)out;
    return 0;
}
#define CY_HAVE_SSE2_DCT 0
static inline void cy_fdct_islow_sse2(const uint8_t *samples, int stride, int16_t *work, int16_t *coefs) {
    (void)samples; (void)stride; (void)work; (void)coefs;
}

#endif
#endif
