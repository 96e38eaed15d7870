/* 8x8 transposes for the DCT, so that both of its 1-D passes run with one vector lane per row or column.
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

/* Three rounds of interleaving (16-, 32-, then 64-bit units) turn eight rows into eight columns. */
static inline void cy_transpose_rows(__m128i r0, __m128i r1, __m128i r2, __m128i r3, __m128i r4, __m128i r5,
                                     __m128i r6, __m128i r7, int16_t *dst) {
    __m128i t0 = _mm_unpacklo_epi16(r0, r1), t1 = _mm_unpackhi_epi16(r0, r1);
    __m128i t2 = _mm_unpacklo_epi16(r2, r3), t3 = _mm_unpackhi_epi16(r2, r3);
    __m128i t4 = _mm_unpacklo_epi16(r4, r5), t5 = _mm_unpackhi_epi16(r4, r5);
    __m128i t6 = _mm_unpacklo_epi16(r6, r7), t7 = _mm_unpackhi_epi16(r6, r7);
    __m128i u0 = _mm_unpacklo_epi32(t0, t2), u1 = _mm_unpackhi_epi32(t0, t2);
    __m128i u2 = _mm_unpacklo_epi32(t1, t3), u3 = _mm_unpackhi_epi32(t1, t3);
    __m128i u4 = _mm_unpacklo_epi32(t4, t6), u5 = _mm_unpackhi_epi32(t4, t6);
    __m128i u6 = _mm_unpacklo_epi32(t5, t7), u7 = _mm_unpackhi_epi32(t5, t7);
    _mm_storeu_si128((__m128i *)(dst + 0), _mm_unpacklo_epi64(u0, u4));
    _mm_storeu_si128((__m128i *)(dst + 8), _mm_unpackhi_epi64(u0, u4));
    _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpacklo_epi64(u1, u5));
    _mm_storeu_si128((__m128i *)(dst + 24), _mm_unpackhi_epi64(u1, u5));
    _mm_storeu_si128((__m128i *)(dst + 32), _mm_unpacklo_epi64(u2, u6));
    _mm_storeu_si128((__m128i *)(dst + 40), _mm_unpackhi_epi64(u2, u6));
    _mm_storeu_si128((__m128i *)(dst + 48), _mm_unpacklo_epi64(u3, u7));
    _mm_storeu_si128((__m128i *)(dst + 56), _mm_unpackhi_epi64(u3, u7));
}

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

#else

static inline void cy_transpose_i16(const int16_t *src, int16_t *dst) {
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) dst[c * 8 + r] = src[r * 8 + c];
}

static inline void cy_load_transposed_u8(const uint8_t *samples, int stride, int16_t *dst) {
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) dst[c * 8 + r] = samples[r * stride + c];
}

#endif
#endif
