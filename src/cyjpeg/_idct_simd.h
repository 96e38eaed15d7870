/* The islow inverse DCT of _idct.pxd with SSE2 pmaddwd (baseline x86-64), exact or not used at all.
 *
 * Each rotation of the LLM factorisation is x * a + y * b with int16 inputs and int16 constants (the
 * combined constants below, as in _simd.h's forward DCT), which pmaddwd computes exactly in 32-bit lanes.
 * With int16 inputs, every 32-bit sum of a pass is below 61213 * 2**15 + rounding < 2**31 in magnitude
 * (61213 is the largest sum of |constants| along any path), so the arithmetic equals exact arithmetic.
 * _idct.pxd's scalar transform reproduces libjpeg-turbo's SIMD IDCT, whose 16-bit steps (coef * Q, the sums
 * in0 +/- in4, in7 + in3, in5 + in1, the packs of each pass, a wrapping shift for blocks without rows 1..7)
 * overflow on corrupt blocks. This kernel only takes blocks where none of them can: every pass input within
 * +-2**14 (then no 16-bit sum overflows, and the shortcut's shift and each pack are exact). Valid files stay
 * far inside (dequantized values within about 2**11, column-pass outputs within 2**13). Anything else returns 0
 * without writing, and the caller runs the scalar transform: the output is always the scalar output.
 *
 * Layout: pass 1 (columns) takes the coefficient rows as vectors, lane = column; its outputs are
 * transposed so that pass 2 (rows) again has one lane per row; a last transpose gives rows of samples.
 */
#ifndef CYJPEG_IDCT_SIMD_H
#define CYJPEG_IDCT_SIMD_H

#include <stdint.h>
#include <stddef.h>
#include "_simd.h"

#if CY_HAVE_SSE2_DCT
#define CY_HAVE_SSE2_IDCT 1

/* One 1-D IDCT pass over eight lanes: in[k] = input k (int16), out[j] = output j (int16) after
 * (sum + 2**(shift-1)) >> shift. Returns the OR over all lanes of (result + 2**14): a value >= 2**15 means
 * some result is outside +-2**14 (the next pass would not take it). */
static inline __m128i cy_idct_pass_sse2(const __m128i *in, __m128i *out, int shift_bits) {
    const __m128i shift = _mm_cvtsi32_si128(shift_bits);
    const __m128i rounding = _mm_set1_epi32(1 << (shift_bits - 1));
    const __m128i bias = _mm_set1_epi32(16384);
    __m128i range = _mm_setzero_si128();
    __m128i results[2][8];
    for (int half = 0; half < 2; half++) {
        __m128i z23 = half ? _mm_unpackhi_epi16(in[2], in[6]) : _mm_unpacklo_epi16(in[2], in[6]);
        __m128i e04 = half ? _mm_unpackhi_epi16(in[0], in[4]) : _mm_unpacklo_epi16(in[0], in[4]);
        __m128i p75 = half ? _mm_unpackhi_epi16(in[7], in[5]) : _mm_unpacklo_epi16(in[7], in[5]);
        __m128i p31 = half ? _mm_unpackhi_epi16(in[3], in[1]) : _mm_unpacklo_epi16(in[3], in[1]);
        /* Even part: tmp3 = z2 (F541 + F765) + z3 F541, tmp2 = z2 F541 + z3 (F541 - F1847),
         * tmp0/tmp1 = (in0 +/- in4) << 13. */
        __m128i tmp3 = _mm_madd_epi16(z23, CY_PAIR(CY_F0541 + CY_F0765, CY_F0541));
        __m128i tmp2 = _mm_madd_epi16(z23, CY_PAIR(CY_F0541, CY_F0541 - CY_F1847));
        __m128i tmp0 = _mm_madd_epi16(e04, CY_PAIR(1 << 13, 1 << 13));
        __m128i tmp1 = _mm_madd_epi16(e04, CY_PAIR(1 << 13, -(1 << 13)));
        __m128i tmp10 = _mm_add_epi32(tmp0, tmp3), tmp13 = _mm_sub_epi32(tmp0, tmp3);
        __m128i tmp11 = _mm_add_epi32(tmp1, tmp2), tmp12 = _mm_sub_epi32(tmp1, tmp2);
        /* Odd part, inputs (7, 5, 3, 1) with z1..z5 distributed over them. */
        __m128i o0 = _mm_add_epi32(_mm_madd_epi16(p75, CY_PAIR(CY_F0298 - CY_F0899 - CY_F1961 + CY_F1175, CY_F1175)),
                                   _mm_madd_epi16(p31, CY_PAIR(CY_F1175 - CY_F1961, CY_F1175 - CY_F0899)));
        __m128i o1 = _mm_add_epi32(_mm_madd_epi16(p75, CY_PAIR(CY_F1175, CY_F2053 - CY_F2562 - CY_F0390 + CY_F1175)),
                                   _mm_madd_epi16(p31, CY_PAIR(CY_F1175 - CY_F2562, CY_F1175 - CY_F0390)));
        __m128i o2 = _mm_add_epi32(_mm_madd_epi16(p75, CY_PAIR(CY_F1175 - CY_F1961, CY_F1175 - CY_F2562)),
                                   _mm_madd_epi16(p31, CY_PAIR(CY_F3072 - CY_F2562 - CY_F1961 + CY_F1175, CY_F1175)));
        __m128i o3 = _mm_add_epi32(_mm_madd_epi16(p75, CY_PAIR(CY_F1175 - CY_F0899, CY_F1175 - CY_F0390)),
                                   _mm_madd_epi16(p31, CY_PAIR(CY_F1175, CY_F1501 - CY_F0899 - CY_F0390 + CY_F1175)));
        tmp10 = _mm_add_epi32(tmp10, rounding);
        tmp11 = _mm_add_epi32(tmp11, rounding);
        tmp12 = _mm_add_epi32(tmp12, rounding);
        tmp13 = _mm_add_epi32(tmp13, rounding);
        __m128i *r = results[half];
        r[0] = _mm_sra_epi32(_mm_add_epi32(tmp10, o3), shift);
        r[7] = _mm_sra_epi32(_mm_sub_epi32(tmp10, o3), shift);
        r[1] = _mm_sra_epi32(_mm_add_epi32(tmp11, o2), shift);
        r[6] = _mm_sra_epi32(_mm_sub_epi32(tmp11, o2), shift);
        r[2] = _mm_sra_epi32(_mm_add_epi32(tmp12, o1), shift);
        r[5] = _mm_sra_epi32(_mm_sub_epi32(tmp12, o1), shift);
        r[3] = _mm_sra_epi32(_mm_add_epi32(tmp13, o0), shift);
        r[4] = _mm_sra_epi32(_mm_sub_epi32(tmp13, o0), shift);
        for (int j = 0; j < 8; j++) range = _mm_or_si128(range, _mm_add_epi32(r[j], bias));
    }
    for (int j = 0; j < 8; j++) out[j] = _mm_packs_epi32(results[0][j], results[1][j]);
    return range;
}

