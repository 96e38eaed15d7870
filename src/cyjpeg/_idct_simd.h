/* The islow inverse DCT of _idct.pxd with SSE2 pmaddwd (baseline x86-64), in the arithmetic of libjpeg-turbo's
 * x86 SIMD kernel (jidctint-avx2.asm, what Pillow runs), so that it gives the bytes of _idct.pxd's scalar
 * transform for every input, valid or corrupt.
 *
 * Lanes are 16 bits where libjpeg-turbo's are: the dequantization is a 16-bit multiply (pmullw keeps the low
 * half), in0 + in4, in0 - in4 and the odd part's z3 = in7 + in3, z4 = in5 + in1 are 16-bit adds, and each
 * pass's outputs are packed to int16 with saturation. Every other product is x * a + y * b with int16 inputs
 * and int16 constants, which pmaddwd computes exactly in 32-bit lanes; with int16 inputs no 32-bit sum of a
 * pass exceeds 1.86e9 (below 2**31), so nothing else can overflow. A block whose rows 1..7 are zero skips
 * pass 1 as libjpeg-turbo does: every column is the dequantized row 0 shifted left by 2 in 16 bits. Valid
 * files never reach a 16-bit limit; corrupt ones do, and then show what Pillow shows.
 *
 * Layout: pass 1 (columns) takes the coefficient rows as vectors, lane = column; its outputs are
 * transposed so that pass 2 (rows) again has one lane per row; a last transpose gives rows of samples.
 */
#ifndef CYJPEG_IDCT_SIMD_H
#define CYJPEG_IDCT_SIMD_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "_simd.h"

#if CY_HAVE_SSE2_DCT
#define CY_HAVE_SSE2_IDCT 1

/* One 1-D IDCT pass over eight lanes: in[k] = input k (int16), out[j] = output j, saturated to int16, of
 * (sum + 2**(shift-1)) >> shift. */
