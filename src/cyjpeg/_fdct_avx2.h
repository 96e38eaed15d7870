/* Forward DCT and quantization of two blocks at once with AVX2, for the AVX2 twin of the encoder's MCU loop.
 *
 * Each 256-bit register holds one row (or column) of two 8x8 blocks: block 0 in the low 128-bit lane and
 * block 1 in the high lane. AVX2's unpack, pmaddwd and pack instructions work within each lane, so every
 * step is exactly cy_fdct_islow_sse2 followed by cy_quantize_sse2 (_simd.h) on each block, with the same
 * values; only twice the work is done per instruction. The encoder pairs the blocks of an MCU that share a
 * quantization table (the two luma blocks of a row for 4:2:2 and 4:2:0, and Cb with Cr).
 *
 * Only for AVX2 CPUs: these functions carry target("avx2") and the encoder calls them only from its AVX2
 * twin (_dispatch.h). Elsewhere cy_fdct_quant_pair_avx2 is a stub that is never called.
 */
#ifndef CYJPEG_FDCT_AVX2_H
#define CYJPEG_FDCT_AVX2_H

#include <stdint.h>
#include "_dispatch.h"
#include "_simd.h"      /* the DCT constants CY_F... */

#if CY_HAVE_AVX2_TWIN
#include <immintrin.h>

CY_AVX2_FN __m256i cy_rotate2_256(__m256i x, __m256i y, __m256i pair, __m256i rounding, __m128i shift) {
    __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(x, y), pair);
    __m256i hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(x, y), pair);
    lo = _mm256_sra_epi32(_mm256_add_epi32(lo, rounding), shift);
    hi = _mm256_sra_epi32(_mm256_add_epi32(hi, rounding), shift);
    return _mm256_packs_epi32(lo, hi);
}

CY_AVX2_FN __m256i cy_rotate4_256(__m256i x, __m256i y, __m256i pair_xy, __m256i z, __m256i w, __m256i pair_zw,
                                  __m256i rounding, __m128i shift) {
    __m256i lo = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(x, y), pair_xy),
                                  _mm256_madd_epi16(_mm256_unpacklo_epi16(z, w), pair_zw));
    __m256i hi = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(x, y), pair_xy),
                                  _mm256_madd_epi16(_mm256_unpackhi_epi16(z, w), pair_zw));
    lo = _mm256_sra_epi32(_mm256_add_epi32(lo, rounding), shift);
    hi = _mm256_sra_epi32(_mm256_add_epi32(hi, rounding), shift);
    return _mm256_packs_epi32(lo, hi);
}

/* cy_fdct_pass_sse2 in both lanes: x[k] is input k of each lane; on return x[u] is output u. */
CY_AVX2_FN void cy_fdct_pass_256(__m256i *x, int pass1) {
    const __m256i s0 = _mm256_add_epi16(x[0], x[7]), s7 = _mm256_sub_epi16(x[0], x[7]);
    const __m256i s1 = _mm256_add_epi16(x[1], x[6]), s6 = _mm256_sub_epi16(x[1], x[6]);
    const __m256i s2 = _mm256_add_epi16(x[2], x[5]), s5 = _mm256_sub_epi16(x[2], x[5]);
    const __m256i s3 = _mm256_add_epi16(x[3], x[4]), s4 = _mm256_sub_epi16(x[3], x[4]);
    const __m256i e10 = _mm256_add_epi16(s0, s3), e13 = _mm256_sub_epi16(s0, s3);
    const __m256i e11 = _mm256_add_epi16(s1, s2), e12 = _mm256_sub_epi16(s1, s2);
    const __m128i shift = _mm_cvtsi32_si128(pass1 ? 11 : 15);
    const __m256i rounding = _mm256_set1_epi32(pass1 ? 1 << 10 : 1 << 14);
    if (pass1) {
        x[0] = _mm256_slli_epi16(_mm256_add_epi16(_mm256_add_epi16(e10, e11), _mm256_set1_epi16(-8 * 128)), 2);
        x[4] = _mm256_slli_epi16(_mm256_sub_epi16(e10, e11), 2);
    } else {
        const __m256i two = _mm256_set1_epi32(2);
        const __m128i count2 = _mm_cvtsi32_si128(2);
        x[0] = cy_rotate2_256(e10, e11, CY_PAIR_256(1, 1), two, count2);
        x[4] = cy_rotate2_256(e10, e11, CY_PAIR_256(1, -1), two, count2);
    }
    x[2] = cy_rotate2_256(e12, e13, CY_PAIR_256(CY_F0541, CY_F0541 + CY_F0765), rounding, shift);
    x[6] = cy_rotate2_256(e13, e12, CY_PAIR_256(CY_F0541, CY_F0541 - CY_F1847), rounding, shift);
    x[7] = cy_rotate4_256(s4, s5, CY_PAIR_256(CY_F0298 - CY_F0899 - CY_F1961 + CY_F1175, CY_F1175),
                          s6, s7, CY_PAIR_256(CY_F1175 - CY_F1961, CY_F1175 - CY_F0899), rounding, shift);
    x[5] = cy_rotate4_256(s4, s5, CY_PAIR_256(CY_F1175, CY_F2053 - CY_F2562 - CY_F0390 + CY_F1175),
                          s6, s7, CY_PAIR_256(CY_F1175 - CY_F2562, CY_F1175 - CY_F0390), rounding, shift);
    x[3] = cy_rotate4_256(s4, s5, CY_PAIR_256(CY_F1175 - CY_F1961, CY_F1175 - CY_F2562),
                          s6, s7, CY_PAIR_256(CY_F3072 - CY_F2562 - CY_F1961 + CY_F1175, CY_F1175), rounding, shift);
    x[1] = cy_rotate4_256(s4, s5, CY_PAIR_256(CY_F1175 - CY_F0899, CY_F1175 - CY_F0390),
                          s6, s7, CY_PAIR_256(CY_F1175, CY_F1501 - CY_F0899 - CY_F0390 + CY_F1175), rounding, shift);
}

