/* RGB -> YCbCr (encoder) and YCbCr -> RGB (decoder) with AVX2, for the AVX2 twins of the MCU loops
 * (_dispatch.h) only.
 *
 * The portable path (_color.pxd: split the interleaved row into planes, then a loop the compiler vectorises)
 * spends most of its time on the split and on widening every product to 32 bits. Here pshufb splits 16
 * pixels at once, and pmaddwd forms two products and their sum per 32-bit lane. The weights of _color.pxd
 * are regrouped into int16 pairs; integer sums are exact, so every value equals the portable result:
 *   Y  = 19595 R + 38470 G + 7471 B + 32768           = (R,G).(19595, 22086) + (G,B).(16384, 7471) + 32768
 *   Cb = -11059 R - 21709 G + 32768 B + CBCR_OFFSET   = (R,G).(-11059, -21709) + 2 (G,B).(0, 16384) + offset
 *   Cr = 32768 R - 27439 G - 5329 B + CBCR_OFFSET     = (R,G).(16384, -27439) + (R,G).(16384, 0)
 *                                                       + (G,B).(0, -5329) + offset
 * each then shifted right by 16. All sums stay inside int32 and are not negative where they are shifted.
 *
 * cy_rgb_to_ycc_avx2 carries the `target("avx2")` attribute, so it may only run on an AVX2 CPU: the encoder
 * calls it only from its AVX2 twin (a compile-time constant argument removes the call from the other twin).
 */
#ifndef CYJPEG_COLOR_SIMD_H
#define CYJPEG_COLOR_SIMD_H

#include <stdint.h>
#include "_dispatch.h"

#if CY_HAVE_AVX2_TWIN
#include <immintrin.h>

#define CY_HAVE_AVX2_COLOR 1

/* pmaddwd constant pair (a, b): a in the low 16 bits of each 32-bit lane, b in the high 16 bits. */
#define CY_PAIR256(a, b) _mm256_set1_epi32((int)(((uint32_t)(uint16_t)(int16_t)(b) << 16) | (uint16_t)(int16_t)(a)))

/* One channel of 16 interleaved pixels (48 bytes in a, b, c) as 16 bytes: three shuffles and two ORs. */
__attribute__((target("avx2"))) static inline __m128i cy_channel16(__m128i a, __m128i b, __m128i c, __m128i mask_a,
                                                                   __m128i mask_b, __m128i mask_c) {
    return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, mask_a), _mm_shuffle_epi8(b, mask_b)),
                        _mm_shuffle_epi8(c, mask_c));
}

/* Sixteen int32 lanes (two vectors from the lo and hi unpacks) shifted right by 16, as 16 bytes in order. */
__attribute__((target("avx2"))) static inline __m128i cy_narrow16(__m256i lo, __m256i hi) {
    __m256i words = _mm256_packs_epi32(_mm256_srai_epi32(lo, 16), _mm256_srai_epi32(hi, 16));
    __m256i bytes = _mm256_packus_epi16(words, words);      /* per 128-bit lane: pixels 0-7 | 8-15 */
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(bytes, 0x08));
}