static inline void cy_idct_pass_sse2(const __m128i *in, __m128i *out, int shift_bits) {
    const __m128i shift = _mm_cvtsi32_si128(shift_bits);
    const __m128i rounding = _mm_set1_epi32(1 << (shift_bits - 1));
    const __m128i zero = _mm_setzero_si128();
    /* The 16-bit sums of the SIMD code. */
    const __m128i sum04 = _mm_add_epi16(in[0], in[4]), diff04 = _mm_sub_epi16(in[0], in[4]);
    const __m128i z3 = _mm_add_epi16(in[7], in[3]), z4 = _mm_add_epi16(in[5], in[1]);
    __m128i results[2][8];
    for (int half = 0; half < 2; half++) {
        __m128i z26 = half ? _mm_unpackhi_epi16(in[2], in[6]) : _mm_unpacklo_epi16(in[2], in[6]);
        __m128i z34 = half ? _mm_unpackhi_epi16(z3, z4) : _mm_unpacklo_epi16(z3, z4);
        __m128i p71 = half ? _mm_unpackhi_epi16(in[7], in[1]) : _mm_unpacklo_epi16(in[7], in[1]);
        __m128i p53 = half ? _mm_unpackhi_epi16(in[5], in[3]) : _mm_unpacklo_epi16(in[5], in[3]);
        /* Even part: tmp0/tmp1 = (in0 +/- in4) << 13 (the int16 sum placed in the high half, then shifted
         * down 3), tmp3 = in2 (F541 + F765) + in6 F541, tmp2 = in2 F541 + in6 (F541 - F1847). */
        __m128i tmp0 = _mm_srai_epi32(half ? _mm_unpackhi_epi16(zero, sum04) : _mm_unpacklo_epi16(zero, sum04), 3);
        __m128i tmp1 = _mm_srai_epi32(half ? _mm_unpackhi_epi16(zero, diff04) : _mm_unpacklo_epi16(zero, diff04), 3);
        __m128i tmp3 = _mm_madd_epi16(z26, CY_PAIR(CY_F0541 + CY_F0765, CY_F0541));
        __m128i tmp2 = _mm_madd_epi16(z26, CY_PAIR(CY_F0541, CY_F0541 - CY_F1847));
        __m128i tmp10 = _mm_add_epi32(_mm_add_epi32(tmp0, tmp3), rounding);
        __m128i tmp13 = _mm_add_epi32(_mm_sub_epi32(tmp0, tmp3), rounding);
        __m128i tmp11 = _mm_add_epi32(_mm_add_epi32(tmp1, tmp2), rounding);
        __m128i tmp12 = _mm_add_epi32(_mm_sub_epi32(tmp1, tmp2), rounding);
        /* Odd part: z5 = (z3 + z4) F1175 folded into z3' = z3 (F1175 - F1961) + z4 F1175 and
         * z4' = z3 F1175 + z4 (F1175 - F0390); z1 = in7 + in1, z2 = in5 + in3 folded into the pairs. */
        __m128i z3r = _mm_madd_epi16(z34, CY_PAIR(CY_F1175 - CY_F1961, CY_F1175));
        __m128i z4r = _mm_madd_epi16(z34, CY_PAIR(CY_F1175, CY_F1175 - CY_F0390));
        __m128i o0 = _mm_add_epi32(_mm_madd_epi16(p71, CY_PAIR(CY_F0298 - CY_F0899, -CY_F0899)), z3r);
        __m128i o3 = _mm_add_epi32(_mm_madd_epi16(p71, CY_PAIR(-CY_F0899, CY_F1501 - CY_F0899)), z4r);
        __m128i o1 = _mm_add_epi32(_mm_madd_epi16(p53, CY_PAIR(CY_F2053 - CY_F2562, -CY_F2562)), z4r);
        __m128i o2 = _mm_add_epi32(_mm_madd_epi16(p53, CY_PAIR(-CY_F2562, CY_F3072 - CY_F2562)), z3r);
        __m128i *r = results[half];
        r[0] = _mm_sra_epi32(_mm_add_epi32(tmp10, o3), shift);
        r[7] = _mm_sra_epi32(_mm_sub_epi32(tmp10, o3), shift);
        r[1] = _mm_sra_epi32(_mm_add_epi32(tmp11, o2), shift);
        r[6] = _mm_sra_epi32(_mm_sub_epi32(tmp11, o2), shift);
        r[2] = _mm_sra_epi32(_mm_add_epi32(tmp12, o1), shift);
        r[5] = _mm_sra_epi32(_mm_sub_epi32(tmp12, o1), shift);
        r[3] = _mm_sra_epi32(_mm_add_epi32(tmp13, o0), shift);
        r[4] = _mm_sra_epi32(_mm_sub_epi32(tmp13, o0), shift);
    }
    for (int j = 0; j < 8; j++) out[j] = _mm_packs_epi32(results[0][j], results[1][j]);
}

/* Dequantize the coefficient rows in 16 bits (pmullw keeps the low half of coef * Q) into rows[0..7], leaving
 * row `unread` zero (4 for the 4x4 transform, which never reads it; -1 for none). Returns 1 when every row
 * from 1 on (but `unread`) is zero: libjpeg-turbo's kernels then skip pass 1. */
static inline int cy_dequantize_rows_sse2(const int16_t *coef, const uint16_t *quant, __m128i *rows, int unread) {
    __m128i ac_rows = _mm_setzero_si128();
    for (int k = 0; k < 8; k++) {
        if (k == unread) {
            rows[k] = _mm_setzero_si128();
            continue;
        }
        __m128i c = _mm_loadu_si128((const __m128i *)(coef + 8 * k));
        rows[k] = _mm_mullo_epi16(c, _mm_loadu_si128((const __m128i *)(quant + 8 * k)));
        if (k) ac_rows = _mm_or_si128(ac_rows, c);
    }
    return _mm_movemask_epi8(_mm_cmpeq_epi16(ac_rows, _mm_setzero_si128())) == 0xFFFF;
}

/* Dequantize coef[64] with quant[64] (natural order), inverse-transform, level-shift, clamp and write 8 rows
 * of 8 samples `stride` bytes apart. Returns 1 (the transform takes every block). */
