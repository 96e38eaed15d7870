# Quantization (T.81 A.3.4) fused with the zigzag reordering (T.81 A.3.6, Figure A.6).
#
# Owns: the per-table divisor set (reciprocal, rounding correction, shift) and the kernel that turns one
# block of DCT output into quantized coefficients in zigzag order plus a 64-bit map of which are nonzero.
# Dividing by reciprocal multiply is libjpeg-turbo's method; the rounding correction makes it give exactly
# round-half-away-from-zero of coef / (8 * Q) for every input magnitude below 2**15, the same numbers
# libjpeg-turbo produces. Does not own quality scaling (_api.quality_tables does that).
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int16_t, int32_t, uint64_t
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL

cdef struct Divisors:
    uint32_t recip[64]       # floor(2**shift / divisor) (adjusted), in zigzag order
    uint32_t correction[64]  # added to |coef| before the multiply: divisor/2, +1 when the reciprocal rounds down
    uint8_t shift[64]        # total right shift after the multiply, 16..23
    uint8_t natural[64]      # the natural-order index each zigzag position reads


cdef inline void make_divisors(const uint16_t* qtable_natural, Divisors* div) noexcept nogil:
    """Prepare the divisors of one quantization table (values 1..255, natural order)."""
    cdef int k, log2_floor
    cdef uint32_t divisor, recip, remainder, correction, shift
    for k in range(64):
        # The islow DCT output carries a factor 8, so the effective divisor is 8 * Q (2**3 .. 2**11).
        divisor = (<uint32_t>qtable_natural[ZIGZAG_TO_NATURAL[k]]) << 3
        log2_floor = 0
        while (divisor >> (log2_floor + 1)) != 0:
            log2_floor += 1
        shift = 16 + log2_floor
        recip = (<uint32_t>1 << shift) // divisor
        remainder = (<uint32_t>1 << shift) % divisor
        correction = divisor // 2
        if remainder == 0:           # power of two: the reciprocal is exact
            recip >>= 1
            shift -= 1
        elif remainder <= divisor // 2:  # reciprocal rounded down by little: bump the rounding term
            correction += 1
        else:                        # reciprocal rounded down by more than half: round it up
            recip += 1
        div.recip[k] = recip
        div.correction[k] = correction
        div.shift[k] = <uint8_t>shift
        div.natural[k] = ZIGZAG_TO_NATURAL[k]


cdef inline uint64_t quantize_zigzag(const int32_t* coefs, const Divisors* div, int16_t* zz) noexcept nogil:
    """Quantize coefs[64] (natural order) into zz[64] (zigzag order); return the nonzero bitmap.

    Bit k of the result is set when zz[k] != 0, so the Huffman coder can walk only nonzero
    coefficients with count-trailing-zeros (zero runs cost nothing).
    """
    cdef int k
    cdef int32_t value, sign
    cdef uint32_t magnitude
    cdef uint64_t nonzero_mask = 0
    for k in range(64):
        value = coefs[div.natural[k]]
        sign = value >> 31                      # 0 or -1
        magnitude = <uint32_t>((value ^ sign) - sign)
        # |value| < 2**15 and recip <= 2**16, so the product fits in 32 bits.
        magnitude = ((magnitude + div.correction[k]) * div.recip[k]) >> div.shift[k]
        value = (<int32_t>magnitude ^ sign) - sign
        zz[k] = <int16_t>value
        nonzero_mask |= (<uint64_t>(magnitude != 0)) << k
    return nonzero_mask