/* Convert the first (count / 16) * 16 pixels of an interleaved RGB row; return how many were done. */
__attribute__((target("avx2"))) static inline int cy_rgb_to_ycc_avx2(const uint8_t *rgb, int count, uint8_t *y_out,
                                                                     uint8_t *cb_out, uint8_t *cr_out) {
    const __m128i r_a = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i r_b = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i r_c = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i g_a = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g_b = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i g_c = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i b_a = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b_b = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i b_c = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    const __m256i y_rg = CY_PAIR256(19595, 38470 - 16384), y_gb = CY_PAIR256(16384, 7471);
    const __m256i cb_rg = CY_PAIR256(-11059, -21709), cb_gb = CY_PAIR256(0, 16384);
    const __m256i cr_rg = CY_PAIR256(16384, -27439), cr_r = CY_PAIR256(16384, 0), cr_gb = CY_PAIR256(0, -5329);
    const __m256i y_offset = _mm256_set1_epi32(32768);                 /* ONE_HALF */
    const __m256i c_offset = _mm256_set1_epi32((128 << 16) + 32767);   /* CBCR_OFFSET */
    int x = 0;
    for (; x + 16 <= count; x += 16) {
        const uint8_t *p = rgb + 3 * x;
        __m128i a = _mm_loadu_si128((const __m128i *)p), b = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
        __m256i r = _mm256_cvtepu8_epi16(cy_channel16(a, b, c, r_a, r_b, r_c));
        __m256i g = _mm256_cvtepu8_epi16(cy_channel16(a, b, c, g_a, g_b, g_c));
        __m256i bl = _mm256_cvtepu8_epi16(cy_channel16(a, b, c, b_a, b_b, b_c));
        /* Per 128-bit lane, lo holds pixels 0-3 (and 8-11), hi pixels 4-7 (and 12-15); the packs in
         * cy_narrow16 put them back in order. */
        __m256i rg_lo = _mm256_unpacklo_epi16(r, g), rg_hi = _mm256_unpackhi_epi16(r, g);
        __m256i gb_lo = _mm256_unpacklo_epi16(g, bl), gb_hi = _mm256_unpackhi_epi16(g, bl);
        __m256i y_lo = _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg_lo, y_rg), _mm256_madd_epi16(gb_lo, y_gb)),
                                        y_offset);
        __m256i y_hi = _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg_hi, y_rg), _mm256_madd_epi16(gb_hi, y_gb)),
                                        y_offset);
        __m256i cb_lo = _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg_lo, cb_rg),
                                                          _mm256_slli_epi32(_mm256_madd_epi16(gb_lo, cb_gb), 1)),
                                         c_offset);
        __m256i cb_hi = _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg_hi, cb_rg),
                                                          _mm256_slli_epi32(_mm256_madd_epi16(gb_hi, cb_gb), 1)),
                                         c_offset);
        __m256i cr_lo = _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg_lo, cr_rg), _mm256_madd_epi16(rg_lo, cr_r)),
                                         _mm256_add_epi32(_mm256_madd_epi16(gb_lo, cr_gb), c_offset));
        __m256i cr_hi = _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg_hi, cr_rg), _mm256_madd_epi16(rg_hi, cr_r)),
                                         _mm256_add_epi32(_mm256_madd_epi16(gb_hi, cr_gb), c_offset));
        _mm_storeu_si128((__m128i *)(y_out + x), cy_narrow16(y_lo, y_hi));
        _mm_storeu_si128((__m128i *)(cb_out + x), cy_narrow16(cb_lo, cb_hi));
        _mm_storeu_si128((__m128i *)(cr_out + x), cy_narrow16(cr_lo, cr_hi));
    }
    return x;
}

/* ---- Decoder: YCbCr -> interleaved RGB (the JFIF equations of _upsample.pxd's tables) ----
 *
 * The tables hold round(k * (C - 128)) in 16-bit fixed point; here the same sums are computed in lanes. The
 * weights above 2**15 are split into a multiple of 2**16 (an exact integer part) and an int16 rest, so that
 * pmaddwd forms each sum exactly: with x = C - 128,
 *   (91881 x + 32768) >> 16                  = x + ((26345 x + 2 * 16384) >> 16)              (R)
 *   (116130 x + 32768) >> 16                 = 2 x + ((-14942 x + 2 * 16384) >> 16)           (B)
 *   (-22554 xb + 32768 - 46802 xr) >> 16     = -xr + ((-22554 xb + 18734 xr + 32768) >> 16)   (G)
 * (adding a multiple of 2**16 before an arithmetic shift by 16 adds exactly that multiple's quotient).
 * Y plus each term lies in -227..482, inside int16, and packus clamps it to 0..255 as the clamp table does. */
#define CY_HAVE_AVX2_YCC_TO_RGB 1

/* Sixteen int32 results of (pmaddwd + 0) >> 16 from the lo and hi unpacks, as 16 int16 in pixel order. */
__attribute__((target("avx2"))) static inline __m256i cy_term16(__m256i lo, __m256i hi) {
    return _mm256_packs_epi32(_mm256_srai_epi32(lo, 16), _mm256_srai_epi32(hi, 16));
}