static inline int cy_idct_islow_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    __m128i rows[8], cols[8];
    if (cy_dequantize_rows_sse2(coef, quant, rows, -1)) {
        /* Rows 1..7 all zero: pass 1 is (coef * Q) << 2 in 16 bits down every column; after the transpose
         * row j holds that value of column j in every lane. */
        __m128i scaled = _mm_slli_epi16(rows[0], 2);
        for (int j = 0; j < 8; j++) cols[j] = scaled;
    } else {
        /* Pass 1: columns (lane = column); descale by 2**(13 - 2). */
        cy_idct_pass_sse2(rows, cols, 11);
    }
    /* cols[r] holds output row r, lane = column frequency: transpose so that lane = row. */
    cy_transpose_regs(cols);
    /* Pass 2: rows (lane = row); descale by 2**(13 + 2 + 3). */
    cy_idct_pass_sse2(cols, rows, 18);
    /* rows[x] = column x of samples (lane = row): level shift (+128, T.81 A.3.1) with saturation, then
     * packus clamps to 0..255, as libjpeg-turbo's packsswb and +128 do. */
    const __m128i centre = _mm_set1_epi16(128);
    for (int j = 0; j < 8; j++) rows[j] = _mm_adds_epi16(rows[j], centre);
    cy_transpose_regs(rows);
    for (int r = 0; r < 8; r++) _mm_storel_epi64((__m128i *)(out + r * stride), _mm_packus_epi16(rows[r], rows[r]));
    return 1;
}

/* ---- The 4x4 reduced transform (scale 1/2) in the arithmetic of libjpeg-turbo's jidctred-sse2.asm ----
 *
 * The same steps as _idct.pxd's idct_4x4_scalar: 16-bit dequantization, 32-bit sums that wrap, each pass's
 * outputs packed to int16 with saturation, and pass 1 skipped (a 16-bit shift of the dequantized row 0)
 * when rows 1, 2, 3, 5, 6, 7 are zero. Pass 1 runs with lane = column; pass 2 runs the same 4-point pass on
 * the transposed workspace, lane = row (lanes 4..7 idle). */
#define CY_R0211 1730   /* FIX(0.211164243) */
#define CY_R0509 4176   /* FIX(0.509795579) */
#define CY_R0601 4926   /* FIX(0.601344887) */
#define CY_R1061 8697   /* FIX(1.061594337) */
#define CY_R1451 11893  /* FIX(1.451774981) */
#define CY_R2172 17799  /* FIX(2.172734803) */

/* One pass of the 4-point IDCT (outputs 0..3 of jidctred.c's 4x4 transform along one direction) over the
 * first 4 * `halves` of eight lanes: in[k] = input k (int16; in[4] is not read), out[j] = output j,
 * (sum + 2**(shift-1)) >> shift saturated to int16 (lanes 4..7 undefined when halves is 1). */
static inline void cy_idct4_pass_sse2(const __m128i *in, __m128i *out, int shift_bits, int halves) {
    const __m128i shift = _mm_cvtsi32_si128(shift_bits);
    const __m128i rounding = _mm_set1_epi32(1 << (shift_bits - 1));
    const __m128i zero = _mm_setzero_si128();
    __m128i results[2][4];
    for (int half = 0; half < halves; half++) {
        __m128i p13 = half ? _mm_unpackhi_epi16(in[1], in[3]) : _mm_unpacklo_epi16(in[1], in[3]);
        __m128i p57 = half ? _mm_unpackhi_epi16(in[5], in[7]) : _mm_unpacklo_epi16(in[5], in[7]);
        __m128i p26 = half ? _mm_unpackhi_epi16(in[2], in[6]) : _mm_unpacklo_epi16(in[2], in[6]);
        /* in0 << 14: the int16 placed in the high half of its 32-bit lane, shifted down 2. */
        __m128i even0 = _mm_srai_epi32(half ? _mm_unpackhi_epi16(zero, in[0]) : _mm_unpacklo_epi16(zero, in[0]), 2);
        __m128i even2 = _mm_madd_epi16(p26, CY_PAIR(CY_F1847, -CY_F0765));
        __m128i odd2 = _mm_add_epi32(_mm_madd_epi16(p13, CY_PAIR(CY_F2562, CY_F0899)),
                                     _mm_madd_epi16(p57, CY_PAIR(-CY_R0601, -CY_R0509)));
        __m128i odd0 = _mm_add_epi32(_mm_madd_epi16(p13, CY_PAIR(CY_R1061, -CY_R2172)),
                                     _mm_madd_epi16(p57, CY_PAIR(CY_R1451, -CY_R0211)));
        __m128i tmp10 = _mm_add_epi32(_mm_add_epi32(even0, even2), rounding);
        __m128i tmp12 = _mm_add_epi32(_mm_sub_epi32(even0, even2), rounding);
        results[half][0] = _mm_sra_epi32(_mm_add_epi32(tmp10, odd2), shift);
        results[half][3] = _mm_sra_epi32(_mm_sub_epi32(tmp10, odd2), shift);
        results[half][1] = _mm_sra_epi32(_mm_add_epi32(tmp12, odd0), shift);
        results[half][2] = _mm_sra_epi32(_mm_sub_epi32(tmp12, odd0), shift);
    }
    for (int j = 0; j < 4; j++) out[j] = _mm_packs_epi32(results[0][j], results[halves - 1][j]);
}

