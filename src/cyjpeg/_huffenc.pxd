# Huffman coding of quantized blocks for the encoder (T.81 F.1.2, Annex C, Annex K.2).
#
# Owns: code tables derived from BITS/HUFFVAL (T.81 C.2), the block coder (DC difference, then run/size
# symbols for the nonzero AC coefficients, ZRL and EOB, T.81 F.1.2.1 and F.1.2.2), the matching symbol
# counter for the statistics pass, and optimal tables from those counts (T.81 K.2, length-limited to 16
# bits the way libjpeg's jpeg_gen_optimal_table does, so the tables equal Pillow's optimize=True tables).
# The coder walks the nonzero bitmap made by _quant.pxd with count-trailing-zeros, so zero runs are free.
# Does not own output bytes (see _bitwriter.pxd) or marker segments.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int16_t, int32_t, int64_t, uint64_t
from libc.string cimport memset
from cyjpeg._bitwriter cimport BitWriter, put_bits
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL

cdef extern from "_intrin.h":
    int cy_ctz64(uint64_t x) noexcept nogil
    int cy_bit_length(uint32_t x) noexcept nogil
    int cy_bit_length_nonzero(uint32_t x) noexcept nogil

cdef enum:
    SYMBOL_ZRL = 0xF0   # run of 16 zeros (T.81 F.1.2.2.1)
    SYMBOL_EOB = 0x00   # end of block: the rest of the block is zero

cdef struct HuffCodes:
    uint32_t code[256]   # code word of each symbol, right-aligned
    uint8_t length[256]  # its length in bits; 0 when the table has no code for the symbol

cdef struct HuffSpec:
    uint8_t bits[16]     # BITS: number of codes of each length 1..16 (T.81 B.2.4.2)
    uint8_t values[256]  # HUFFVAL: symbols in order of increasing code length
    int count            # number of symbols


cdef inline int make_codes(const HuffSpec* spec, HuffCodes* codes) noexcept nogil:
    """Assign canonical codes to the symbols of `spec` (T.81 C.2, Figures C.1 to C.3).

    Returns 0, or -1 when BITS over-subscribes a code length or repeats a symbol.
    """
    cdef int length, i, k = 0
    cdef uint32_t code = 0
    memset(codes, 0, sizeof(HuffCodes))
    for length in range(1, 17):
        for i in range(spec.bits[length - 1]):
            if k >= spec.count or codes.length[spec.values[k]] != 0:
                return -1
            codes.code[spec.values[k]] = code
            codes.length[spec.values[k]] = <uint8_t>length
            code += 1
            k += 1
        # All codes of this length must fit in `length` bits (Figure C.2's check).
        if code > (<uint32_t>1 << length):
            return -1
        code <<= 1
    return 0


cdef inline void load_spec(const uint8_t* bits, const uint8_t* values, HuffSpec* spec) noexcept nogil:
    cdef int i
    spec.count = 0
    for i in range(16):
        spec.bits[i] = bits[i]
        spec.count += bits[i]
    for i in range(spec.count):
        spec.values[i] = values[i]


cdef inline void encode_block(BitWriter* bw, const int16_t* coefs, uint64_t nonzero_mask, int32_t* dc_pred,
                              const HuffCodes* dc_codes, const HuffCodes* ac_codes) noexcept nogil:
    """Huffman-code one quantized block. `coefs` is in natural order; `nonzero_mask` in zigzag order.

    The caller has reserved the output room.
    """
    cdef int32_t diff = coefs[0] - dc_pred[0]
    cdef int32_t value, sign
    cdef uint32_t magnitude
    cdef int nbits, run, k, last_k = 0, symbol
    dc_pred[0] = coefs[0]
    # T.81 F.1.2.1: the DC difference is coded as its magnitude category (a Huffman symbol) followed by
    # that many bits: the value itself when positive, value - 1 (ones' complement) when negative.
    sign = diff >> 31
    magnitude = <uint32_t>((diff ^ sign) - sign)
    nbits = cy_bit_length(magnitude)
    diff += sign
    put_bits(bw, (dc_codes.code[nbits] << nbits) | (<uint32_t>diff & ((<uint32_t>1 << nbits) - 1)),
             dc_codes.length[nbits] + nbits)
    # T.81 F.1.2.2: each nonzero AC coefficient is coded as (zero run, magnitude category) then its bits.
    nonzero_mask &= ~(<uint64_t>1)
    while nonzero_mask:
        k = cy_ctz64(nonzero_mask)
        nonzero_mask &= nonzero_mask - 1
        run = k - last_k - 1
        while run >= 16:
            put_bits(bw, ac_codes.code[SYMBOL_ZRL], ac_codes.length[SYMBOL_ZRL])
            run -= 16
        value = coefs[ZIGZAG_TO_NATURAL[k]]
        sign = value >> 31                       # 0 or -1; branch-free, since signs are unpredictable
        magnitude = <uint32_t>((value ^ sign) - sign)
        nbits = cy_bit_length_nonzero(magnitude)
        value += sign                            # value - 1 for negatives: T.81 F.1.2.2.1's extra bits
        symbol = (run << 4) | nbits
        put_bits(bw, (ac_codes.code[symbol] << nbits) | (<uint32_t>value & ((<uint32_t>1 << nbits) - 1)),
                 ac_codes.length[symbol] + nbits)
        last_k = k
    if last_k != 63:
        put_bits(bw, ac_codes.code[SYMBOL_EOB], ac_codes.length[SYMBOL_EOB])


