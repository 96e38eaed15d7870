# Quantization (T.81 A.3.4) followed by the zigzag reordering (T.81 A.3.6, Figure A.6).
#
# Owns: the per-table divisor set and the kernel that turns one block of DCT output into quantized
# coefficients plus a 64-bit zigzag-order map of which are nonzero. Division is by reciprocal multiply
# (libjpeg-turbo's method): with the rounding correction below it gives exactly round-half-away-from-zero of
# coef / (8 * Q) for every magnitude below 2**15, the numbers libjpeg-turbo produces. The multiply is split
# into two 16x16 -> high-16 products, so every lane is 16 bits wide and the natural-order loop vectorises
# with plain SSE2/NEON (pmulhuw). The zigzag order itself is only applied by the Huffman coder, to the
# nonzero coefficients. Does not own quality scaling
# (_api.quality_tables does that).
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int16_t, int32_t, uint64_t
from libc.string cimport memcpy, memset
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL

# BYTES_TO_BITS = 0x0102040810204080 (written out below): byte k of the multiplier is 2**(7-k), so
# multiplying eight 0/1 bytes by it sends byte j to bit 56 + j, and no two partial products overlap.

cdef struct Divisors:
    uint16_t recip[64]       # reciprocal of the divisor, 2**shift / divisor adjusted (natural order)
    uint16_t correction[64]  # added to |coef| first: divisor/2, +1 when the reciprocal was rounded down
    uint16_t scale[64]       # 2**(32 - shift): the second high-16 multiply completes the right shift


cdef inline void make_divisors(const uint16_t* qtable_natural, Divisors* div) noexcept nogil:
    """Prepare the divisors of one quantization table (values 1..255, natural order)."""
    cdef int i, log2_floor
    cdef uint32_t divisor, recip, remainder, correction, shift
    for i in range(64):
        # The islow DCT output carries a factor 8, so the effective divisor is 8 * Q (2**3 .. 2**11).
        divisor = (<uint32_t>qtable_natural[i]) << 3
        log2_floor = 0
        while (divisor >> (log2_floor + 1)) != 0:
            log2_floor += 1
        shift = 16 + log2_floor
        recip = (<uint32_t>1 << shift) // divisor   # below 2**16 because divisor > 2**log2_floor ...
        remainder = (<uint32_t>1 << shift) % divisor
        correction = divisor // 2
        if remainder == 0:               # ... or a power of two, where the reciprocal is exact: halve it
            recip >>= 1
            shift -= 1
        elif remainder <= divisor // 2:  # rounded down by little: bump the rounding term instead
            correction += 1
        else:                            # rounded down by more than half: round the reciprocal up
            recip += 1
        div.recip[i] = <uint16_t>recip
        div.correction[i] = <uint16_t>correction
        div.scale[i] = <uint16_t>(1 << (32 - shift))   # shift >= 18, so this is at most 2**14


cdef inline uint64_t quantize_block(const int16_t* coefs, const Divisors* div,
                                    const uint64_t* zigzag_mask_table, int16_t* quantized) noexcept nogil:
    """Quantize coefs[64] into quantized[64] (both natural order); return the zigzag-order nonzero map.

    Bit k of the returned map is set when the k-th coefficient in zigzag order is nonzero, so the Huffman
    coder walks only nonzero coefficients with count-trailing-zeros and reads them through
    ZIGZAG_TO_NATURAL; no reordered copy of the block is made. `zigzag_mask_table` is the [8][256] table
    made by make_zigzag_mask_table.
    """
    cdef int i, row
    cdef int16_t value, sign
    cdef uint16_t magnitude
    cdef uint8_t nonzero[64]
    cdef uint64_t row_bytes
    cdef uint64_t nonzero_mask = 0
    for i in range(64):
        value = coefs[i]
        sign = value >> 15                             # 0 or -1
        magnitude = <uint16_t>((value ^ sign) - sign)  # |value| < 2**14, + correction < 2**16
        # ((|v| + c) * recip) >> shift, as two high-half products: (x * recip) >> 16, then * 2**(32-shift)
        # >> 16. Nested floors of divisions by powers of two equal the single floor, so this is exact.
        magnitude = <uint16_t>((<uint32_t>(<uint16_t>(magnitude + div.correction[i])) * div.recip[i]) >> 16)
        magnitude = <uint16_t>((<uint32_t>magnitude * div.scale[i]) >> 16)
        quantized[i] = <int16_t>((<int16_t>magnitude ^ sign) - sign)
        nonzero[i] = magnitude != 0
    # Gather each row's eight 0/1 bytes into one byte (a multiply places byte j at bit 56 + j, without
    # carries), then map that row's bits to their zigzag positions with one table lookup.
    for row in range(8):
        memcpy(&row_bytes, &nonzero[8 * row], 8)
        nonzero_mask |= zigzag_mask_table[256 * row + <int>((row_bytes * <uint64_t>0x0102040810204080ULL) >> 56)]
    return nonzero_mask


cdef inline void make_zigzag_mask_table(uint64_t* table) noexcept nogil:
    """Fill table[8 * 256]: for row r and a byte of row bits (as quantize_block gathers them), the
    zigzag-order map of those coefficients. Built by running the same gathering on each single byte, so it
    is right for either byte order."""
    cdef int natural_to_zigzag[64]
    cdef int row_bit_of_column[8]
    cdef uint8_t probe[8]
    cdef uint64_t row_bytes, bits
    cdef int k, row, column, pattern
    for k in range(64):
        natural_to_zigzag[ZIGZAG_TO_NATURAL[k]] = k
    for column in range(8):
        memset(probe, 0, 8)
        probe[column] = 1
        memcpy(&row_bytes, probe, 8)
        bits = (row_bytes * <uint64_t>0x0102040810204080ULL) >> 56
        row_bit_of_column[column] = 0
        while (bits >> row_bit_of_column[column]) != 1:
            row_bit_of_column[column] += 1
    for row in range(8):
        for pattern in range(256):
            bits = 0
            for column in range(8):
                if (pattern >> row_bit_of_column[column]) & 1:
                    bits |= (<uint64_t>1) << natural_to_zigzag[8 * row + column]
            table[256 * row + pattern] = bits