/* Dequantize, transform, level-shift and clamp one block to 4 rows of 4 samples `stride` bytes apart.
 * Returns 1 (every block). */
static inline int cy_idct_4x4_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    __m128i rows[8], ws[8], cols[4];
    if (cy_dequantize_rows_sse2(coef, quant, rows, 4)) {
        __m128i scaled = _mm_slli_epi16(rows[0], 2);
        for (int j = 0; j < 4; j++) ws[j] = scaled;
    } else {
        cy_idct4_pass_sse2(rows, ws, 12, 2);            /* CONST_BITS - PASS1_BITS + 1; all 8 columns */
    }
    for (int j = 4; j < 8; j++) ws[j] = _mm_setzero_si128();
    /* ws[r] = workspace row r (lane = column): transpose so that ws[c] = column c (lane = row). */
    cy_transpose_regs(ws);
    cy_idct4_pass_sse2(ws, cols, 19, 1);                /* CONST_BITS + PASS1_BITS + 3 + 1; 4 rows */
    /* cols[c] lane r = sample (r, c): gather rows of four, then +128 and clamp to 0..255. */
    const __m128i centre = _mm_set1_epi16(128);
    __m128i c01 = _mm_unpacklo_epi16(cols[0], cols[1]), c23 = _mm_unpacklo_epi16(cols[2], cols[3]);
    __m128i rows01 = _mm_adds_epi16(_mm_unpacklo_epi32(c01, c23), centre);
    __m128i rows23 = _mm_adds_epi16(_mm_unpackhi_epi32(c01, c23), centre);
    __m128i samples = _mm_packus_epi16(rows01, rows23);
    for (int r = 0; r < 4; r++) {
        int32_t row = _mm_cvtsi128_si32(samples);
        memcpy(out + r * stride, &row, 4);
        samples = _mm_srli_si128(samples, 4);
    }
    return 1;
}

/* ---- The 2x2 reduced transform (scale 1/4, and 4:2:0 chroma at 1/8), as jidctred-sse2.asm computes it ----
 *
 * The steps of _idct.pxd's idct_2x2_scalar: 16-bit dequantization of rows 0, 1, 3, 5, 7; pass 1 (lane = column)
 * gives each column's two outputs in 32 bits, unpacked; pass 2 shifts column 0's outputs left by 15 in
 * 32 bits and packs columns 1, 3, 5, 7 to int16 for its products. */
#define CY_R0720 5906   /* FIX(0.720959822) */
#define CY_R0850 6967   /* FIX(0.850430095) */
#define CY_R1272 10426  /* FIX(1.272758580) */
#define CY_R3624 29692  /* FIX(3.624509785) */