/* The 8x8 samples at p0 and at p1 (rows `stride` bytes apart, one quantization table) -> quantized
 * coefficients out0[64], out1[64] in natural order; masks[0], masks[1] = their zigzag nonzero maps. */
CY_AVX2_FN void cy_fdct_quant_pair_avx2(const uint8_t *p0, const uint8_t *p1, int stride, const uint16_t *recip,
                                        const uint16_t *correction, const uint16_t *scale,
                                        const uint64_t *zigzag_mask_table, int16_t *out0, int16_t *out1,
                                        uint64_t *masks) {
    __m256i v[8], is_zero[8];
    const __m256i zero = _mm256_setzero_si256();
    uint64_t mask0 = 0, mask1 = 0;
    for (int r = 0; r < 8; r++) {
        __m128i both = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(p0 + r * stride)),
                                          _mm_loadl_epi64((const __m128i *)(p1 + r * stride)));
        v[r] = _mm256_cvtepu8_epi16(both);     /* row r of block 0 in the low lane, of block 1 in the high */
    }
    cy_transpose_256(v);                       /* v[k] lane j = sample (row j, column k): rows in lanes */
    cy_fdct_pass_256(v, 1);                    /* v[u] lane j = row j's frequency u */
    cy_transpose_256(v);                       /* v[k] lane u = row k's frequency u: columns in lanes */
    cy_fdct_pass_256(v, 0);                    /* v[v] lane u = coefficient (v, u) */
    for (int row = 0; row < 8; row++) {
        const __m256i sign = _mm256_srai_epi16(v[row], 15);
        __m256i magnitude = _mm256_sub_epi16(_mm256_xor_si256(v[row], sign), sign);
        magnitude = _mm256_add_epi16(magnitude,
                                     _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(correction + 8 * row))));
        magnitude = _mm256_mulhi_epu16(magnitude,
                                       _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(recip + 8 * row))));
        magnitude = _mm256_mulhi_epu16(magnitude,
                                       _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(scale + 8 * row))));
        const __m256i quantized = _mm256_sub_epi16(_mm256_xor_si256(magnitude, sign), sign);
        _mm_storeu_si128((__m128i *)(out0 + 8 * row), _mm256_castsi256_si128(quantized));
        _mm_storeu_si128((__m128i *)(out1 + 8 * row), _mm256_extracti128_si256(quantized, 1));
        is_zero[row] = _mm256_cmpeq_epi16(magnitude, zero);
    }
    for (int row = 0; row < 8; row += 2) {
        /* bytes per lane: [row, row + 1] of block 0 | of block 1; bit j of each byte group is column j */
        uint32_t nonzero = ~(uint32_t)_mm256_movemask_epi8(_mm256_packs_epi16(is_zero[row], is_zero[row + 1]));
        mask0 |= zigzag_mask_table[256 * row + (nonzero & 0xFF)]
               | zigzag_mask_table[256 * (row + 1) + ((nonzero >> 8) & 0xFF)];
        mask1 |= zigzag_mask_table[256 * row + ((nonzero >> 16) & 0xFF)]
               | zigzag_mask_table[256 * (row + 1) + (nonzero >> 24)];
    }
    masks[0] = mask0;
    masks[1] = mask1;
}

#else

static inline void cy_fdct_quant_pair_avx2(const uint8_t *p0, const uint8_t *p1, int stride, const uint16_t *recip,
                                           const uint16_t *correction, const uint16_t *scale,
                                           const uint64_t *zigzag_mask_table, int16_t *out0, int16_t *out1,
                                           uint64_t *masks) {
    (void)p0; (void)p1; (void)stride; (void)recip; (void)correction; (void)scale; (void)zigzag_mask_table;
    (void)out0; (void)out1; (void)masks;
}

#endif
#endif