cdef inline void count_block(const int16_t* coefs, uint64_t nonzero_mask, int32_t* dc_pred,
                             int64_t* dc_freq, int64_t* ac_freq) noexcept nogil:
    """Count the symbols encode_block would emit for this block (the statistics pass for K.2)."""
    cdef int32_t diff = coefs[0] - dc_pred[0]
    cdef int32_t value
    cdef int run, k, last_k = 0
    dc_pred[0] = coefs[0]
    dc_freq[cy_bit_length(<uint32_t>(-diff if diff < 0 else diff))] += 1
    nonzero_mask &= ~(<uint64_t>1)
    while nonzero_mask:
        k = cy_ctz64(nonzero_mask)
        nonzero_mask &= nonzero_mask - 1
        run = k - last_k - 1
        while run >= 16:
            ac_freq[SYMBOL_ZRL] += 1
            run -= 16
        value = coefs[ZIGZAG_TO_NATURAL[k]]
        ac_freq[(run << 4) | cy_bit_length(<uint32_t>(-value if value < 0 else value))] += 1
        last_k = k
    if last_k != 63:
        ac_freq[SYMBOL_EOB] += 1


cdef inline void optimal_spec(const int64_t* counts, HuffSpec* spec) noexcept nogil:
    """Build length-limited optimal BITS/HUFFVAL from symbol counts[256] (T.81 K.2, Figures K.1 to K.4).

    A pseudo-symbol 256 with count 1 takes part in the tree so that it, not a real symbol, ends up with
    the all-ones code word of the longest length, which T.81 forbids (C.2 note); it is then removed.
    Ties are broken as libjpeg does (the larger symbol number first), so equal counts give equal tables.
    Only the symbols that occur take part: a scan's few dozen symbols cost a few dozen comparisons per
    merge instead of 257, and the tree is the same.
    """
    cdef int64_t freq[257]
    cdef int symbol[257]
    cdef int code_size[257]
    cdef int others[257]
    cdef int bits[33]
    cdef int n = 0, i, j, c1, c2, count
    cdef int64_t smallest
    for i in range(256):
        if counts[i]:
            freq[n] = counts[i]
            symbol[n] = i
            n += 1
    freq[n] = 1                 # the reserved pseudo-symbol 256 (see optimal_spec)
    symbol[n] = 256
    n += 1
    for i in range(n):
        code_size[i] = 0
        others[i] = -1
    for i in range(33):
        bits[i] = 0
    while True:
        c1 = -1
        smallest = 0x7FFFFFFFFFFFFFFF
        for i in range(n):
            if freq[i] != 0 and freq[i] <= smallest:
                smallest = freq[i]
                c1 = i
        c2 = -1
        smallest = 0x7FFFFFFFFFFFFFFF
        for i in range(n):
            if freq[i] != 0 and freq[i] <= smallest and i != c1:
                smallest = freq[i]
                c2 = i
        if c2 < 0:
            break
        freq[c1] += freq[c2]
        freq[c2] = 0
        code_size[c1] += 1
        while others[c1] >= 0:
            c1 = others[c1]
            code_size[c1] += 1
        others[c1] = c2
        code_size[c2] += 1
        while others[c2] >= 0:
            c2 = others[c2]
            code_size[c2] += 1
    for i in range(n):
        if code_size[i]:
            bits[code_size[i] if code_size[i] <= 32 else 32] += 1
    for i in range(32, 16, -1):
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while i > 1 and bits[i] == 0:
        i -= 1
    bits[i] -= 1
    for i in range(16):
        spec.bits[i] = <uint8_t>bits[i + 1]
    count = 0
    for i in range(1, 33):
        for j in range(n - 1):          # symbols in increasing order; the pseudo-symbol is last
            if code_size[j] == i:
                spec.values[count] = <uint8_t>symbol[j]
                count += 1
    spec.count = count