static inline int cy_idct_2x2_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    const __m128i zero = _mm_setzero_si128();
    const __m128i pass1_rounding = _mm_set1_epi32(1 << 12), pass2_rounding = _mm_set1_epi32(1 << 19);
    __m128i rows[8];
    for (int k = 0; k < 8; k += (k ? 2 : 1))         /* rows 0, 1, 3, 5, 7 */
        rows[k] = _mm_mullo_epi16(_mm_loadu_si128((const __m128i *)(coef + 8 * k)),
                                  _mm_loadu_si128((const __m128i *)(quant + 8 * k)));
    /* Pass 1, per column: even = row 0 << 15, odd = r1 F3624 - r3 F1272 + r5 F0850 - r7 F0720. */
    __m128i p13_lo = _mm_unpacklo_epi16(rows[1], rows[3]), p13_hi = _mm_unpackhi_epi16(rows[1], rows[3]);
    __m128i p57_lo = _mm_unpacklo_epi16(rows[5], rows[7]), p57_hi = _mm_unpackhi_epi16(rows[5], rows[7]);
    __m128i odd_lo = _mm_add_epi32(_mm_madd_epi16(p13_lo, CY_PAIR(CY_R3624, -CY_R1272)),
                                   _mm_madd_epi16(p57_lo, CY_PAIR(CY_R0850, -CY_R0720)));
    __m128i odd_hi = _mm_add_epi32(_mm_madd_epi16(p13_hi, CY_PAIR(CY_R3624, -CY_R1272)),
                                   _mm_madd_epi16(p57_hi, CY_PAIR(CY_R0850, -CY_R0720)));
    __m128i even_lo = _mm_add_epi32(_mm_srai_epi32(_mm_unpacklo_epi16(zero, rows[0]), 1), pass1_rounding);
    __m128i even_hi = _mm_add_epi32(_mm_srai_epi32(_mm_unpackhi_epi16(zero, rows[0]), 1), pass1_rounding);
    /* a = output row 0, b = output row 1 of columns 0..3 (lo) and 4..7 (hi). */
    __m128i a_lo = _mm_srai_epi32(_mm_add_epi32(even_lo, odd_lo), 13);
    __m128i a_hi = _mm_srai_epi32(_mm_add_epi32(even_hi, odd_hi), 13);
    __m128i b_lo = _mm_srai_epi32(_mm_sub_epi32(even_lo, odd_lo), 13);
    __m128i b_hi = _mm_srai_epi32(_mm_sub_epi32(even_hi, odd_hi), 13);
    /* Pass 2. Odd part: (a1 a3), (b1 b3) and (a5 a7), (b5 b7) as 16-bit pairs. */
    __m128i a16 = _mm_packs_epi32(a_lo, a_hi), b16 = _mm_packs_epi32(b_lo, b_hi);
    a16 = _mm_shufflehi_epi16(_mm_shufflelo_epi16(a16, _MM_SHUFFLE(3, 1, 3, 1)), _MM_SHUFFLE(3, 1, 3, 1));
    b16 = _mm_shufflehi_epi16(_mm_shufflelo_epi16(b16, _MM_SHUFFLE(3, 1, 3, 1)), _MM_SHUFFLE(3, 1, 3, 1));
    __m128i odd = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi32(a16, b16), CY_PAIR(CY_R3624, -CY_R1272)),
                                _mm_madd_epi16(_mm_unpackhi_epi32(a16, b16), CY_PAIR(CY_R0850, -CY_R0720)));
    /* Even part: column 0's outputs (a0, b0) shifted left in 32 bits. Lanes 0, 1: rows 0 and 1. */
    __m128i even = _mm_add_epi32(_mm_slli_epi32(_mm_unpacklo_epi32(a_lo, b_lo), 15), pass2_rounding);
    __m128i left = _mm_srai_epi32(_mm_add_epi32(even, odd), 20), right = _mm_srai_epi32(_mm_sub_epi32(even, odd), 20);
    /* (row 0 left, row 0 right, row 1 left, row 1 right), +128 and clamped to 0..255. */
    __m128i samples = _mm_adds_epi16(_mm_packs_epi32(_mm_unpacklo_epi32(left, right), zero), _mm_set1_epi16(128));
    int32_t both = _mm_cvtsi128_si32(_mm_packus_epi16(samples, samples));
    uint16_t row0 = (uint16_t)both, row1 = (uint16_t)((uint32_t)both >> 16);
    memcpy(out, &row0, 2);
    memcpy(out + stride, &row1, 2);
    return 1;
}

/* Zero the 64 coefficients of a block that has been transformed, for the next one: eight 16-byte stores (a
 * 128-byte memset of unknown alignment can become `rep stos`, which costs more than the stores to start). */
static inline void cy_clear_block(int16_t *coef) {
    const __m128i zero = _mm_setzero_si128();
    for (int k = 0; k < 8; k++) _mm_storeu_si128((__m128i *)(coef + 8 * k), zero);
}

#else
#define CY_HAVE_SSE2_IDCT 0
static inline int cy_idct_islow_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    (void)coef; (void)quant; (void)out; (void)stride;
    return 0;
}

static inline void cy_clear_block(int16_t *coef) {
    memset(coef, 0, 64 * sizeof(int16_t));
}

static inline int cy_idct_4x4_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    (void)coef; (void)quant; (void)out; (void)stride;
    return 0;
}