/* Convert the first (width / 16) * 16 pixels; return how many were done. */
__attribute__((target("avx2"))) static inline int cy_ycc_to_rgb_avx2(const uint8_t *luma, const uint8_t *cb_row,
                                                                     const uint8_t *cr_row, uint8_t *out, int width) {
    const __m128i r0 = _mm_setr_epi8(0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1, 5);
    const __m128i g0 = _mm_setr_epi8(-1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1);
    const __m128i b0 = _mm_setr_epi8(-1, -1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1);
    const __m128i r1 = _mm_setr_epi8(-1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10, -1);
    const __m128i g1 = _mm_setr_epi8(5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10);
    const __m128i b1 = _mm_setr_epi8(-1, 5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1);
    const __m128i r2 = _mm_setr_epi8(-1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1, -1);
    const __m128i g2 = _mm_setr_epi8(-1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1);
    const __m128i b2 = _mm_setr_epi8(10, -1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15);
    const __m256i centre = _mm256_set1_epi16(128), two = _mm256_set1_epi16(2);
    const __m256i r_pair = CY_PAIR256(26345, 16384), b_pair = CY_PAIR256(-14942, 16384);
    const __m256i g_pair = CY_PAIR256(-22554, 18734), g_half = _mm256_set1_epi32(32768);
    int x = 0;
    for (; x + 16 <= width; x += 16) {
        __m256i y = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(luma + x)));
        __m256i xb = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(cb_row + x))), centre);
        __m256i xr = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(cr_row + x))), centre);
        __m256i r_term = cy_term16(_mm256_madd_epi16(_mm256_unpacklo_epi16(xr, two), r_pair),
                                   _mm256_madd_epi16(_mm256_unpackhi_epi16(xr, two), r_pair));
        __m256i b_term = cy_term16(_mm256_madd_epi16(_mm256_unpacklo_epi16(xb, two), b_pair),
                                   _mm256_madd_epi16(_mm256_unpackhi_epi16(xb, two), b_pair));
        __m256i g_term = cy_term16(
            _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(xb, xr), g_pair), g_half),
            _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(xb, xr), g_pair), g_half));
        __m256i red = _mm256_add_epi16(_mm256_add_epi16(y, xr), r_term);
        __m256i green = _mm256_add_epi16(_mm256_sub_epi16(y, xr), g_term);
        __m256i blue = _mm256_add_epi16(_mm256_add_epi16(y, _mm256_add_epi16(xb, xb)), b_term);
        /* packus clamps to 0..255; the lane-wise pack leaves pixels 0-7 | 8-15 in quads 0 and 2. */
        __m128i R = _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi16(red, red), 0x08));
        __m128i G = _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi16(green, green), 0x08));
        __m128i B = _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi16(blue, blue), 0x08));
        uint8_t *o = out + 3 * x;
        _mm_storeu_si128((__m128i *)o, _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(R, r0), _mm_shuffle_epi8(G, g0)),
                                                    _mm_shuffle_epi8(B, b0)));
        _mm_storeu_si128((__m128i *)(o + 16), _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(R, r1), _mm_shuffle_epi8(G, g1)),
                                                           _mm_shuffle_epi8(B, b1)));
        _mm_storeu_si128((__m128i *)(o + 32), _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(R, r2), _mm_shuffle_epi8(G, g2)),
                                                           _mm_shuffle_epi8(B, b2)));
    }
    return x;
}

#else

#define CY_HAVE_AVX2_COLOR 0
#define CY_HAVE_AVX2_YCC_TO_RGB 0
static inline int cy_ycc_to_rgb_avx2(const uint8_t *luma, const uint8_t *cb_row, const uint8_t *cr_row,
                                     uint8_t *out, int width) {
    (void)luma; (void)cb_row; (void)cr_row; (void)out; (void)width;
    return 0;
}
static inline int cy_rgb_to_ycc_avx2(const uint8_t *rgb, int count, uint8_t *y_out, uint8_t *cb_out,
                                     uint8_t *cr_out) {
    (void)rgb; (void)count; (void)y_out; (void)cb_out; (void)cr_out;
    return 0;
}

#endif
#endif
