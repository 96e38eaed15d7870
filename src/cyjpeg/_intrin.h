/* Portable bit tricks for the entropy coder: count trailing zeros, bit length, big-endian 64-bit store.
 *
 * GCC and Clang get their builtins; MSVC gets its intrinsics (with a 32-bit fallback for ctz). No
 * CPU-specific instructions are required: bsf/bsr exist on every x86-64, and arm64 has rbit/clz.
 */
#ifndef CYJPEG_INTRIN_H
#define CYJPEG_INTRIN_H

#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static __inline int cy_ctz64(uint64_t x) {
    unsigned long index;
#if defined(_M_X64) || defined(_M_ARM64)
    _BitScanForward64(&index, x);
    return (int)index;
#else
    if ((uint32_t)x) { _BitScanForward(&index, (uint32_t)x); return (int)index; }
    _BitScanForward(&index, (uint32_t)(x >> 32));
    return (int)index + 32;
#endif
}
static __inline int cy_bit_length(uint32_t x) {
    unsigned long index;
    if (!x) return 0;
    _BitScanReverse(&index, x);
    return (int)index + 1;
}
static __inline int cy_bit_length_nonzero(uint32_t x) {
    unsigned long index;
    _BitScanReverse(&index, x);
    return (int)index + 1;
}
static __inline uint64_t cy_to_big_endian64(uint64_t x) { return _byteswap_uint64(x); }
#else
/* cy_ctz64 is only called with x != 0 (the caller loops while the mask is nonzero). */
static inline int cy_ctz64(uint64_t x) { return __builtin_ctzll(x); }
static inline int cy_bit_length(uint32_t x) { return x ? 32 - __builtin_clz(x) : 0; }
/* For x != 0 (AC coefficients that are known nonzero): no test for zero. */
static inline int cy_bit_length_nonzero(uint32_t x) { return 32 - __builtin_clz(x); }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static inline uint64_t cy_to_big_endian64(uint64_t x) { return x; }
#else
static inline uint64_t cy_to_big_endian64(uint64_t x) { return __builtin_bswap64(x); }
#endif
#endif

/* Store the 8 bytes of `x` most significant first; memcpy compiles to one unaligned store. */
static inline void cy_store_be64(uint8_t *dest, uint64_t x) {
    uint64_t big = cy_to_big_endian64(x);
    memcpy(dest, &big, 8);
}

#endif