static inline int cy_idct_2x2_sse2(const int16_t *coef, const uint16_t *quant, uint8_t *out, ptrdiff_t stride) {
    (void)coef; (void)quant; (void)out; (void)stride;
    return 0;
}
#endif
/* ---- Two blocks at once with AVX2, for the decoder's AVX2 twin only (_dispatch.h). ----
 *
 * Each 128-bit lane of a 256-bit register holds one block's row (or column), and every operation above
 * (pmullw, paddw, punpck*, pmaddwd, psrad, packssdw) works lane by lane in its 256-bit form, so the pair
 * gives each block exactly the bytes cy_idct_islow_sse2 gives it, the pass-1 shortcut included (decided per
 * block). Returns 1 when done, 0 where the build has no AVX2 twin. */
#if CY_HAVE_SSE2_DCT && CY_HAVE_AVX2_TWIN        /* (_simd.h brings _dispatch.h and the AVX2 helpers) */
#define CY_HAVE_AVX2_IDCT 1

CY_AVX2_FN void cy_idct_pass_avx2(const __m256i *in, __m256i *out, int shift_bits) {
    const __m128i shift = _mm_cvtsi32_si128(shift_bits);
    const __m256i rounding = _mm256_set1_epi32(1 << (shift_bits - 1));
    const __m256i zero = _mm256_setzero_si256();
    const __m256i sum04 = _mm256_add_epi16(in[0], in[4]), diff04 = _mm256_sub_epi16(in[0], in[4]);
    const __m256i z3 = _mm256_add_epi16(in[7], in[3]), z4 = _mm256_add_epi16(in[5], in[1]);
    __m256i results[2][8];
    for (int half = 0; half < 2; half++) {
        __m256i z26 = half ? _mm256_unpackhi_epi16(in[2], in[6]) : _mm256_unpacklo_epi16(in[2], in[6]);
        __m256i z34 = half ? _mm256_unpackhi_epi16(z3, z4) : _mm256_unpacklo_epi16(z3, z4);
        __m256i p71 = half ? _mm256_unpackhi_epi16(in[7], in[1]) : _mm256_unpacklo_epi16(in[7], in[1]);
        __m256i p53 = half ? _mm256_unpackhi_epi16(in[5], in[3]) : _mm256_unpacklo_epi16(in[5], in[3]);
        __m256i tmp0 = _mm256_srai_epi32(half ? _mm256_unpackhi_epi16(zero, sum04) : _mm256_unpacklo_epi16(zero, sum04), 3);
        __m256i tmp1 = _mm256_srai_epi32(half ? _mm256_unpackhi_epi16(zero, diff04) : _mm256_unpacklo_epi16(zero, diff04), 3);
        __m256i tmp3 = _mm256_madd_epi16(z26, CY_PAIR_256(CY_F0541 + CY_F0765, CY_F0541));
        __m256i tmp2 = _mm256_madd_epi16(z26, CY_PAIR_256(CY_F0541, CY_F0541 - CY_F1847));
        __m256i tmp10 = _mm256_add_epi32(_mm256_add_epi32(tmp0, tmp3), rounding);
        __m256i tmp13 = _mm256_add_epi32(_mm256_sub_epi32(tmp0, tmp3), rounding);
        __m256i tmp11 = _mm256_add_epi32(_mm256_add_epi32(tmp1, tmp2), rounding);
        __m256i tmp12 = _mm256_add_epi32(_mm256_sub_epi32(tmp1, tmp2), rounding);
        __m256i z3r = _mm256_madd_epi16(z34, CY_PAIR_256(CY_F1175 - CY_F1961, CY_F1175));
        __m256i z4r = _mm256_madd_epi16(z34, CY_PAIR_256(CY_F1175, CY_F1175 - CY_F0390));
        __m256i o0 = _mm256_add_epi32(_mm256_madd_epi16(p71, CY_PAIR_256(CY_F0298 - CY_F0899, -CY_F0899)), z3r);
        __m256i o3 = _mm256_add_epi32(_mm256_madd_epi16(p71, CY_PAIR_256(-CY_F0899, CY_F1501 - CY_F0899)), z4r);
        __m256i o1 = _mm256_add_epi32(_mm256_madd_epi16(p53, CY_PAIR_256(CY_F2053 - CY_F2562, -CY_F2562)), z4r);
        __m256i o2 = _mm256_add_epi32(_mm256_madd_epi16(p53, CY_PAIR_256(-CY_F2562, CY_F3072 - CY_F2562)), z3r);
        __m256i *r = results[half];
        r[0] = _mm256_sra_epi32(_mm256_add_epi32(tmp10, o3), shift);
        r[7] = _mm256_sra_epi32(_mm256_sub_epi32(tmp10, o3), shift);
        r[1] = _mm256_sra_epi32(_mm256_add_epi32(tmp11, o2), shift);
        r[6] = _mm256_sra_epi32(_mm256_sub_epi32(tmp11, o2), shift);
        r[2] = _mm256_sra_epi32(_mm256_add_epi32(tmp12, o1), shift);
        r[5] = _mm256_sra_epi32(_mm256_sub_epi32(tmp12, o1), shift);
        r[3] = _mm256_sra_epi32(_mm256_add_epi32(tmp13, o0), shift);
        r[4] = _mm256_sra_epi32(_mm256_sub_epi32(tmp13, o0), shift);
    }
    for (int j = 0; j < 8; j++) out[j] = _mm256_packs_epi32(results[0][j], results[1][j]);
}