/* Dequantize coef[64] with quant[64] (natural order), inverse-transform, level-shift, range-limit as
 * libjpeg and write 8 rows of 8 samples `stride` bytes apart. Returns 1, or 0 (nothing written) when the
 * block is outside the exact int16 premise described above. */
static inline int cy_idct_islow_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    __m128i rows[8], cols[8];
    int16_t work[64], transposed[64];
    __m128i quant_or = _mm_setzero_si128(), overflow = _mm_setzero_si128();
    for (int k = 0; k < 8; k++) {
        __m128i c = _mm_loadu_si128((const __m128i *)(coef + 8 * k));
        __m128i q = _mm_loadu_si128((const __m128i *)(quant + 8 * k));
        __m128i lo = _mm_mullo_epi16(c, q), hi = _mm_mulhi_epi16(c, q);
        quant_or = _mm_or_si128(quant_or, q);
        /* c * q is within +-2**14 exactly when the high half and bit 14 of the low half are all copies of the
         * low half's sign bit. */
        __m128i sign = _mm_srai_epi16(lo, 15);
        overflow = _mm_or_si128(overflow, _mm_or_si128(_mm_xor_si128(hi, sign),
                                                       _mm_xor_si128(_mm_srai_epi16(lo, 14), sign)));
        rows[k] = lo;
    }
    /* A table entry above 32767 would be read as negative by the signed multiply. */
    if ((_mm_movemask_epi8(quant_or) & 0xAAAA) != 0 ||
        _mm_movemask_epi8(_mm_cmpeq_epi16(overflow, _mm_setzero_si128())) != 0xFFFF)
        return 0;
    /* Pass 1: columns (lane = column); descale by 2**(13 - 2). */
    __m128i range = cy_idct_pass_sse2(rows, cols, 11);
    if (_mm_movemask_epi8(_mm_cmpeq_epi32(_mm_srli_epi32(range, 15), _mm_setzero_si128())) != 0xFFFF) return 0;
    /* cols[r] now holds output row r, lane = column frequency: transpose so that lane = row. */
    for (int j = 0; j < 8; j++) _mm_storeu_si128((__m128i *)(work + 8 * j), cols[j]);
    cy_transpose_i16(work, transposed);
    for (int j = 0; j < 8; j++) rows[j] = _mm_loadu_si128((const __m128i *)(transposed + 8 * j));
    /* Pass 2: rows (lane = row); descale by 2**(13 + 2 + 3). Inputs within +-2**14: no 16-bit sum overflows. */
    cy_idct_pass_sse2(rows, cols, 18);
    /* cols[x] = column x of samples (lane = row), |v| <= 2**13: level shift (+128, T.81 A.3.1), then
     * packus clamps to 0..255, as idct_clamp does (saturation, as libjpeg-turbo's SIMD IDCT). */
    const __m128i centre = _mm_set1_epi16(128);
    for (int j = 0; j < 8; j++) _mm_storeu_si128((__m128i *)(work + 8 * j), _mm_add_epi16(cols[j], centre));
    cy_transpose_i16(work, transposed);
    for (int r = 0; r < 8; r++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(transposed + 8 * r));
        _mm_storel_epi64((__m128i *)(out + r * stride), _mm_packus_epi16(v, v));
    }
    return 1;
}

#else
#define CY_HAVE_SSE2_IDCT 0
static inline int cy_idct_islow_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    (void)coef; (void)quant; (void)out; (void)stride;
    return 0;
}
#endif
#endif