CY_AVX2_FN int cy_idct_islow_avx2_pair(
        const int16_t *coef_a, const uint16_t *quant_a, uint8_t *out_a, ptrdiff_t stride_a,
        const int16_t *coef_b, const uint16_t *quant_b, uint8_t *out_b, ptrdiff_t stride_b) {
    __m256i rows[8], cols[8];
    __m256i ac_rows = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) {
        __m256i c = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(coef_a + 8 * k))),
                                            _mm_loadu_si128((const __m128i *)(coef_b + 8 * k)), 1);
        __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(quant_a + 8 * k))),
                                            _mm_loadu_si128((const __m128i *)(quant_b + 8 * k)), 1);
        rows[k] = _mm256_mullo_epi16(c, q);
        if (k) ac_rows = _mm256_or_si256(ac_rows, c);
    }
    /* Bits 0-15 of the mask: block a's rows 1..7 are all zero where set; bits 16-31: block b's. */
    const unsigned zero_rows = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(ac_rows, _mm256_setzero_si256()));
    const int short_a = (zero_rows & 0xFFFFu) == 0xFFFFu, short_b = (zero_rows >> 16) == 0xFFFFu;
    const __m256i scaled = _mm256_slli_epi16(rows[0], 2);
    if (short_a && short_b) {
        for (int j = 0; j < 8; j++) cols[j] = scaled;
    } else {
        cy_idct_pass_avx2(rows, cols, 11);
        if (short_a || short_b) {
            /* One block takes libjpeg-turbo's shortcut (its wrapping 16-bit shift), the other the full pass. */
            for (int j = 0; j < 8; j++)
                cols[j] = short_a ? _mm256_blend_epi32(cols[j], scaled, 0x0F) : _mm256_blend_epi32(cols[j], scaled, 0xF0);
        }
    }
    cy_transpose_256(cols);
    cy_idct_pass_avx2(cols, rows, 18);
    const __m256i centre = _mm256_set1_epi16(128);
    for (int j = 0; j < 8; j++) rows[j] = _mm256_adds_epi16(rows[j], centre);
    cy_transpose_256(rows);
    for (int r = 0; r < 8; r++) {
        __m256i v = _mm256_packus_epi16(rows[r], rows[r]);
        _mm_storel_epi64((__m128i *)(out_a + r * stride_a), _mm256_castsi256_si128(v));
        _mm_storel_epi64((__m128i *)(out_b + r * stride_b), _mm256_extracti128_si256(v, 1));
    }
    return 1;
}
#else
#define CY_HAVE_AVX2_IDCT 0
static inline int cy_idct_islow_avx2_pair(const int16_t *coef_a, const uint16_t *quant_a, uint8_t *out_a,
                                          ptrdiff_t stride_a, const int16_t *coef_b, const uint16_t *quant_b,
                                          uint8_t *out_b, ptrdiff_t stride_b) {
    (void)coef_a; (void)quant_a; (void)out_a; (void)stride_a; (void)coef_b; (void)quant_b; (void)out_b;
    (void)stride_b;
    return 0;
}
#endif

#endif
